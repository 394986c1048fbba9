"""Who files, co-approves and reviews change requests."""

from django.utils.translation import gettext_lazy as _

from xiangzhi.core.permissions import Level, Role, register

_T, _V, _G, _H = Level.TOWN, Level.VILLAGE, Level.GROUPS, Level.HOUSEHOLD
_MODELS = ("livedata.ChangeRequest", "registry.Household", "registry.Resident")

VIEW = register(
    "livedata.view",
    _("read residents' change requests"),
    grants={Role.TOWN_ADMIN: _T, Role.CADRE: _V, Role.GRID: _G},
    models=_MODELS,
)
FILE = register(
    "livedata.file",
    _("file a change request for a resident without a phone (who asked is recorded)"),
    grants={Role.TOWN_ADMIN: _T, Role.CADRE: _V, Role.GRID: _G},
    models=_MODELS,
)
REVIEW = register(
    "livedata.review",
    _("approve or reject residents' change requests, and see their document photos"),
    grants={Role.TOWN_ADMIN: _T, Role.CADRE: _V},
    models=_MODELS,
)
FILE_OWN = register(
    "livedata.file_own",
    _("ask for changes to their own household; the head approves those about other members"),
    grants={Role.RESIDENT: _H},
    models=_MODELS,
)
