"""Who is overdue for a visit, and a household's visits — in the reader's part of the town."""

import datetime
from collections import Counter
from dataclasses import dataclass

from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.utils import timezone

from xiangzhi.accounts.models import RoleAssignment
from xiangzhi.core.permissions import Role
from xiangzhi.registry.choices import HouseholdStatus
from xiangzhi.registry.models import Household, Resident, ResidentFlag

from . import permissions as perms
from .models import Visit, VisitPhoto, VisitPolicy


@dataclass
class Overdue:
    flag: ResidentFlag  # with its resident, household, group and village
    every_days: int
    last_visit: datetime.date | None
    days_late: int | None  # None: never visited


def policies(*, user) -> list[VisitPolicy]:
    return list(VisitPolicy.objects.restrict(user, perms.VIEW).select_related("flag"))


def overdue(*, user, village_id=None, group_id=None, today: datetime.date | None = None) -> list[Overdue]:
    """Every living, flagged resident whose household has not been visited within their flag's interval; the
    longest waiting first. One query per visit policy (a town has a handful)."""
    today = today or timezone.localdate()
    last = (
        Visit.objects.unrestricted("the latest visit of a household the reader already reaches")
        .filter(household=OuterRef("resident__household"))
        .order_by("-visited_on")
        .values("visited_on")[:1]
    )
    rows = []
    for policy in policies(user=user):
        cutoff = today - datetime.timedelta(days=policy.every_days)
        flags = (
            ResidentFlag.objects.restrict(user, perms.VIEW)
            .filter(Resident.living_here("resident__"), flag=policy.flag_id)
            .filter(resident__household__status=HouseholdStatus.ACTIVE)
        )
        if village_id:
            flags = flags.filter(resident__household__village_id=village_id)
        if group_id:
            flags = flags.filter(resident__household__group_id=group_id)
        flags = (
            flags.annotate(last_visit=Subquery(last))
            .filter(Q(last_visit__isnull=True) | Q(last_visit__lt=cutoff))
            .select_related("flag", "resident__household__group", "resident__household__village")
        )
        for flag in flags:
            late = None if flag.last_visit is None else (today - flag.last_visit).days - policy.every_days
            rows.append(Overdue(flag, policy.every_days, flag.last_visit, late))
    rows.sort(
        key=lambda r: (r.last_visit is not None, r.last_visit or today, r.flag.resident.household.number)
    )
    return rows


def overdue_by_worker(*, user, rows: list[Overdue]) -> list[tuple[str, int]]:
    """How many overdue residents each grid worker's groups hold (a group without one counts as "no one")."""
    groups = Counter(r.flag.resident.household.group_id for r in rows)
    workers: dict[int, list[str]] = {}
    for group_id, name, username in RoleAssignment.objects.filter(
        role=Role.GRID, user__town_id=user.town_id, user__is_active=True, groups__in=list(groups)
    ).values_list("groups", "user__display_name", "user__username"):
        workers.setdefault(group_id, []).append(name or username)
    totals: Counter = Counter()
    for group_id, n in groups.items():
        for worker in workers.get(group_id, [""]):
            totals[worker] += n
    return totals.most_common()


def overdue_by_village(rows: list[Overdue]) -> list[tuple[str, int]]:
    return Counter(r.flag.resident.household.village.name for r in rows).most_common()


def household_visits(*, user, household: Household, limit: int = 10) -> list[Visit]:
    """The household's latest visits with their photos (`photo_list`), two queries."""
    return list(
        Visit.objects.restrict(user, perms.VIEW)
        .filter(household=household)
        .select_related("visited_by")
        .prefetch_related(
            Prefetch("photos", queryset=VisitPhoto.objects.restrict(user, perms.VIEW), to_attr="photo_list")
        )[:limit]
    )


def photo_get(*, user, pk) -> VisitPhoto:
    return VisitPhoto.objects.restrict(user, perms.VIEW).get(pk=pk)
