"""Where a user lands after signing in (`/`, the login's `next` default): a page for their work.

Each app registers, from its own `permissions.py`, the page it offers a role (`roles=`) or everyone who holds
the action (no `roles`): `register_landing("registry:search", action=VIEW, roles=[Role.CLERK])`. Core takes the
user's first role in the order of `Role` (a cadre who also keeps the shop starts as a cadre) and picks, among the
landings registered for that role — the latest first, so an app above (the shop) replaces what one below (the
registry) offered that role until then — and then those open to any role, the first whose action the user holds;
failing all, the same for the user's next role.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import permissions as perms
from .permissions import Role


@dataclass(frozen=True)
class Landing:
    url_name: str
    action: str
    roles: frozenset[str]


_LANDINGS: list[Landing] = []


def register_landing(url_name: str, *, action: str, roles: Iterable[str] = ()) -> Landing:
    landing = Landing(url_name=url_name, action=action, roles=frozenset(roles))
    _LANDINGS.append(landing)
    return landing


def landings() -> list[Landing]:
    return list(_LANDINGS)


def landing_for(user) -> str | None:
    """The URL name of the page `user` starts on, or None when no registered page is theirs."""
    held = set(getattr(user, "role_names", ()))
    anyone = [landing for landing in _LANDINGS if not landing.roles]
    for role in (r for r in Role.values if r in held):
        for landing in [*(x for x in reversed(_LANDINGS) if role in x.roles), *anyone]:
            if perms.can(user, landing.action):
                return landing.url_name
    return None


# The auditor's work is the audit log.
register_landing("core:audit", action=perms.VIEW_AUDIT, roles=[Role.AUDITOR])
