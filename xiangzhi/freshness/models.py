"""Reconfirmation campaigns (the annual check, 年度核查): a village, or some of its groups, checks every household's
record between two dates; a household counts as done once its record is confirmed on or after the start."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.areas.models import Village, VillageGroup
from xiangzhi.core.models import TownScopedModel
from xiangzhi.core.scoping import Scope


class Campaign(TownScopedModel):
    name = models.CharField(_("name"), max_length=60)
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="+", verbose_name=_("village")
    )
    groups = models.ManyToManyField(
        VillageGroup, blank=True, related_name="+", verbose_name=_("village groups")
    )
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("started by")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    scope = Scope(town="town", village="village")

    class Meta:
        verbose_name = _("reconfirmation campaign")
        verbose_name_plural = _("reconfirmation campaigns")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="campaign_dates"
            )
        ]

    def __str__(self):
        return self.name
