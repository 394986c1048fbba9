"""What a resident reads: their own household, through the one chokepoint like every other role."""

from dataclasses import dataclass

from django.db.models import Prefetch

from xiangzhi.messaging.models import Channel, Message
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


def own_messages(*, user, limit: int = 5) -> list[Message]:
    """The latest in-app messages to the signed-in resident (the outcome of their requests, a request waiting for
    them as head): their own, so no scope beyond the recipient."""
    return list(
        Message.objects.unrestricted("a user's own in-app messages: the recipient is the user")
        .filter(recipient=user, channel=Channel.IN_APP)
        .order_by("-created_at", "-id")[:limit]
    )
