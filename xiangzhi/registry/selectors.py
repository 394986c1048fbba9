"""Every read of the registry starts from `restrict(user, action)`; out of scope raises DoesNotExist (→ 404)."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, DateField, Prefetch, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from xiangzhi.core.permissions import can

from . import permissions as perms
from .choices import (
    LIVING_RESIDENCE_CHOICES,
    HouseholdStatus,
    IdStatus,
    MembershipEnd,
    MembershipStart,
    ResidenceStatus,
)
from .filtersets import age_range
from .models import (
    ContactPhone,
    FlagType,
    Household,
    Membership,
    RecentHousehold,
    ResidenceCertificate,
    Resident,
    ResidentFlag,
)

# How many recently opened households the empty search page lists.
RECENT_SHOWN = 8


def household_list(*, user):
    """The households the user may view, for the list page and its export (narrowed by `HouseholdFilter`)."""
    qs = Household.objects.restrict(user, perms.VIEW).select_related("village", "group", "head")
    return qs.annotate(
        member_count=Count("memberships", filter=Q(memberships__ended_at__isnull=True))
    ).order_by("number")


def recent_households(*, user, limit: int = RECENT_SHOWN) -> list[Household]:
    """The households the user opened lately, newest first, those still in the user's area only: one statement."""
    rows = (
        RecentHousehold.objects.restrict(user, perms.VIEW)
        .filter(user=user)
        .select_related("household__village", "household__group", "household__head")
        .only(
            "household__number",
            "household__address",
            "household__house_number",
            "household__status",
            "household__village__name",
            "household__group__name",
            "household__head__name",
        )
        .order_by("-opened_at", "-pk")[:limit]
    )
    return [row.household for row in rows]


def resident_list(*, user):
    """The residents the user may view, for the list page, its export and the API (narrowed by `ResidentFilter`),
    in household order."""
    return (
        Resident.objects.restrict(user, perms.VIEW)
        .select_related("household__village", "household__group")
        .order_by("household__village__name", "household__group__number", "household__number", "pk")
    )


@dataclass
class ResidentRow:
    """A line of the resident list and its export: never the birth date (the age instead), the first phone
    masked."""

    resident: Resident
    is_head: bool
    phone: str
    flags: list[ResidentFlag]


def resident_rows(residents) -> list[ResidentRow]:
    """One page (or the whole export) of residents with their first phone and flags: three queries whatever the
    number of rows."""
    rows = list(residents)
    ids = [r.pk for r in rows]
    first_phone: dict[int, str] = {}
    for phone in (
        ContactPhone.objects.unrestricted("phones of residents read through restrict()")
        .filter(resident_id__in=ids)
        .order_by("resident_id", "priority", "id")
    ):
        first_phone.setdefault(phone.resident_id, phone.number_masked)
    flags: dict[int, list[ResidentFlag]] = {}
    for flag in (
        ResidentFlag.objects.unrestricted("flags of residents read through restrict()")
        .filter(resident_id__in=ids)
        .select_related("flag")
        .order_by("flag__sort", "flag__code")
    ):
        flags.setdefault(flag.resident_id, []).append(flag)
    return [
        ResidentRow(
            resident=r,
            is_head=r.household.head_id == r.pk,
            phone=first_phone.get(r.pk, ""),
            flags=flags.get(r.pk, []),
        )
        for r in rows
    ]


def resident_get(*, user, pk, action=perms.VIEW) -> Resident:
    return (
        Resident.objects.restrict(user, action)
        .select_related("household__village", "household__group")
        .get(pk=pk)
    )


def household_get(*, user, pk, action=perms.VIEW) -> Household:
    """One household, without its members (a write's target); `household_card` reads the whole card."""
    return Household.objects.restrict(user, action).select_related("village", "group", "head").get(pk=pk)


def household_target(*, user, number: str | None = None, village=None, pk=None) -> Household:
    """The other household of a move or a merge, named by its number and village (the pages) or its id (the
    API): an active household the user may change. Out of scope, closed or absent raises DoesNotExist. A number
    is unique in its village only: without a village, one held in two villages the user may change raises
    MultipleObjectsReturned (the page then asks for the village)."""
    households = Household.objects.restrict(user, perms.CHANGE).filter(status=HouseholdStatus.ACTIVE)
    if number is None:
        return households.get(pk=pk)
    if village is not None:
        households = households.filter(village=village)
    return households.get(number=number.strip())


def duplicate_id_household(*, user, error) -> int | None:
    """What a user is told about an ID number already registered (`services.DuplicateIdNumber`): the holder's
    household when the user may view the holder, else nothing — not even that the holder is out of scope."""
    return (
        Resident.objects.restrict(user, perms.VIEW)
        .filter(pk=error.existing.pk)
        .values_list("household_id", flat=True)
        .first()
    )


