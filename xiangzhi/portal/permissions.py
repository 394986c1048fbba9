"""What a resident may do: read their own household."""

from django.utils.translation import gettext_lazy as _

from xiangzhi.core.permissions import Level, Role, register

VIEW_OWN = register(
    "portal.view_own_household",
    _("read their own household: its members and their masked numbers"),
    grants={Role.RESIDENT: Level.HOUSEHOLD},
    models=(
        "registry.Household",
        "registry.Resident",
        "registry.Membership",
        "registry.ContactPhone",
        "portal.ResidentAccount",
    ),
)
