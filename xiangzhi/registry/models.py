"""The registry: town → village/community → village group → household → resident.

Every tenant table carries `town`, the distribution key should a county shard by town later. Personal numbers
(ID, phone) are encrypted; their blind indexes answer exact lookups and search tails.
"""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xiangzhi.areas.models import Village, VillageGroup
from xiangzhi.core.fields import EncryptedCharField
from xiangzhi.core.masking import mask_id_number, mask_phone
from xiangzhi.core.models import Town, TownScopedModel
from xiangzhi.core.scoping import Scope

from .choices import (
    LIVING_HERE,
    HouseholdStatus,
    IdStatus,
    MembershipEnd,
    MembershipStart,
    PhoneHolder,
    Relationship,
    ResidenceStatus,
    Sex,
)


class Household(TownScopedModel):
    village = models.ForeignKey(Village, on_delete=models.PROTECT, verbose_name=_("village"))
    group = models.ForeignKey(VillageGroup, on_delete=models.PROTECT, verbose_name=_("village group"))
    number = models.CharField(_("household number (户号)"), max_length=32)
    address = models.CharField(_("address"), max_length=200, blank=True)
    house_number = models.CharField(_("house number (门牌号)"), max_length=32, blank=True)
    latitude = models.DecimalField(
        _("latitude (WGS-84)"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude (WGS-84)"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    head = models.ForeignKey(
        "Resident", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("head")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=HouseholdStatus.choices, default=HouseholdStatus.ACTIVE
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    confirmed_at = models.DateTimeField(_("last confirmed"), null=True, blank=True)
    split_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="split_off",
        verbose_name=_("split off from"),
    )

    scope = Scope(town="town", village="village", group="group", household="pk")

    class Meta:
        verbose_name = _("household (户)")
        verbose_name_plural = _("households")
        ordering = ["number"]
        # Unique in its village, not the town: a town-wide clash would tell a cadre that a number is used in
        # another village, a household out of their scope.
        constraints = [
            models.UniqueConstraint(fields=["village", "number"], name="household_unique_number_in_village")
        ]
        indexes = [models.Index(fields=["village", "group"])]

    def __str__(self):
        return self.number


class Resident(TownScopedModel):
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="residents", verbose_name=_("household")
    )
    name = models.CharField(_("name"), max_length=60)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_status = models.CharField(_("ID number status"), max_length=16, choices=IdStatus.choices)
    id_number = EncryptedCharField(_("ID number (身份证号)"), null=True, blank=True)
    id_blind = models.CharField(max_length=32, null=True, blank=True, unique=True, editable=False)
    no_id_reason = models.CharField(_("why there is no ID number"), max_length=200, blank=True)
    residence_status = models.CharField(
        _("residence status"), max_length=16, choices=ResidenceStatus.choices, default=ResidenceStatus.AT_HOME
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope = Scope(town="town", village="household__village", group="household__group", household="household")

    class Meta:
        verbose_name = _("resident (村民)")
        verbose_name_plural = _("residents")
        constraints = [
            models.CheckConstraint(
                condition=Q(id_status="none", id_number__isnull=True)
                | Q(id_status="present", id_number__isnull=False),
                name="resident_id_state",
            )
        ]

    def __str__(self):
        return self.name

    @property
    def id_number_masked(self) -> str:
        return mask_id_number(self.id_number)

    @staticmethod
    def living_here(prefix: str = "") -> Q:
        """Residents who live here (`choices.LIVING_HERE`); `prefix` reaches them from another model
        ("resident__")."""
        return Q(**{f"{prefix}residence_status__in": LIVING_HERE})

    @property
    def is_active(self) -> bool:
        """Lives here (`choices.LIVING_HERE`): not dead, not moved away."""
        return self.residence_status in LIVING_HERE

    def age_on(self, day) -> int | None:
        if not self.birth_date:
            return None
        return (
            day.year
            - self.birth_date.year
            - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))
        )

    @property
    def age(self) -> int | None:
        """The age shown: for a resident with an ID number, counted from the birth year (it changes on 1 January
        for everyone), so watching it go up cannot date a birthday the ID number's mask hides."""
        if not self.birth_date:
            return None
        today = timezone.localdate()
        if self.id_status == IdStatus.PRESENT:
            return today.year - self.birth_date.year
        return self.age_on(today)

    @property
    def birth_date_shown(self) -> datetime.date | None:
        return shown_birth_date(self)


