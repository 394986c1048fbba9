"""What a resident may do: read their own household."""

from django.utils.translation import gettext_lazy as _

from xiangzhi.core.extensions import register_demo_step, register_household_action
from xiangzhi.core.landing import register_landing
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

ISSUE_DOOR_PLATE = register(
    "portal.issue_door_plate",
    _(
        "print a household's door-plate card (its QR code and PIN sign the family in; the old card stops working)"
    ),
    grants={Role.TOWN_ADMIN: Level.TOWN, Role.CADRE: Level.VILLAGE, Role.GRID: Level.GROUPS},
    models=("portal.DoorPlate", "registry.Household"),
)

register_household_action(_("Door-plate card"), "portal:door_plate", action=ISSUE_DOOR_PLATE)

# a resident who opens the site signed in starts on their household's page
register_landing("portal:home", action=VIEW_OWN, roles=[Role.RESIDENT])


def _demo(**kwargs) -> list[str]:
    from .demo import demo_residents

    return demo_residents(**kwargs)


register_demo_step(_demo)
