"""How fresh the registry is in the reader's part of the town: the share of households confirmed in the last 12
months by village, group and grid worker, the oldest records, campaigns' progress, and the life events a grid
worker should act on."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from xiangzhi.accounts.models import RoleAssignment
from xiangzhi.core.permissions import Role, can
from xiangzhi.livedata import permissions as livedata_perms
from xiangzhi.livedata.choices import OPEN
from xiangzhi.livedata.models import ChangeRequest
from xiangzhi.registry import permissions as registry_perms
from xiangzhi.registry.choices import HouseholdStatus
from xiangzhi.registry.models import Household, Resident

from . import permissions as perms
from .models import Campaign

FRESH_DAYS = 365


@dataclass
class Share:
    label: str
    households: int
    confirmed: int

    @property
    def percent(self) -> int:
        return round(100 * self.confirmed / self.households) if self.households else 100


def _households(user, village_id=None, group_id=None) -> QuerySet[Household]:
    households = Household.objects.restrict(user, perms.VIEW).filter(status=HouseholdStatus.ACTIVE)
    if village_id:
        households = households.filter(village_id=village_id)
    if group_id:
        households = households.filter(group_id=group_id)
    return households


def freshness(*, user, village_id=None, group_id=None, today: datetime.date | None = None) -> dict:
    """The share confirmed within FRESH_DAYS by village and by group (one query), by grid worker (one more), and
    the 10 records waiting longest."""
    today = today or timezone.localdate()
    since = timezone.make_aware(
        datetime.datetime.combine(today - datetime.timedelta(days=FRESH_DAYS), datetime.time())
    )
    households = _households(user, village_id, group_id)
    fresh = Q(confirmed_at__gte=since)
    rows = list(
        households.values("village__name", "group_id", "group__name")
        .annotate(n=Count("id"), ok=Count("id", filter=fresh))
        .order_by("village__name", "group__number")
    )
    villages: dict[str, Share] = {}
    for row in rows:
        share = villages.setdefault(row["village__name"], Share(row["village__name"], 0, 0))
        share.households += row["n"]
        share.confirmed += row["ok"]
    groups = [Share(f"{r['village__name']} {r['group__name']}", r["n"], r["ok"]) for r in rows]
    workers: dict[int, list[str]] = {}
    for group_id_, name, username in RoleAssignment.objects.filter(
        role=Role.GRID,
        user__town_id=user.town_id,
        user__is_active=True,
        groups__in=[r["group_id"] for r in rows],
    ).values_list("groups", "user__display_name", "user__username"):
        workers.setdefault(group_id_, []).append(name or username)
    by_worker: dict[str, Share] = {}
    for row in rows:
        for worker in workers.get(row["group_id"], [""]):
            share = by_worker.setdefault(worker, Share(worker, 0, 0))
            share.households += row["n"]
            share.confirmed += row["ok"]
    total = Share("", sum(s.households for s in groups), sum(s.confirmed for s in groups))
    oldest = list(
        households.select_related("head", "village", "group").order_by("confirmed_at", "number")[:10]
    )
    return {
        "total": total,
        "villages": list(villages.values()),
        "groups": groups,
        "workers": sorted(by_worker.values(), key=lambda s: s.percent),
        "oldest": oldest,
    }


@dataclass
class Progress:
    campaign: Campaign
    households: int
    confirmed: int

    @property
    def percent(self) -> int:
        return round(100 * self.confirmed / self.households) if self.households else 100


def campaign_households(campaign: Campaign, user) -> QuerySet[Household]:
    """The campaign's households in the reader's part of the town."""
    households = Household.objects.restrict(user, perms.VIEW).filter(
        status=HouseholdStatus.ACTIVE, village_id=campaign.village_id
    )
    group_ids = [g.pk for g in campaign.groups.all()]
    return households.filter(group_id__in=group_ids) if group_ids else households


def campaign_start(campaign: Campaign) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(campaign.starts_on, datetime.time()))


def campaigns(*, user) -> list[Progress]:
    found = list(
        Campaign.objects.restrict(user, perms.VIEW).select_related("village").prefetch_related("groups")
    )
    rows = []
    for campaign in found:  # a village runs one or two a year: a query each
        counts = campaign_households(campaign, user).aggregate(
            n=Count("id"), ok=Count("id", filter=Q(confirmed_at__gte=campaign_start(campaign)))
        )
        rows.append(Progress(campaign, counts["n"], counts["ok"]))
    return rows


def campaign_get(*, user, pk, action=perms.VIEW) -> Campaign:
    return Campaign.objects.restrict(user, action).select_related("village").get(pk=pk)


def campaign_waiting(*, user, campaign: Campaign) -> QuerySet[Household]:
    """The campaign's households not confirmed since it began, oldest record first."""
    return (
        campaign_households(campaign, user)
        .exclude(confirmed_at__gte=campaign_start(campaign))
        .select_related("head", "group")
        .order_by("confirmed_at", "number")
    )


