"""What a resident reads: their own household, through the one chokepoint like every other role."""

from dataclasses import dataclass

from django.db.models import Prefetch

from xiangzhi.registry.models import ContactPhone, Household, Membership

from . import permissions as perms


@dataclass
class OwnHousehold:
    household: Household
    members: list[Membership]


def own_household(*, user) -> OwnHousehold:
    household = (
        Household.objects.restrict(user, perms.VIEW_OWN).select_related("village", "group", "head").get()
    )
    members = list(
        Membership.objects.restrict(user, perms.VIEW_OWN)
        .filter(household=household, ended_at__isnull=True)
        .select_related("resident")
        .prefetch_related(
            Prefetch(
                "resident__phones",
                queryset=ContactPhone.objects.restrict(user, perms.VIEW_OWN).order_by("priority", "id"),
            )
        )
        .order_by("started_at", "id")
    )
    return OwnHousehold(household, members)
