"""Who reads how fresh the registry is, and who runs reconfirmation campaigns."""

from django.utils.translation import gettext_lazy as _

from xiangzhi.core.extensions import register_demo_step
from xiangzhi.core.permissions import Level, Role, register

_T, _V, _G = Level.TOWN, Level.VILLAGE, Level.GROUPS

VIEW = register(
    "freshness.view",
    _("read how fresh the registry is, campaigns' progress and life-event prompts"),
    grants={Role.TOWN_ADMIN: _T, Role.CADRE: _V, Role.GRID: _G},
    models=(
        "freshness.Campaign",
        "registry.Household",
        "registry.Resident",
        "areas.Village",
        "areas.VillageGroup",
    ),
)
RUN = register(
    "freshness.run_campaign",
    _("start a reconfirmation campaign and send its reminders"),
    grants={Role.TOWN_ADMIN: _T, Role.CADRE: _V},
    models=("freshness.Campaign", "areas.Village", "areas.VillageGroup", "registry.Household"),
)


def _demo(**kwargs) -> None:
    from .demo import demo_campaign

    demo_campaign(**kwargs)


register_demo_step(_demo)
