"""What the areas app lets each role do."""

from django.utils.translation import gettext_lazy as _

from xiangzhi.core.permissions import Level, Role, register

_T, _V, _G = Level.TOWN, Level.VILLAGE, Level.GROUPS
MODELS = ("areas.Village", "areas.VillageGroup")

VIEW = register(
    "areas.view",
    _("see the villages and groups of one's part of the town"),
    grants={Role.TOWN_ADMIN: _T, Role.CADRE: _V, Role.GRID: _G, Role.DUTY: _T, Role.CLERK: _T},
    models=MODELS,
)
CONFIGURE = register(
    "areas.configure",
    _("set up the town's villages, communities and groups"),
    grants={Role.TOWN_ADMIN: _T},
    models=MODELS,
)
