"""Reading notices: the staff's list and who has not read one yet; a household's own notices."""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from xiangzhi.registry import permissions as registry_perms
from xiangzhi.registry.choices import HouseholdStatus
from xiangzhi.registry.models import Household

from . import permissions as perms
from .models import Notice, NoticeReceipt


def audience(notice: Notice, prefix: str = "") -> dict:
    """The households a notice is for, as lookups on Household (`prefix` reaches it from another model)."""
    lookups = {"town_id": notice.town_id, "status": HouseholdStatus.ACTIVE}
    if notice.village_id is not None:
        lookups["village_id"] = notice.village_id
        group_ids = [g.pk for g in notice.groups.all()]
        if group_ids:
            lookups["group_id__in"] = group_ids
    return {prefix + key: value for key, value in lookups.items()}


def notices(*, user) -> QuerySet[Notice]:
    return (
        Notice.objects.restrict(user, perms.VIEW)
        .select_related("village", "published_by")
        .prefetch_related("groups")
        .annotate(read_count=Count("receipts", distinct=True))
        .order_by("-published_at", "-id")
    )


def notice_get(*, user, pk, action=perms.VIEW) -> Notice:
    return Notice.objects.restrict(user, action).select_related("village", "published_by").get(pk=pk)


@dataclass
class Readership:
    audience: int  # households the notice is for, in the reader's part of the town
    read: int
    unread: QuerySet[Household]  # in the reader's part of the town, by group and number


def readership(*, user, notice: Notice) -> Readership:
    """Who the notice reached among the households the user may see in the registry."""
    households = Household.objects.restrict(user, registry_perms.VIEW).filter(**audience(notice))
    receipts = NoticeReceipt.objects.restrict(user, perms.VIEW).filter(
        notice=notice, household=OuterRef("pk")
    )
    marked = households.annotate(has_read=Exists(receipts))
    counts = marked.aggregate(audience=Count("pk"), read=Count("pk", filter=Q(has_read=True)))
    unread = (
        marked.filter(has_read=False)
        .select_related("head", "group", "village")
        .order_by("village__name", "group__number", "number")
    )
    return Readership(audience=counts["audience"], read=counts["read"], unread=unread)


def _addressed(user, household: Household):
    receipts = NoticeReceipt.objects.restrict(user, perms.READ_OWN).filter(
        notice=OuterRef("pk"), household=household
    )
    notices = Notice.objects.restrict(user, perms.READ_OWN).filter(
        Q(village__isnull=True)
        | Q(village_id=household.village_id, groups__isnull=True)
        | Q(groups=household.group_id),
        town_id=household.town_id,
    )
    return notices.distinct(), Exists(receipts)


def household_notices(*, user, household: Household) -> QuerySet[Notice]:
    """The notices for `household` (its town, its village, or its group), newest first, each marked `has_read`."""
    notices, read = _addressed(user, household)
    return notices.annotate(has_read=read)


def household_unread_count(*, user, household: Household) -> int:
    notices, read = _addressed(user, household)
    return notices.filter(~read).count()
