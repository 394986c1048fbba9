"""Where a page of one app shows what the apps above it offer, without naming them (dependencies point one way):
the household card's actions (log a visit, the household's points) and the dashboard's tiles (overdue visits,
open alarms). An app registers its own from its `permissions.py`; the page shows those whose action the user holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.urls import reverse

from .permissions import can


@dataclass(frozen=True)
class HouseholdAction:
    label: object  # a lazy translation
    url_name: str  # takes the household's pk
    action: str


@dataclass(frozen=True)
class Tile:
    label: object
    url_name: str  # its list, given ?village=&group= of the dashboard's area
    action: str
    count: Callable[..., int]  # count(user=, village_id=, group_id=)


_ACTIONS: list[HouseholdAction] = []
_TILES: list[Tile] = []


def register_household_action(label, url_name: str, *, action: str) -> None:
    _ACTIONS.append(HouseholdAction(label, url_name, action))


def register_tile(label, url_name: str, *, action: str, count: Callable[..., int]) -> None:
    _TILES.append(Tile(label, url_name, action, count))


def household_actions(user, household_pk: int) -> list[tuple[str, str]]:
    """(label, url) of each action offered on a household card that the user may take."""
    return [(str(a.label), reverse(a.url_name, args=[household_pk])) for a in _ACTIONS if can(user, a.action)]


def tiles(user, *, village_id=None, group_id=None) -> list[tuple[str, int, str]]:
    """(label, count, url) of each dashboard tile the user may see, for the area chosen."""
    area = urlencode({k: v for k, v in (("village", village_id), ("group", group_id)) if v})
    return [
        (
            str(t.label),
            t.count(user=user, village_id=village_id, group_id=group_id),
            reverse(t.url_name) + (f"?{area}" if area else ""),
        )
        for t in _TILES
        if can(user, t.action)
    ]


# The demo town (`manage.py demo_town`) is built by the registry; an app above adds its part of the story (visits
# logged, points awarded) with a step that takes the town, the town's administrator and a seeded random; it may
# return lines for the command to print (how to try what it made: who can sign in).
_DEMO_STEPS: list[Callable[..., list[str] | None]] = []


def register_demo_step(step: Callable[..., list[str] | None]) -> None:
    _DEMO_STEPS.append(step)


def demo_steps() -> list[Callable[..., list[str] | None]]:
    return list(_DEMO_STEPS)