def phone_get(*, user, pk, action=perms.VIEW) -> ContactPhone:
    return ContactPhone.objects.restrict(user, action).select_related("resident").get(pk=pk)


@dataclass
class MemberRow:
    resident: Resident
    relationship: str
    relationship_label: str
    phones: list[ContactPhone]
    flags: list[ResidentFlag]

    @property
    def emergency_flags(self):
        return [f for f in self.flags if f.flag.emergency]


@dataclass
class HouseholdCard:
    household: Household
    members: list[MemberRow]
    former: list[Membership]
    memberships: list[Membership]
    call_list: list[tuple[ContactPhone, Resident]]
    emergency: list[tuple[Resident, ResidentFlag]]


def household_card(*, user, pk) -> HouseholdCard:
    """The household card: a constant number of queries whatever the household's size."""
    household = (
        Household.objects.restrict(user, perms.VIEW)
        .select_related("village", "group", "head", "town")
        .get(pk=pk)
    )
    memberships = list(
        Membership.objects.unrestricted("children of a household read through restrict()")
        .filter(household=household)
        .select_related("resident")
        .prefetch_related(
            Prefetch(
                "resident__phones",
                queryset=ContactPhone.objects.unrestricted(
                    "children of a household read through restrict()"
                ).order_by("priority", "id"),
            ),
            Prefetch(
                "resident__flags",
                queryset=ResidentFlag.objects.unrestricted(
                    "children of a household read through restrict()"
                ).select_related("flag"),
            ),
        )
        .order_by("started_at", "id")
    )
    current = [m for m in memberships if m.ended_at is None]
    former = [m for m in memberships if m.ended_at is not None]
    order = {"head": 0, "spouse": 1}
    # eldest first by birth year, then in the order they were registered: the exact dates would tell which of two
    # members born the same year is older, a part of the date an ID number's mask hides
    current.sort(
        key=lambda m: (
            order.get(m.relationship, 2),
            m.resident.birth_date.year if m.resident.birth_date else 9999,
            m.resident.pk,
        )
    )
    members = [
        MemberRow(
            resident=m.resident,
            relationship=m.relationship,
            relationship_label=m.get_relationship_display(),
            phones=list(m.resident.phones.all()),
            flags=list(m.resident.flags.all()),
        )
        for m in current
    ]
    # Who to call, in order: each member's numbers by priority, people living at home first.
    call_list = sorted(
        ((p, row.resident) for row in members for p in row.phones),
        key=lambda pr: (pr[1].residence_status != ResidenceStatus.AT_HOME, pr[0].priority, pr[1].pk),
    )
    emergency = [(row.resident, f) for row in members for f in row.emergency_flags]
    return HouseholdCard(
        household=household,
        members=members,
        former=former,
        memberships=memberships,
        call_list=call_list,
        emergency=emergency,
    )


def household_may_change(*, user, household: Household) -> bool:
    """Whether the user may change this household (a duty officer who is also a grid worker may view the whole
    town but change only their groups)."""
    return can(user, perms.CHANGE) and (
        Household.objects.restrict(user, perms.CHANGE).filter(pk=household.pk).exists()
    )


@dataclass
class HistoryEvent:
    """One line of a household's history: a member joined or left (with why), or the household was split off
    another. `other` is the household they came from or went to, when the user may view it; `elsewhere` says
    there was one the user may not view (its number is not shown)."""

    when: datetime.datetime
    joined: bool
    reason: str
    reason_label: str
    resident: Resident | None = None
    relationship_label: str = ""
    other: Household | None = None
    elsewhere: bool = False
    year_only: bool = False


# memberships that begin where another ends, at the same instant (`services._move`)
_MOVES_IN = (MembershipStart.MOVED, MembershipStart.SPLIT, MembershipStart.MERGED)
_MOVES_OUT = (MembershipEnd.MOVED, MembershipEnd.SPLIT, MembershipEnd.MERGED)


