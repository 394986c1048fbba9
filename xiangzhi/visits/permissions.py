"""Who logs visits, who reads the overdue lists, who sets how often."""

from django.utils.translation import gettext_lazy as _

from xiangzhi.core.extensions import register_demo_step, register_household_action, register_tile
from xiangzhi.core.permissions import Level, Role, register

_T, _V, _G = Level.TOWN, Level.VILLAGE, Level.GROUPS

VIEW = register(
    "visits.view",
    _("read field visits, their photos, and who is overdue for one"),
    grants={Role.TOWN_ADMIN: _T, Role.CADRE: _V, Role.GRID: _G},
    models=(
        "visits.Visit",
        "visits.VisitPhoto",
        "visits.VisitPolicy",
        "registry.Household",
        "registry.ResidentFlag",
    ),
)
LOG = register(
    "visits.log",
    _("log a field visit, what it found and its photos"),
    grants={Role.TOWN_ADMIN: _T, Role.CADRE: _V, Role.GRID: _G},
    models=("visits.Visit", "visits.VisitPhoto", "registry.Household"),
)
CONFIGURE = register(
    "visits.configure",
    _("set how often each kind of flagged resident is visited"),
    grants={Role.TOWN_ADMIN: _T},
    models=("visits.VisitPolicy",),
)


def _overdue_count(*, user, village_id=None, group_id=None) -> int:
    from .selectors import overdue

    return len(overdue(user=user, village_id=village_id, group_id=group_id))


register_household_action(_("Log a visit"), "visits:log", action=LOG)
register_tile(_("Visits overdue"), "visits:overdue", action=VIEW, count=_overdue_count)


def _demo(**kwargs) -> None:
    from .demo import demo_visits

    demo_visits(**kwargs)


register_demo_step(_demo)
