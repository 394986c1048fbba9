"""Who publishes notices and who reads them."""

from django.utils.translation import gettext_lazy as _

from xiangzhi.core.permissions import Level, Role, register

_T, _V, _G, _H = Level.TOWN, Level.VILLAGE, Level.GROUPS, Level.HOUSEHOLD

VIEW = register(
    "notices.view",
    _("read notices and which households have read them"),
    grants={Role.TOWN_ADMIN: _T, Role.CADRE: _V, Role.GRID: _G, Role.DUTY: _T},
    models=("notices.Notice", "notices.NoticeReceipt", "registry.Household"),
)
PUBLISH = register(
    "notices.publish",
    _("publish notices to the town, a village or its groups"),
    grants={Role.TOWN_ADMIN: _T, Role.CADRE: _V},
    models=("notices.Notice", "areas.Village", "areas.VillageGroup"),
)
READ_OWN = register(
    "notices.read_own",
    _("read the notices for their own household"),
    grants={Role.RESIDENT: _H},
    models=("notices.Notice", "notices.NoticeReceipt", "registry.Household"),
)
