"""Field visits (走访): how often the town wants each kind of flagged resident visited, and the visits grid
workers log — a visit to a household counts for every member."""

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.core.files import private_name, private_storage
from xiangzhi.core.models import TownScopedModel
from xiangzhi.core.scoping import Scope


class VisitPolicy(TownScopedModel):
    """Residents with `flag` are visited at least every `every_days` days (独居老人 every 30, say)."""

    flag = models.OneToOneField(
        "registry.FlagType", on_delete=models.CASCADE, related_name="visit_policy", verbose_name=_("flag")
    )
    every_days = models.PositiveSmallIntegerField(_("visit at least every (days)"))

    scope = Scope(town="town", town_wide=True)

    class Meta:
        verbose_name = _("visit policy")
        verbose_name_plural = _("visit policies")
        ordering = ["every_days", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(every_days__gte=1), name="visit_every_day_or_more")
        ]

    def __str__(self):
        return f"{self.flag} / {self.every_days}"


class Visit(TownScopedModel):
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="+", verbose_name=_("household")
    )
    visited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("visited by")
    )
    visited_on = models.DateField(_("date of the visit"), default=datetime.date.today)
    notes = models.TextField(_("what was found"), blank=True)
    created_at = models.DateTimeField(_("logged"), default=timezone.now)

    scope = Scope(town="town", village="household__village", group="household__group", household="household")

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["household", "-visited_on"], name="visit_household_date")]

    def __str__(self):
        return f"{self.household_id} {self.visited_on}"


def _photo_path(instance, filename: str) -> str:
    return private_name("visits", instance.town_id)


def _thumbnail_path(instance, filename: str) -> str:
    return private_name("visits", instance.town_id, ".thumb.jpg")


class VisitPhoto(TownScopedModel):
    """A photo taken on a visit (走访照片): evidence of what was found, kept as long as the visit (a visit is never
    deleted; a service that ever deletes one deletes these files too — the rows cascade, the files do not).
    Re-encoded JPEG without EXIF, in private storage."""

    MAX_PER_VISIT = 3

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos", verbose_name=_("visit"))
    image = models.FileField(_("photo"), storage=private_storage, upload_to=_photo_path)
    thumbnail = models.FileField(_("small copy"), storage=private_storage, upload_to=_thumbnail_path)
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    scope = Scope(
        town="town",
        village="visit__household__village",
        group="visit__household__group",
        household="visit__household",
    )

    class Meta:
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")
        ordering = ["visit", "id"]

    def __str__(self):
        return f"{self.visit_id} #{self.pk}"
