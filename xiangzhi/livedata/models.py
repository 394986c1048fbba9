"""Residents' change requests (live data): what they ask to change in their household's record, who asked, the
head's co-approval, the village's decision, and the document photo that proves a correction.

A phone or ID number asked for is kept encrypted (`secret`), never in the JSON payload; what the pages show of the
record before the change is kept masked (`before`), and a keyed fingerprint of the record as it was (`basis`) tells
a request whose target changed since it was filed (a conflict) from one that can be applied.
"""

import json

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.core.fields import EncryptedCharField
from xiangzhi.core.files import private_name, private_storage
from xiangzhi.core.models import TownScopedModel
from xiangzhi.core.scoping import Scope

from .choices import Kind, State


def _photo_path(instance, filename: str) -> str:
    return private_name("changes", instance.town_id)  # re-encoded as JPEG (core.files.photo_clean)


class ChangeRequest(TownScopedModel):
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    household = models.ForeignKey(
        "registry.Household", on_delete=models.PROTECT, related_name="+", verbose_name=_("household")
    )
    # the member it is about; none for a newborn (not on record yet)
    resident = models.ForeignKey(
        "registry.Resident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resident"),
    )
    payload = models.JSONField(_("what is asked"), default=dict)
    secret = EncryptedCharField(_("numbers asked for"), blank=True, default="")
    before = models.JSONField(_("the record before (masked)"), default=dict)
    basis = models.CharField(max_length=64, editable=False)
    state = models.CharField(_("state"), max_length=16, choices=State.choices)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by")
    )
    # who asked: the resident themself, or the resident a grid worker or cadre filed for (a proxy filing)
    asked_by = models.ForeignKey(
        "registry.Resident", on_delete=models.PROTECT, related_name="+", verbose_name=_("asked by")
    )
    proxy = models.BooleanField(_("filed for the resident by staff"), default=False)
    head_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by the head"),
    )
    head_approved_at = models.DateTimeField(_("approved by the head at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    approved_fields = models.JSONField(_("parts approved"), default=list)
    # a move within the town (镇内转户): the household the reviewing cadre found them in; never shown to residents
    target_household = models.ForeignKey(
        "registry.Household",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moved into household"),
    )
    # approved although the record had changed since filing: the cadre confirmed replacing what was on record
    over_current = models.BooleanField(_("applied over a newer record"), default=False)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    photo = models.FileField(
        _("photo of the document"), storage=private_storage, upload_to=_photo_path, blank=True
    )
    photo_deleted_at = models.DateTimeField(_("photo deleted"), null=True, blank=True)
    created_at = models.DateTimeField(_("filed"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    scope = Scope(town="town", village="household__village", group="household__group", household="household")

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["town", "state", "created_at"], name="change_request_queue")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def secrets(self) -> dict:
        return json.loads(self.secret) if self.secret else {}