def household_history(*, user, card: "HouseholdCard") -> list[HistoryEvent]:
    """Who joined and left the household and why, newest first, from its memberships (already on the card) and
    the memberships they continue or lead to: two more queries whatever the household's size, none when nobody
    moved. A birth's date is the day it was recorded, near the birth date an ID number's mask hides: for a user
    who may not reveal ID numbers it shows the year only, as the age does."""
    household = card.household
    memberships = card.memberships
    movers = {m.resident_id for m in memberships if m.start_reason in _MOVES_IN or m.end_reason in _MOVES_OUT}
    linked: dict[tuple[int, datetime.datetime], int] = {}  # (resident, instant) → the other household
    if movers:
        for resident_id, household_id, started, ended in (
            Membership.objects.unrestricted("memberships of a household's members, read through restrict()")
            .filter(resident_id__in=movers)
            .exclude(household=household)
            .values_list("resident_id", "household_id", "started_at", "ended_at")
        ):
            linked[(resident_id, started)] = household_id
            if ended is not None:
                linked[(resident_id, ended)] = household_id
    other_ids = set(linked.values()) | ({household.split_from_id} if household.split_from_id else set())
    visible = (
        {
            h.pk: h
            for h in Household.objects.restrict(user, perms.VIEW).filter(pk__in=other_ids).only("number")
        }
        if other_ids
        else {}
    )
    may_see_ids = can(user, perms.REVEAL_ID)

    def other(resident_id, instant) -> dict:
        other_id = linked.get((resident_id, instant))
        return {"other": visible.get(other_id), "elsewhere": other_id is not None and other_id not in visible}

    events = []
    for m in memberships:
        common = {"resident": m.resident, "relationship_label": m.get_relationship_display()}
        events.append(
            HistoryEvent(
                when=m.started_at,
                joined=True,
                reason=m.start_reason,
                reason_label=m.get_start_reason_display(),
                year_only=m.start_reason == MembershipStart.BIRTH
                and m.resident.id_status == IdStatus.PRESENT
                and not may_see_ids,
                **common,
                **(other(m.resident_id, m.started_at) if m.start_reason in _MOVES_IN else {}),
            )
        )
        if m.ended_at is not None:
            events.append(
                HistoryEvent(
                    when=m.ended_at,
                    joined=False,
                    reason=m.end_reason,
                    reason_label=m.get_end_reason_display(),
                    **common,
                    **(other(m.resident_id, m.ended_at) if m.end_reason in _MOVES_OUT else {}),
                )
            )
    if household.split_from_id:
        events.append(
            HistoryEvent(
                when=household.created_at,
                joined=True,
                reason="split_from",
                reason_label=MembershipStart.SPLIT.label,
                other=visible.get(household.split_from_id),
                elsewhere=household.split_from_id not in visible,
            )
        )
    events.sort(key=lambda e: (e.when, e.joined), reverse=True)  # newest first
    return events


AGE_BANDS = [(0, 6), (7, 17), (18, 34), (35, 59), (60, 69), (70, 79), (80, 200)]


def dashboard(*, user, village_id=None, group_id=None) -> dict:
    """Counts for the user's part of the town, optionally narrowed to a village or group."""
    households = Household.objects.restrict(user, perms.VIEW).filter(status=HouseholdStatus.ACTIVE)
    residents = Resident.objects.restrict(user, perms.VIEW).filter(Resident.living_here())
    flags = ResidentFlag.objects.restrict(user, perms.VIEW).filter(Resident.living_here("resident__"))
    if village_id:
        households = households.filter(village_id=village_id)
        residents = residents.filter(household__village_id=village_id)
        flags = flags.filter(resident__household__village_id=village_id)
    if group_id:
        households = households.filter(group_id=group_id)
        residents = residents.filter(household__group_id=group_id)
        flags = flags.filter(resident__household__group_id=group_id)
    # exact ages (to the day), as the resident list's ?age_min=&age_max= filter them: a tile's count is its list's
    bands = {
        f"{low}_{sex}": Count("id", filter=age_range(low, high if high < 200 else None) & Q(sex=sex))
        for low, high in AGE_BANDS
        for sex in ("M", "F")
    }
    counts = residents.aggregate(**bands)
    pyramid = [
        {
            "band": f"{low}–{high}" if high < 200 else f"{low}+",
            "low": low,
            "high": high if high < 200 else None,
            "M": counts[f"{low}_M"],
            "F": counts[f"{low}_F"],
        }
        for low, high in AGE_BANDS
    ]
    peak = max([max(row["M"], row["F"]) for row in pyramid] + [1])
    for row in pyramid:
        row["M_pct"] = round(100 * row["M"] / peak)
        row["F_pct"] = round(100 * row["F"] / peak)
    flag_counts = dict(flags.values_list("flag_id").annotate(n=Count("id")))
    by_status = dict(residents.values_list("residence_status").annotate(n=Count("id")))
    return {
        "households": households.count(),
        "residents": sum(by_status.values()),
        "by_status": [(label, by_status.get(value, 0)) for value, label in LIVING_RESIDENCE_CHOICES],
        "pyramid": list(reversed(pyramid)),
        "flags": [(f, flag_counts.get(f.pk, 0)) for f in flag_types(user=user)],
    }


