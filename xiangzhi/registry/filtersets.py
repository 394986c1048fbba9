"""Filters of the registry lists: the household and resident list pages, their CSV exports and the API lists use
the same ones, so a list's URL (?village=3&flag=dibao&age_min=60) means the same on a page, in an export and in
the API, and can be bookmarked and shared.

An area (?village=, ?group=) or household (?household=) the user may not view answers 404 everywhere, as a record
that does not exist (`core.filtersets.ScopedFilterSet`).
"""

import datetime

import django_filters
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from xiangzhi.areas import permissions as area_perms
from xiangzhi.areas.filtersets import AreaFilter
from xiangzhi.areas.models import Village, VillageGroup
from xiangzhi.core.filtersets import ScopedModelChoiceFilter, in_scope

from . import permissions as perms
from .choices import (
    LIVING_HERE,
    HouseholdStatus,
    IdStatus,
    MembershipEnd,
    MembershipStart,
    ResidenceStatus,
    Sex,
)
from .models import FlagType, Household, Membership, Resident, ResidentFlag

LIVING = "living"


@extend_schema_field(OpenApiTypes.STR)
class FlagCodeFilter(django_filters.ModelChoiceFilter):
    """A flag of the user's town by its code (?flag=dibao): readable in a shared link, as in the dashboard's API."""

    def __init__(self, **kwargs):
        super().__init__(queryset=in_scope(FlagType, perms.VIEW), to_field_name="code", **kwargs)


@extend_schema_field(OpenApiTypes.STR)
class MonthFilter(django_filters.DateFilter):
    """A calendar month (?month=2026-05), as the population changes link it."""

    def __init__(self, **kwargs):
        super().__init__(input_formats=["%Y-%m"], **kwargs)


def month_range(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The instants a month spans, in the town's time zone (as the population changes count them)."""
    start = month.replace(day=1)
    end = (start + datetime.timedelta(days=32)).replace(day=1)
    aware = [timezone.make_aware(datetime.datetime.combine(d, datetime.time())) for d in (start, end)]
    return aware[0], aware[1]


# ?change= of the resident list: the population changes' figures, each the list behind it
CHANGES = {
    "births": ("started_at", {"start_reason": MembershipStart.BIRTH}),
    "moved_in": ("started_at", {"start_reason": MembershipStart.MOVED_IN}),
    "deaths": ("ended_at", {"end_reason": MembershipEnd.DECEASED}),
    "moved_out": ("ended_at", {"end_reason": MembershipEnd.MOVED_OUT}),
}


class SortFilter(django_filters.ChoiceFilter):
    """?sort= among named orders: `orders` maps each value to its label and its `order_by` arguments."""

    def __init__(self, orders: dict[str, tuple], **kwargs):
        self.orders = {value: order for value, (_label, *order) in orders.items()}
        choices = [(value, label) for value, (label, *_order) in orders.items()]
        super().__init__(choices=choices, label=_("sort"), empty_label=None, **kwargs)

    def filter(self, qs, value):
        return qs.order_by(*self.orders[value]) if value else qs


class FlagFilters(django_filters.FilterSet):
    """?flag= (a code) and ?level= (a disability level): "残疾, level 2" is one flag with that level, never a 残疾
    flag and some other flag of level 2. Subclasses say what carries it (`with_flag`)."""

    flag = FlagCodeFilter(method="filter_flag", label=_("flag"), empty_label=_("any flag"))
    level = django_filters.NumberFilter(
        method="filter_level", label=_("disability level"), min_value=1, max_value=9
    )

    def with_flag(self, queryset, flag: dict):
        raise NotImplementedError

    def filter_flag(self, queryset, name, value):
        level = self.form.cleaned_data.get("level")
        return self.with_flag(queryset, {"flag": value, **({"level": level} if level is not None else {})})

    def filter_level(self, queryset, name, value):
        if self.form.cleaned_data.get("flag") is not None:
            return queryset  # applied with the flag
        return self.with_flag(queryset, {"level": value})


YES_NO = [("true", _("yes")), ("false", _("no"))]


class HouseholdFilter(FlagFilters, AreaFilter):
    """Filters that combine: area, status, a flag (with its level) carried by a member living here, members working
    away, a search by household number, head's name or address; `sort`. No phone or ID number is matched (the
    search box is the place for their last four digits)."""

    status = django_filters.ChoiceFilter(
        choices=HouseholdStatus.choices, label=_("household status"), empty_label=_("any status")
    )
    working_away = django_filters.ChoiceFilter(
        choices=YES_NO,
        method="filter_working_away",
        label=_("has members working away"),
        empty_label=_("any"),
    )
    q = django_filters.CharFilter(
        method="filter_q", label=_("household number, head or address"), max_length=40
    )
    registered = MonthFilter(method="filter_registered", label=_("registered in the month"))
    split = django_filters.ChoiceFilter(
        choices=YES_NO,
        method="filter_split",
        label=_("split off another household"),
        empty_label=_("any"),
    )
    sort = SortFilter(
        {
            "number": (_("by household number"), "number", "pk"),
            "area": (_("by village and group"), "village__name", "group__number", "number", "pk"),
            "head": (_("by head's name"), F("head__name").asc(nulls_last=True), "number", "pk"),
        }
    )

    class Meta:
        model = Household
        fields = ["village", "group", "status", "number"]

    def with_flag(self, queryset, flag: dict):
        carried = ResidentFlag.objects.unrestricted("within households read through restrict()").filter(
            Resident.living_here("resident__"), resident__household=OuterRef("pk"), **flag
        )
        return queryset.filter(Exists(carried))

    def filter_registered(self, queryset, name, value):
        start, end = month_range(value)
        return queryset.filter(created_at__gte=start, created_at__lt=end)

    def filter_split(self, queryset, name, value):
        return queryset.filter(split_from__isnull=value != "true")

    def filter_working_away(self, queryset, name, value):
        away = Resident.objects.unrestricted("within households read through restrict()").filter(
            household=OuterRef("pk"), residence_status=ResidenceStatus.MIGRANT
        )
        return queryset.filter(Exists(away)) if value == "true" else queryset.exclude(Exists(away))

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__startswith=value) | Q(head__name__contains=value) | Q(address__contains=value)
        )


