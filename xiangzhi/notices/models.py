"""Notices (通知) cadres publish to the town, a village or some of its groups; which households have read each."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.areas.models import Village, VillageGroup
from xiangzhi.core.models import TownScopedModel
from xiangzhi.core.scoping import Scope


class Notice(TownScopedModel):
    title = models.CharField(_("title"), max_length=80)
    body = models.TextField(_("text"))
    # the audience: the whole town (no village), a village (no groups) or some of its groups
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("village")
    )
    groups = models.ManyToManyField(
        VillageGroup, blank=True, related_name="+", verbose_name=_("village groups")
    )
    sms = models.BooleanField(_("also send a text message to each household"), default=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("published by")
    )
    published_at = models.DateTimeField(_("published"), default=timezone.now)

    # a notice is public to the town it is for: every role of the town reads them all (publishing is narrower)
    scope = Scope(town="town", town_wide=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-published_at", "-id"]

    def __str__(self):
        return self.title


class NoticeReceipt(TownScopedModel):
    """A household has read a notice (a member opened it on their page)."""

    notice = models.ForeignKey(
        Notice, on_delete=models.CASCADE, related_name="receipts", verbose_name=_("notice")
    )
    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="+", verbose_name=_("household")
    )
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("read by"),
    )
    read_at = models.DateTimeField(_("read"), default=timezone.now)

    scope = Scope(town="town", village="household__village", group="household__group", household="household")

    class Meta:
        verbose_name = _("read receipt")
        verbose_name_plural = _("read receipts")
        constraints = [
            models.UniqueConstraint(fields=["notice", "household"], name="receipt_once_per_household")
        ]

    def __str__(self):
        return f"{self.notice_id}:{self.household_id}"