def shown_birth_date(resident: "Resident") -> datetime.date | None:
    """The birth date as pages, the API and the audit log show it: only for a resident without an ID number. An
    ID number's mask (`500111********8260`) hides exactly the birth date, so beside it the date would complete the
    number; the age is shown instead."""
    return resident.birth_date if resident.id_status != IdStatus.PRESENT else None


class Membership(TownScopedModel):
    """A resident's place in a household over time; ending one never deletes it."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("household")
    )
    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("resident")
    )
    relationship = models.CharField(
        _("relationship to the head"), max_length=24, choices=Relationship.choices
    )
    started_at = models.DateTimeField(_("from"), default=timezone.now)
    start_reason = models.CharField(
        _("why they joined"),
        max_length=16,
        choices=MembershipStart.choices,
        default=MembershipStart.REGISTERED,
    )
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=16, choices=MembershipEnd.choices, blank=True)

    scope = Scope(town="town", village="household__village", group="household__group", household="household")

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["started_at", "id"]
        # population changes (人口变动) count a town's joins and departures by month
        indexes = [
            models.Index(fields=["town", "started_at"], name="membership_town_started"),
            models.Index(fields=["town", "ended_at"], name="membership_town_ended"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["resident"], condition=Q(ended_at__isnull=True), name="membership_one_current"
            )
        ]

    def __str__(self):
        return f"{self.resident_id}@{self.household_id}"


class FlagType(TownScopedModel):
    """A flag a town configures (低保, 残疾, 独居老人 …); `emergency` ones are highlighted on the household card."""

    code = models.SlugField(_("code"), max_length=32)
    name = models.CharField(pgettext_lazy("of a place or a flag", "name"), max_length=40)
    emergency = models.BooleanField(_("highlight in an emergency"), default=False)
    has_level = models.BooleanField(_("has a level"), default=False)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    scope = Scope(town="town", town_wide=True)

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        ordering = ["sort", "code"]
        constraints = [models.UniqueConstraint(fields=["town", "code"], name="flag_code_per_town")]

    def __str__(self):
        return self.name


class ResidentFlag(TownScopedModel):
    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="flags", verbose_name=_("resident")
    )
    flag = models.ForeignKey(FlagType, on_delete=models.PROTECT, verbose_name=_("flag"))
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)

    scope = Scope(
        town="town",
        village="resident__household__village",
        group="resident__household__group",
        household="resident__household",
    )

    class Meta:
        verbose_name = _("resident flag")
        verbose_name_plural = _("resident flags")
        constraints = [models.UniqueConstraint(fields=["resident", "flag"], name="resident_flag_once")]

    def __str__(self):
        return f"{self.flag.name}{self.level or ''}"


class ContactPhone(TownScopedModel):
    """A number that reaches a resident: their own, or someone who answers for them (a son in the city)."""

    resident = models.ForeignKey(
        Resident, on_delete=models.CASCADE, related_name="phones", verbose_name=_("resident")
    )
    number = EncryptedCharField(_("phone number"))
    blind = models.CharField(max_length=32, editable=False, db_index=True)
    holder = models.CharField(
        _("who answers"), max_length=16, choices=PhoneHolder.choices, default=PhoneHolder.SELF
    )
    holder_name = models.CharField(_("answerer's name"), max_length=60, blank=True)
    priority = models.PositiveSmallIntegerField(_("call priority"), default=1)
    note = models.CharField(_("note"), max_length=200, blank=True)

    scope = Scope(
        town="town",
        village="resident__household__village",
        group="resident__household__group",
        household="resident__household",
    )

    class Meta:
        verbose_name = _("contact phone")
        verbose_name_plural = _("contact phones")
        ordering = ["priority", "id"]

    def __str__(self):
        return self.number_masked

    @property
    def number_masked(self) -> str:
        return mask_phone(self.number)


class SearchToken(TownScopedModel):
    """One searchable key of a resident or household: the first character says which kind.

    n name and its suffixes · p full pinyin · i initials · a address / house number / household number ·
    t phone tail (blind) · f full phone (blind) · d ID tail (blind) · x full ID (blind).
    Prefix search is a range scan on (scope column, token); PostgreSQL keeps the column in the "C" collation
    (migration 0002) so ranges and ORDER BY follow code points as in SQLite.
    """

    town = models.ForeignKey(Town, on_delete=models.CASCADE, db_index=False)
    village = models.ForeignKey(Village, on_delete=models.CASCADE, db_index=False)
    group = models.ForeignKey(VillageGroup, on_delete=models.CASCADE, db_index=False)
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, null=True, related_name="+")
    token = models.CharField(max_length=80)

    scope = Scope(town="town", village="village", group="group", household="household")

    class Meta:
        indexes = [
            models.Index(fields=["town", "token"], name="search_town_token"),
            models.Index(fields=["village", "token"], name="search_village_token"),
            models.Index(fields=["group", "token"], name="search_group_token"),
        ]

    def __str__(self):
        return self.token


class CertificateCounter(TownScopedModel):
    """The last certificate number a town issued in a year. `services.certificate_issue` raises it by one under
    the row's lock in the issue's own transaction, so numbers run without gaps (a failed issue rolls the counter
    back with it) and without duplicates (a second issue waits for the first to commit)."""

    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number issued"), default=0)

    scope = Scope(town="town")

    class Meta:
        verbose_name = _("certificate counter")
        verbose_name_plural = _("certificate counters")
        constraints = [models.UniqueConstraint(fields=["town", "year"], name="certificate_counter_once")]

    def __str__(self):
        return f"{self.year}: {self.last}"


class ResidenceCertificate(TownScopedModel):
    """A certificate of residence (居住证明) the town issued to a resident, numbered per town and year
    (`2026-000123`). What it states — name, village and group, address — is kept as issued, so printing it again
    gives the same certificate whatever changed since."""

    resident = models.ForeignKey(
        Resident, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("resident")
    )
    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="certificates", verbose_name=_("household")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("number in the year"))
    purpose = models.CharField(_("purpose"), max_length=100)
    name = models.CharField(_("name"), max_length=60)
    place = models.CharField(_("village and group"), max_length=120)
    address = models.CharField(_("address"), max_length=200)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)

    scope = Scope(town="town", village="household__village", group="household__group", household="household")

    class Meta:
        verbose_name = _("certificate of residence (居住证明)")
        verbose_name_plural = _("certificates of residence")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["town", "year", "sequence"], name="certificate_number_once")
        ]

    def __str__(self):
        return self.serial

    @property
    def serial(self) -> str:
        return f"{self.year}-{self.sequence:06d}"


class RecentHousehold(TownScopedModel):
    """A household a user opened, for "recently opened" on the empty search page: one row per user and household,
    its time moved forward at each opening; a user keeps the newest `services.RECENT_KEPT` rows. Read through
    restrict(), so a household that left the user's area drops out of the list."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)

    scope = Scope(town="town", village="household__village", group="household__group", household="household")

    class Meta:
        verbose_name = _("recently opened household")
        verbose_name_plural = _("recently opened households")
        constraints = [models.UniqueConstraint(fields=["user", "household"], name="recent_household_once")]
        indexes = [models.Index(fields=["user", "-opened_at"], name="recent_household_newest")]

    def __str__(self):
        return f"{self.user_id}:{self.household_id}"
