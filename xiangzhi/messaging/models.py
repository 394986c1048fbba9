"""The outbox: every text message (短信) and in-app message the platform sends, with its state and the gateway's
answer. A message is written in the same transaction as what it announces, and delivered by the worker."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.core.fields import EncryptedCharField
from xiangzhi.core.masking import mask_phone
from xiangzhi.core.models import TownScopedModel
from xiangzhi.core.scoping import Scope


class Channel(models.TextChoices):
    SMS = "sms", _("Text message")
    IN_APP = "in_app", _("In-app message")


class State(models.TextChoices):
    QUEUED = "queued", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Message(TownScopedModel):
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=64)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recipient"),
    )
    recipient_name = models.CharField(_("recipient"), max_length=60, blank=True)
    phone = EncryptedCharField(_("phone number"), null=True, blank=True)
    body = models.TextField(_("text"))
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    answer = models.CharField(_("gateway's answer"), max_length=500, blank=True)
    # the sender's own key: the same key in the same town is the same message (a retried request sends once)
    key = models.CharField(max_length=120, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # which delivery run holds a queued text, and since when (`tasks.claim`): one conditional UPDATE takes a batch,
    # so two workers never send the same text; a claim older than `tasks.LEASE` is a run that died, taken again
    claimed_by = models.CharField(max_length=32, blank=True, default="", editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)

    scope = Scope(town="town")

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["town", "key"], name="message_key_once"),
            models.CheckConstraint(
                condition=Q(channel="in_app", recipient__isnull=False)
                | Q(channel="sms", phone__isnull=False),
                name="message_has_address",
            ),
        ]
        indexes = [models.Index(fields=["town", "state", "-created_at"], name="message_town_state")]

    def __str__(self):
        return f"{self.get_channel_display()} {self.recipient_name or self.phone_masked}"

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone) if self.phone else ""