def born_by(day: datetime.date, years: int) -> datetime.date:
    """The latest birth date of someone at least `years` old on `day` (`Resident.age_on`: born on 29 February, one
    turns a year older on 1 March of a common year)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February, and that year is a common one
        return day.replace(year=day.year - years, day=28)


def age_range(
    low: int | None, high: int | None, *, today: datetime.date | None = None, prefix: str = ""
) -> Q:
    """Residents aged `low` to `high` years inclusive today, as a range of birth dates (an index can serve it, and
    it agrees with `Resident.age` to the day). No birth date on record: never in a range."""
    today = today or timezone.localdate()
    q = Q()
    if low is not None:
        q &= Q(**{f"{prefix}birth_date__lte": born_by(today, low)})
    if high is not None:
        q &= Q(**{f"{prefix}birth_date__gt": born_by(today, high + 1)})
    return q


class ResidentFilter(FlagFilters, AreaFilter):
    """Filters that combine: area, household, flag (with its level), residence status, age, sex, head only, a
    search by name or household number; `sort`. `residence_status=living` is everyone who lives here
    (`choices.LIVING_HERE`), as the dashboard counts them."""

    # a resident's area is its household's (`Resident.scope`)
    village = ScopedModelChoiceFilter(
        Village, area_perms.VIEW, field_name="household__village", label=_("village")
    )
    group = ScopedModelChoiceFilter(
        VillageGroup, area_perms.VIEW, field_name="household__group", label=_("village group")
    )
    household = ScopedModelChoiceFilter(Household, perms.VIEW, label=_("household"))
    sex = django_filters.ChoiceFilter(choices=Sex.choices, label=_("sex"), empty_label=_("any sex"))
    residence_status = django_filters.ChoiceFilter(
        choices=[(LIVING, _("Living here (all)")), *ResidenceStatus.choices],
        method="filter_residence",
        label=_("residence status"),
        empty_label=_("any status"),
    )
    id_status = django_filters.ChoiceFilter(choices=IdStatus.choices, label=_("ID number status"))
    age_min = django_filters.NumberFilter(
        method="filter_age", label=_("age from"), min_value=0, max_value=200
    )
    age_max = django_filters.NumberFilter(method="filter_age", label=_("age to"), min_value=0, max_value=200)
    # a choice, not a boolean: a boolean filter takes any other word ("null") for "no filter", quietly
    head = django_filters.ChoiceFilter(
        choices=[("true", _("heads of household only")), ("false", _("other members only"))],
        method="filter_head",
        label=_("head of household"),
        empty_label=_("everyone"),
    )
    q = django_filters.CharFilter(method="filter_q", label=_("name or household number"), max_length=40)
    change = django_filters.ChoiceFilter(
        choices=[
            ("births", _("born")),
            ("deaths", _("died")),
            ("moved_in", _("moved in from outside the town")),
            ("moved_out", _("moved out of the town")),
        ],
        method="filter_change",
        label=_("population change"),
        empty_label=_("any"),
    )
    month = MonthFilter(method="filter_change", label=_("in the month"))
    sort = SortFilter(
        {
            "household": (
                _("by household"),
                "household__village__name",
                "household__group__number",
                "household__number",
                "pk",
            ),
            "name": (_("by name"), "name", "pk"),
            "age": (_("youngest first"), F("birth_date").desc(nulls_last=True), "pk"),
            "-age": (_("oldest first"), F("birth_date").asc(nulls_last=True), "pk"),
        }
    )

    class Meta:
        model = Resident
        fields = ["village", "group", "household", "sex", "residence_status", "id_status"]

    def filter_residence(self, queryset, name, value):
        if value == LIVING:
            return queryset.filter(residence_status__in=LIVING_HERE)
        return queryset.filter(residence_status=value)

    def with_flag(self, queryset, flag: dict):
        # one condition on one join: "残疾, level 2" is a resident whose 残疾 flag has level 2
        return queryset.filter(**{f"flags__{k}": v for k, v in flag.items()})

    def filter_change(self, queryset, name, value):
        data = self.form.cleaned_data
        change, month = data.get("change"), data.get("month")
        if name == "month" and change:
            return queryset  # applied with the change
        if not change:
            return queryset  # a month alone says nothing
        field, reason = CHANGES[change]
        when = dict(zip((f"{field}__gte", f"{field}__lt"), month_range(month), strict=True)) if month else {}
        events = Membership.objects.unrestricted("of residents read through restrict()").filter(
            resident=OuterRef("pk"), **reason, **when
        )
        return queryset.filter(Exists(events))

    def filter_age(self, queryset, name, value):
        data = self.form.cleaned_data
        if name == "age_max" and data.get("age_min") is not None:
            return queryset  # applied with age_min
        low, high = data.get("age_min"), data.get("age_max")
        return queryset.filter(
            age_range(int(low) if low is not None else None, int(high) if high is not None else None)
        )

    def filter_head(self, queryset, name, value):
        return (
            queryset.filter(household__head=F("pk")) if value else queryset.exclude(household__head=F("pk"))
        )

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__contains=value) | Q(household__number__startswith=value))
