"""Who may do what, over which part of the town — registered by each app, read by the one chokepoint.

Each app declares its actions in its own `permissions.py` with `register()`: a namespaced name
(`registry.view`, `monitoring.ack_alarm`), a label, the roles that hold it and at what level, and the models it
guards (the system check in `core.checks` proves each of those models can be scoped at every level granted).
`CoreConfig.ready()` imports every app's `permissions` module, so a new app never edits another app's file.

A principal is whoever acts: a user (accounts.User) or, later, a device. It offers `is_authenticated`,
`is_active`, `town_id` and `role_assignments` — a list of `Assignment`s, one per role it holds, each with its own
scope. `reach(principal, action)` folds the assignments that grant the action into a `Reach`, which
`core.scoping.RestrictedQuerySet.restrict` turns into a WHERE clause.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(enum.Enum):
    """How far a role's grant reaches inside its town."""

    TOWN = "town"
    VILLAGE = "village"  # the assignment's village
    GROUPS = "groups"  # the assignment's village groups
    HOUSEHOLD = "household"  # one household: a resident's own (assignment.object_id)
    SHOP = "shop"  # one Love Supermarket: a clerk's (assignment.object_id)
    DEVICE = "device"  # a camera, gauge or gateway acting for itself (assignment.object_id)


class Role(models.TextChoices):
    TOWN_ADMIN = "town_admin", _("Town administrator")
    CADRE = "cadre", _("Village cadre")
    GRID = "grid", _("Grid worker")
    DUTY = "duty", _("Duty officer")
    CLERK = "clerk", _("Shop clerk")
    AUDITOR = "auditor", _("Auditor")
    RESIDENT = "resident", _("Resident")
    DEVICE = "device", _("Device")


# The level each role's assignment is bound to; the account page asks for exactly that.
ROLE_LEVEL: dict[str, Level] = {
    Role.TOWN_ADMIN: Level.TOWN,
    Role.CADRE: Level.VILLAGE,
    Role.GRID: Level.GROUPS,
    Role.DUTY: Level.TOWN,
    Role.CLERK: Level.TOWN,
    Role.AUDITOR: Level.TOWN,
    Role.RESIDENT: Level.HOUSEHOLD,
    Role.DEVICE: Level.DEVICE,
}


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    grants: dict[str, Level]
    models: tuple[str, ...] = ()

    @property
    def app(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def short(self) -> str:
        return self.name.split(".", 1)[1]


_ACTIONS: dict[str, Action] = {}


def register(name: str, label, *, grants: dict[str, Level], models: tuple[str, ...] | list[str] = ()) -> str:
    """Declare an action; returns its name, which is what `restrict()` and `can()` take."""
    if "." not in name:
        raise ValueError(f"permission {name!r} must be namespaced as app.action")
    action = Action(name, label, dict(grants), tuple(models))
    existing = _ACTIONS.get(name)
    if existing is not None and existing != action:
        raise ValueError(f"permission {name!r} registered twice with different grants")
    _ACTIONS[name] = action
    return name


def actions() -> list[Action]:
    return sorted(_ACTIONS.values(), key=lambda a: a.name)


def get_action(name: str) -> Action:
    try:
        return _ACTIONS[name]
    except KeyError:
        raise LookupError(
            f"unknown permission {name!r}; is the app's permissions module registered?"
        ) from None


def table() -> list[tuple[Action, dict[str, Level | None]]]:
    """Who may do what: one row per action, one column per role — for the docs and the authorization matrix."""
    return [(a, {role: a.grants.get(role) for role in Role.values}) for a in actions()]


@dataclass(frozen=True)
class Assignment:
    """One role a principal holds and the part of its town it covers."""

    role: str
    village_id: int | None = None
    group_ids: frozenset[int] = frozenset()
    group_village_ids: frozenset[int] = frozenset()  # the villages of those groups
    object_id: int | None = None  # the household, shop or device a role of that level is bound to


@dataclass
class Reach:
    """What one action lets a principal reach in its town: the whole town, or the union of the parts below."""

    town_id: int
    whole_town: bool = False
    parts: dict[Level, set[int]] = field(default_factory=dict)
    group_village_ids: set[int] = field(default_factory=set)

    def add(self, level: Level, ids) -> None:
        self.parts.setdefault(level, set()).update(i for i in ids if i is not None)

    def __bool__(self) -> bool:
        return self.whole_town or any(self.parts.values())

    @property
    def level(self) -> Level | None:
        """The single level reached, or the broadest (a search picks its index by it)."""
        if self.whole_town:
            return Level.TOWN
        for level in (Level.VILLAGE, Level.GROUPS, Level.SHOP, Level.HOUSEHOLD, Level.DEVICE):
            if self.parts.get(level):
                return level
        return None


def _active(principal) -> bool:
    return bool(
        principal is not None
        and getattr(principal, "is_authenticated", False)
        and getattr(principal, "is_active", False)
        and getattr(principal, "town_id", None)
    )


def reach(principal, action: str) -> Reach | None:
    """The part of its town `principal` reaches with `action`, or None."""
    grants = get_action(action).grants
    if not _active(principal):
        return None
    result = Reach(town_id=principal.town_id)
    for assignment in principal.role_assignments:
        level = grants.get(assignment.role)
        if level is None:
            continue
        if level is Level.TOWN:
            result.whole_town = True
        elif level is Level.VILLAGE:
            result.add(Level.VILLAGE, [assignment.village_id])
        elif level is Level.GROUPS:
            result.add(Level.GROUPS, assignment.group_ids)
            result.group_village_ids.update(assignment.group_village_ids)
        else:
            result.add(level, [assignment.object_id])
    return result or None


def can(principal, action: str) -> bool:
    return reach(principal, action) is not None


def level_for(principal, action: str) -> Level | None:
    r = reach(principal, action)
    return r.level if r else None


def allowed_actions(principal) -> list[str]:
    return [a.name for a in actions() if can(principal, a.name)]


# Core's own action: the audit log, read by the auditor (a row holds no more personal data than masked numbers),
# who picks whose actions to list from the town's accounts.
VIEW_AUDIT = register(
    "core.view_audit",
    _("browse the audit log"),
    grants={Role.AUDITOR: Level.TOWN},
    models=("core.AuditEntry", settings.AUTH_USER_MODEL),
)


def markdown_table() -> str:
    """The table of who may do what, as docs/architecture.md shows it (a test keeps the two equal)."""
    from django.utils import translation

    roles = [r for r in Role if r not in (Role.RESIDENT, Role.DEVICE)]
    with translation.override("en"):
        lines = [
            "| action | " + " | ".join(str(r.label).lower() for r in roles) + " |",
            "|---|" + "---|" * len(roles),
        ]
        for action, grants in table():
            cells = [level.value if (level := grants[r]) else "–" for r in roles]
            lines.append(f"| `{action.name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


VIEW_TASKS = register(
    "core.view_tasks",
    _("read the background tasks that failed and run them again"),
    grants={Role.TOWN_ADMIN: Level.TOWN},
)