@dataclass
class Prompt:
    resident: Resident
    kind: str  # "16", "60", "18", "stale"
    when: datetime.date | None


def _turning(residents, years: int, today: datetime.date, days: int) -> QuerySet[Resident]:
    """Residents whose `years`-th birthday falls in the next `days` days."""

    def years_ago(day: datetime.date) -> datetime.date:
        try:
            return day.replace(year=day.year - years)
        except ValueError:  # 29 February
            return day.replace(year=day.year - years, day=28)

    return residents.filter(
        birth_date__gt=years_ago(today), birth_date__lte=years_ago(today + datetime.timedelta(days=days))
    )


def birthdays_shown(user) -> bool:
    """A coming birthday dates a birth; beside a masked ID number (whose hidden digits are the birth date) it would
    complete the number. So the birthday prompts go to who never sees ID numbers — grid workers — and not to a
    role that sees them masked."""
    return not can(user, registry_perms.REVEAL_ID)


def life_events(*, user, today: datetime.date | None = None, days: int = 30) -> list[Prompt]:
    """What a grid worker should act on soon: a 16th birthday (the ID card), a 60th (the elderly allowance), an
    18th (a child becomes an adult member), and households whose record is a year old or more. Four queries."""
    today = today or timezone.localdate()
    residents = (
        Resident.objects.restrict(user, perms.VIEW)
        .filter(Resident.living_here(), household__status=HouseholdStatus.ACTIVE)
        .select_related("household__group", "household__village")
    )
    prompts = []
    for years in (16, 18, 60) if birthdays_shown(user) else ():
        for resident in _turning(residents, years, today, days).order_by("birth_date"):
            born = resident.birth_date
            try:
                birthday = born.replace(year=born.year + years) if born else None
            except ValueError:  # born on 29 February
                birthday = born.replace(year=born.year + years, day=28) if born else None
            prompts.append(Prompt(resident, str(years), birthday))
    stale = today - datetime.timedelta(days=FRESH_DAYS)
    since = timezone.make_aware(datetime.datetime.combine(stale, datetime.time()))
    for household in (
        _households(user)
        .filter(Q(confirmed_at__lt=since) | Q(confirmed_at__isnull=True))
        .select_related("head", "group", "village")
        .order_by("confirmed_at")[:50]
    ):
        if household.head is not None:
            prompts.append(
                Prompt(
                    household.head, "stale", household.confirmed_at.date() if household.confirmed_at else None
                )
            )
    return prompts


@dataclass
class Pending:
    village: str
    count: int
    oldest_days: int


def pending_requests(*, user, village_id=None, group_id=None) -> list[Pending]:
    """Residents' change requests still open (waiting for the head or the village) by village, with the age of the
    oldest: a queue left to grow is a registry going stale. One query."""
    if not can(user, livedata_perms.VIEW):
        return []
    found = ChangeRequest.objects.restrict(user, livedata_perms.VIEW).filter(state__in=OPEN)
    if village_id:
        found = found.filter(household__village_id=village_id)
    if group_id:
        found = found.filter(household__group_id=group_id)
    now = timezone.now()
    return [
        Pending(row["household__village__name"], row["n"], (now - row["oldest"]).days)
        for row in found.values("household__village__name")
        .annotate(n=Count("id"), oldest=Min("created_at"))
        .order_by("household__village__name")
    ]
