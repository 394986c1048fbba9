"""Who may do what, and over which part of the town. The scoping chokepoint (core.scoping) reads this table;
nothing else decides access to personal data.

Actions:
  view          read the registry (names, households, masked numbers)
  change        write the registry
  reveal_phone  see one full phone number (logged)
  reveal_id     see ID numbers at all (masked) and reveal one in full (logged); search by ID fragment
  view_audit    browse the audit log
  manage_users  create and change accounts
  configure     set up the town: its villages and groups, the flags residents can carry
"""

import enum

from .choices import Role


class Level(enum.Enum):
    TOWN = "town"
    VILLAGE = "village"
    GROUPS = "groups"


VIEW = "view"
CHANGE = "change"
REVEAL_PHONE = "reveal_phone"
REVEAL_ID = "reveal_id"
VIEW_AUDIT = "view_audit"
MANAGE_USERS = "manage_users"
CONFIGURE = "configure"

ACTIONS = (VIEW, CHANGE, REVEAL_PHONE, REVEAL_ID, VIEW_AUDIT, MANAGE_USERS, CONFIGURE)

_T, _V, _G = Level.TOWN, Level.VILLAGE, Level.GROUPS

# role -> action -> level; a missing action is forbidden.
ROLE_ACTIONS: dict[str, dict[str, Level]] = {
    Role.TOWN_ADMIN: {
        VIEW: _T,
        CHANGE: _T,
        REVEAL_PHONE: _T,
        REVEAL_ID: _T,
        MANAGE_USERS: _T,
        CONFIGURE: _T,
    },
    Role.CADRE: {VIEW: _V, CHANGE: _V, REVEAL_PHONE: _V, REVEAL_ID: _V},
    Role.GRID: {VIEW: _G, CHANGE: _G, REVEAL_PHONE: _G},
    # The duty officer warns households town-wide: names and phones, never ID numbers.
    Role.DUTY: {VIEW: _T, REVEAL_PHONE: _T},
    # The shop clerk finds households to serve: names and masked phones only, no ID numbers at all.
    Role.CLERK: {VIEW: _T},
    Role.AUDITOR: {VIEW_AUDIT: _T},
    Role.RESIDENT: {},
}


def level_for(user, action: str) -> Level | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return ROLE_ACTIONS.get(user.role, {}).get(action)


def can(user, action: str) -> bool:
    return level_for(user, action) is not None