# The columns of the population changes (人口变动): (key, what counts). Moves within the town are not changes of the
# town's population, so a village's figures count only arrivals from and departures to outside the town.
CHANGE_STARTS = {"births": MembershipStart.BIRTH, "moved_in": MembershipStart.MOVED_IN}
CHANGE_ENDS = {"deaths": MembershipEnd.DECEASED, "moved_out": MembershipEnd.MOVED_OUT}
CHANGE_COLUMNS = ("births", "deaths", "moved_in", "moved_out", "new_households", "split_households")


def month_start(day: datetime.date, back: int = 0) -> datetime.date:
    """The first day of `day`'s month, `back` months earlier."""
    index = day.year * 12 + day.month - 1 - back
    return datetime.date(index // 12, index % 12 + 1, 1)


def population_changes(*, user, village_id=None, group_id=None, months: int = 12, today=None) -> list[dict]:
    """Births, deaths, arrivals from and departures to outside the town, new and split-off households, per month
    (newest first) over the last `months` months, in the user's part of the town: three aggregate queries
    whatever the number of months. A change counts where it happened: a departure in the household left."""
    today = today or timezone.localdate()
    first = month_start(today, months - 1)
    since = timezone.make_aware(datetime.datetime.combine(first, datetime.time()))
    memberships = Membership.objects.restrict(user, perms.VIEW)
    households = Household.objects.restrict(user, perms.VIEW)
    if village_id:
        memberships = memberships.filter(household__village_id=village_id)
        households = households.filter(village_id=village_id)
    if group_id:
        memberships = memberships.filter(household__group_id=group_id)
        households = households.filter(group_id=group_id)
    rows = {month_start(today, back): dict.fromkeys(CHANGE_COLUMNS, 0) for back in range(months)}
    for when, why, reasons in (
        ("started_at", "start_reason", CHANGE_STARTS),
        ("ended_at", "end_reason", CHANGE_ENDS),
    ):
        by_reason = {reason: key for key, reason in reasons.items()}
        for month, reason, n in (
            memberships.filter(**{f"{when}__gte": since, f"{why}__in": by_reason})
            .annotate(month=TruncMonth(when, output_field=DateField()))
            .values_list("month", why)
            .annotate(n=Count("id"))
            .order_by()
        ):
            rows.get(month, {})[by_reason[reason]] = n
    for month, new, split in (
        households.filter(created_at__gte=since)
        .annotate(month=TruncMonth("created_at", output_field=DateField()))
        .values_list("month")
        .annotate(
            new=Count("id", filter=Q(split_from__isnull=True)),
            split=Count("id", filter=Q(split_from__isnull=False)),
        )
        .order_by()
    ):
        if month in rows:
            rows[month]["new_households"], rows[month]["split_households"] = new, split
    return [{"month": month, **counts} for month, counts in rows.items()]


def household_export_rows(households):
    """(household, the head's first phone masked) per household, in two queries."""
    rows = list(households)
    head_ids = [h.head_id for h in rows if h.head_id]
    first_phone: dict[int, str] = {}
    for phone in (
        ContactPhone.objects.unrestricted("children of a household read through restrict()")
        .filter(resident_id__in=head_ids)
        .order_by("resident_id", "priority", "id")
    ):
        first_phone.setdefault(phone.resident_id, phone.number_masked)
    return [(h, first_phone.get(h.head_id, "")) for h in rows]


# ----------------------------------------------------------------------------------------------- town set-up


def flag_types(*, user, action: str = perms.VIEW):
    """The flags of the user's town."""
    return FlagType.objects.restrict(user, action).order_by("sort", "code")


def flag_types_counted(*, user) -> list[FlagType]:
    """The town's flags, with how many of its residents carry each."""
    carried = Count("residentflag", filter=Q(residentflag__town_id=user.town_id))
    return list(flag_types(user=user, action=perms.CONFIGURE).annotate(residents=carried))


def flag_type_get(*, user, pk) -> FlagType:
    return FlagType.objects.restrict(user, perms.CONFIGURE).get(pk=pk)


def certificate_get(*, user, pk) -> ResidenceCertificate:
    """An issued certificate of residence, for who may issue them in its household's part of the town."""
    return (
        ResidenceCertificate.objects.restrict(user, perms.CERTIFY)
        .select_related("town", "resident", "household")
        .get(pk=pk)
    )


def household_certificates(*, user, household: Household) -> list[ResidenceCertificate]:
    """The certificates of residence issued to a household's members (a cadre's list on the card): one query,
    none for a user who may not issue them."""
    return list(
        ResidenceCertificate.objects.restrict(user, perms.CERTIFY)
        .filter(household=household)
        .select_related("issued_by")
        .order_by("-year", "-sequence")
    )
