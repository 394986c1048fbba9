"""Reading change requests: the village's review queue, one request, a household's own requests."""

from django.db.models import Q, QuerySet

from xiangzhi.registry.choices import HouseholdStatus
from xiangzhi.registry.models import Household, Resident

from . import permissions as perms
from .choices import OPEN, State
from .models import ChangeRequest

_RELATED = ("household__village", "household__group", "resident", "asked_by", "filed_by", "decided_by")


def queue(*, user, state: str | None = State.PENDING) -> QuerySet[ChangeRequest]:
    """The requests in the user's part of the town, oldest first when open (the queue), newest first otherwise."""
    found = ChangeRequest.objects.restrict(user, perms.VIEW).select_related(*_RELATED)
    if state:
        found = found.filter(state=state)
    if state in OPEN:
        return found.order_by("created_at", "id")
    return found.order_by("-created_at", "-id")


def request_get(*, user, pk, action=perms.VIEW) -> ChangeRequest:
    return ChangeRequest.objects.restrict(user, action).select_related(*_RELATED).get(pk=pk)


def household_requests(*, user, household) -> QuerySet[ChangeRequest]:
    """A household's requests, newest first (a resident's own page)."""
    return (
        ChangeRequest.objects.restrict(user, perms.FILE_OWN)
        .filter(household=household)
        .select_related("resident", "asked_by")
        .order_by("-created_at", "-id")
    )


def members(*, user, household, action) -> QuerySet[Resident]:
    """The living members of a household a request may be about, through the chokepoint."""
    return (
        Resident.objects.restrict(user, action)
        .filter(Resident.living_here(), household=household)
        .order_by("created_at", "id")
    )


def transfer_targets(*, user, exclude: int | None = None) -> QuerySet[Household]:
    """The open households a reviewer may move a member into: those of their own area."""
    found = (
        Household.objects.restrict(user, perms.REVIEW)
        .filter(status=HouseholdStatus.ACTIVE)
        .select_related("village", "group", "head")
    )
    return found.exclude(pk=exclude) if exclude else found


def transfer_search(*, user, query: str, exclude: int | None = None, limit: int = 20) -> list[Household]:
    """Households of the reviewer's area by number, house number, head's name or address (a prefix of the number,
    a part of the rest), for the cadre choosing where a member moved."""
    query = query.strip()
    if not query:
        return []
    return list(
        transfer_targets(user=user, exclude=exclude)
        .filter(
            Q(number__startswith=query)
            | Q(house_number=query)
            | Q(head__name__contains=query)
            | Q(address__contains=query)
        )
        .order_by("village__code", "group__number", "number")[:limit]
    )
