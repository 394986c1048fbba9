"""Residents' sign-in: one-time codes sent to a phone on record, and the attempts that lock a phone.

Nothing here holds a phone number: a code row keeps the phone's blind index (`core.crypto.blind_index("phone", …)`,
the registry's own), enough to find the residents it reaches and to count requests, not to read the number.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.core.models import TownScopedModel
from xiangzhi.core.scoping import Scope


class SignInCode(models.Model):
    """A code sent (or, for a number not on record, pretended to be sent: the page answers alike) to a phone."""

    phone_blind = models.CharField(max_length=32, db_index=True)
    code_hash = models.CharField(
        max_length=64, blank=True
    )  # empty: the number is not on record, nothing was sent
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        indexes = [models.Index(fields=["ip_address", "created_at"], name="signin_code_ip")]

    def __str__(self):
        return f"code {self.pk}"


class SignInFailure(models.Model):
    """A wrong code typed for a phone; five within the lock window lock the phone."""

    phone_blind = models.CharField(max_length=32)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("failed code")
        verbose_name_plural = _("failed codes")
        indexes = [models.Index(fields=["phone_blind", "created_at"], name="signin_failure_phone")]

    def __str__(self):
        return f"failure {self.pk}"


class SignInLock(models.Model):
    """A phone locked after too many wrong codes, until `until`."""

    phone_blind = models.CharField(max_length=32, unique=True)
    until = models.DateTimeField()

    class Meta:
        verbose_name = _("locked phone")
        verbose_name_plural = _("locked phones")

    def __str__(self):
        return f"lock {self.pk}"


class ResidentAccount(TownScopedModel):
    """The account a resident signs in with, tied to the person in the registry; the account's one role,
    `resident`, reaches their household (`RoleAssignment.object_id`), kept equal to the household they live in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="resident_account",
        verbose_name=_("user"),
    )
    resident = models.OneToOneField(
        "registry.Resident", on_delete=models.CASCADE, related_name="account", verbose_name=_("resident")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_sign_in_at = models.DateTimeField(_("last signed in"), null=True, blank=True)

    scope = Scope(
        town="town",
        village="resident__household__village",
        group="resident__household__group",
        household="resident__household",
    )

    class Meta:
        verbose_name = _("resident account")
        verbose_name_plural = _("resident accounts")

    def __str__(self):
        return self.user.username


class DoorPlate(TownScopedModel):
    """A household's door-plate card: its QR code carries an unguessable token (never an ID or household number),
    and a PIN given to the family signs them in with it — for households without a smartphone number on record.
    Only keyed hashes are kept; issuing a new card revokes the old one."""

    household = models.ForeignKey(
        "registry.Household", on_delete=models.CASCADE, related_name="+", verbose_name=_("household")
    )
    token_hash = models.CharField(max_length=32, unique=True)
    pin_hash = models.CharField(max_length=32)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("issued by")
    )
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    scope = Scope(town="town", village="household__village", group="household__group", household="household")

    class Meta:
        verbose_name = _("door-plate card")
        verbose_name_plural = _("door-plate cards")
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(revoked_at__isnull=True),
                name="door_plate_one_active",
            )
        ]

    def __str__(self):
        return f"door plate {self.pk}"
