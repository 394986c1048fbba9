"""Residents sign in with a one-time code sent to a phone on record (their own number, `holder = self`).

A code expires after 5 minutes, works once, and is stored only as a keyed hash. Codes are limited per phone (one a
minute, five an hour) and per address (XIANGZHI_SIGN_IN_CODES_PER_ADDRESS_PER_HOUR); five wrong codes lock the
phone for 30 minutes. The page answers the same whether or not a number is on record, so it cannot be used to
learn which numbers the registry holds.

A signed-in resident sees their own number in full after typing a fresh code sent to it (`own_phone_code_send`,
`own_phone_reveal`): the same table, limits and lock as signing in; a code of one purpose does not work for the
other.
"""

import datetime
import hmac
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiangzhi.accounts.services import resident_user_ensure
from xiangzhi.core.audit import audit_record
from xiangzhi.core.crypto import blind_index
from xiangzhi.core.exceptions import NotInScope
from xiangzhi.core.scoping import require
from xiangzhi.messaging.services import sms_send
from xiangzhi.registry.choices import PhoneHolder
from xiangzhi.registry.idnumber import normalize_phone
from xiangzhi.registry.models import ContactPhone, Resident

from . import permissions as perms
from . import texts
from .models import DoorPlate, ResidentAccount, SignInCode, SignInFailure, SignInLock

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_HOUR = datetime.timedelta(hours=1)


def phone_clean(phone: str) -> str:
    """The 11 digits of a mainland mobile number as typed (the registry's own normalisation: full-width digits,
    dashes, a +86 or 0086 prefix allowed)."""
    try:
        digits = normalize_phone(re.sub(r"\s", "", phone or ""))
    except ValidationError:
        digits = ""
    if not _MOBILE.fullmatch(digits):
        raise ValidationError({"phone": _("Enter an 11-digit mobile number.")})
    return digits


def phone_key(phone: str) -> str:
    return blind_index("phone", phone_clean(phone))


REVEAL = "reveal"  # the purpose of a code that shows a resident their own number


def _code_hash(key: str, code: str, purpose: str = "") -> str:
    return blind_index("sign-in-code", f"{key}:{purpose}:{code}" if purpose else f"{key}:{code}")


def _locked_until(key: str, now: datetime.datetime) -> datetime.datetime | None:
    lock = SignInLock.objects.filter(phone_blind=key, until__gt=now).first()
    return lock.until if lock else None


def _locked_error(until: datetime.datetime) -> ValidationError:
    return ValidationError(
        _("Too many wrong codes for this number. Try again after %(time)s.")
        % {"time": timezone.localtime(until).strftime("%H:%M")}
    )


def _reachable(key: str):
    """The living residents whose own phone this is, with their household."""
    return list(
        ContactPhone.objects.unrestricted("signing in: who the typed number reaches, shown to no one")
        .filter(Resident.living_here("resident__"), blind=key, holder=PhoneHolder.SELF)
        .select_related("resident__household", "town")
        .order_by("resident_id")
    )


def code_request(*, phone: str, ip_address: str | None, now: datetime.datetime | None = None) -> None:
    """Send a sign-in code to `phone` if it is a resident's own number on record; raise ValidationError when a
    limit is reached. The answer is the same whether or not the number is on record."""
    now = now or timezone.now()
    phone = phone_clean(phone)
    key = phone_key(phone)
    _limits_check(key, ip_address, now)
    reached = _reachable(key)
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        SignInCode.objects.create(
            phone_blind=key,
            code_hash=_code_hash(key, code) if reached else "",
            ip_address=ip_address,
            created_at=now,
            expires_at=now + settings.XIANGZHI_SIGN_IN_CODE_TTL,
        )
        if reached:
            town = reached[0].town
            sms_send(
                town=town,
                phone=phone,
                kind=texts.SIGN_IN_CODE,
                context={"town": town.name, "code": code, "minutes": _ttl_minutes()},
                recipient_name=reached[0].resident.name,
            )


def _ttl_minutes() -> int:
    return int(settings.XIANGZHI_SIGN_IN_CODE_TTL.total_seconds() // 60)


def _limits_check(key: str, ip_address: str | None, now: datetime.datetime) -> None:
    """Raise ValidationError when the phone `key` is locked or a limit on codes is reached."""
    until = _locked_until(key, now)
    if until:
        raise _locked_error(until)
    recent = SignInCode.objects.filter(phone_blind=key, created_at__gt=now - _HOUR)
    if recent.filter(created_at__gt=now - settings.XIANGZHI_SIGN_IN_CODE_INTERVAL).exists():
        raise ValidationError(_("A code was sent less than a minute ago. Wait a moment before asking again."))
    if recent.count() >= settings.XIANGZHI_SIGN_IN_CODES_PER_PHONE_PER_HOUR:
        raise ValidationError(_("Too many codes for this number in the last hour. Try again later."))
    if (
        ip_address
        and SignInCode.objects.filter(ip_address=ip_address, created_at__gt=now - _HOUR).count()
        >= settings.XIANGZHI_SIGN_IN_CODES_PER_ADDRESS_PER_HOUR
    ):
        raise ValidationError(_("Too many codes were asked for from this network. Try again later."))


def code_verify(
    *, key: str, code: str, ip_address: str | None, now: datetime.datetime | None = None
) -> list[Resident]:
    """The residents a right code for the phone `key` (`phone_key`) signs in as — one, or a family sharing a
    number, to choose from; the code is used up. A wrong or expired code raises ValidationError and counts towards
    the phone's lock."""
    now = now or timezone.now()
    _code_use(key=key, code=code, purpose="", ip_address=ip_address, now=now)
    return [phone.resident for phone in _reachable(key)]


def _code_use(*, key: str, code: str, purpose: str, ip_address: str | None, now: datetime.datetime) -> None:
    """Use up the latest code sent to the phone `key` for `purpose`; a wrong or expired one raises
    ValidationError and counts towards the phone's lock."""
    until = _locked_until(key, now)
    if until:
        raise _locked_error(until)
    code = re.sub(r"\s", "", code or "")
    candidate = (
        SignInCode.objects.filter(phone_blind=key, used_at__isnull=True, expires_at__gt=now)
        .exclude(code_hash="")
        .order_by("-created_at")
        .first()
    )
    right = candidate is not None and hmac.compare_digest(candidate.code_hash, _code_hash(key, code, purpose))
    # single use, even when two requests bring the same code at once: only one UPDATE finds it unused
    if (
        candidate is not None
        and right
        and SignInCode.objects.filter(pk=candidate.pk, used_at__isnull=True).update(used_at=now)
    ):
        SignInFailure.objects.filter(phone_blind=key).delete()
        return
    _failed(key, ip_address, now)
    raise ValidationError({"code": _("The code is wrong or has expired.")})


def own_phones(*, user) -> list[ContactPhone]:
    """The signed-in resident's own phones (`holder = self`), the first one first: the one a code goes to."""
    account = getattr(user, "resident_account", None)
    if account is None:
        raise NotInScope
    return list(
        ContactPhone.objects.restrict(user, perms.VIEW_OWN)
        .filter(resident_id=account.resident_id, holder=PhoneHolder.SELF)
        .select_related("resident", "town")
        .order_by("priority", "id")
    )


def own_phone_code_send(*, user, ip_address: str | None, now: datetime.datetime | None = None) -> str:
    """Text a fresh code to the signed-in resident's own phone, to show them its number; the masked number it went
    to. The limits of signing in apply (the same phone, the same counts)."""
    now = now or timezone.now()
    phones = own_phones(user=user)
    if not phones:
        raise ValidationError(_("No phone number of your own is on record."))
    phone = phones[0]
    _limits_check(phone.blind, ip_address, now)
    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        SignInCode.objects.create(
            phone_blind=phone.blind,
            code_hash=_code_hash(phone.blind, code, REVEAL),
            ip_address=ip_address,
            created_at=now,
            expires_at=now + settings.XIANGZHI_SIGN_IN_CODE_TTL,
        )
        sms_send(
            town=phone.town,
            phone=phone.number,
            kind=texts.REVEAL_CODE,
            context={"town": phone.town.name, "code": code, "minutes": _ttl_minutes()},
            recipient_name=phone.resident.name,
        )
    return phone.number_masked


def own_phone_reveal(
    *, user, code: str, ip_address: str | None, now: datetime.datetime | None = None
) -> dict[int, str]:
    """The full numbers of the signed-in resident's own phones, by phone id, for a right code sent to the first
    (`own_phone_code_send`), with an audit row like a cadre's reveal. Never anyone else's: a family's other
    members and numbers answered for someone are left out."""
    now = now or timezone.now()
    phones = own_phones(user=user)
    if not phones:
        raise ValidationError(_("No phone number of your own is on record."))
    _code_use(key=phones[0].blind, code=code, purpose=REVEAL, ip_address=ip_address, now=now)
    audit_record(
        actor=user,
        action="portal.own_phone.reveal",
        target=phones[0].resident,
        after={"numbers": [p.number_masked for p in phones]},
    )
    return {p.pk: p.number for p in phones}


def _failed(key: str, ip_address: str | None, now) -> None:
    """Count a wrong code or PIN for `key`; the fifth within the lock window locks it (and raises)."""
    SignInFailure.objects.create(phone_blind=key, ip_address=ip_address, created_at=now)
    window = now - settings.XIANGZHI_SIGN_IN_LOCK
    if (
        SignInFailure.objects.filter(phone_blind=key, created_at__gt=window).count()
        >= settings.XIANGZHI_SIGN_IN_FAILURES_TO_LOCK
    ):
        until = now + settings.XIANGZHI_SIGN_IN_LOCK
        SignInLock.objects.update_or_create(phone_blind=key, defaults={"until": until})
        SignInFailure.objects.filter(phone_blind=key).delete()
        raise _locked_error(until)


@transaction.atomic
def resident_signed_in(*, resident: Resident, via: str = "code"):
    """The account of `resident`, made on their first sign-in, its household kept to the one they live in now."""
    account = (
        ResidentAccount.objects.unrestricted("signing in: the resident's own account")
        .select_related("user")
        .filter(resident=resident)
        .first()
    )
    user = resident_user_ensure(
        user=account.user if account else None,
        town=resident.town,
        username=f"~r{resident.pk}",
        display_name=resident.name,
        household_id=resident.household_id,
    )
    if account is None:
        account = ResidentAccount.objects.create(town=resident.town, user=user, resident=resident)
    account.last_sign_in_at = timezone.now()
    account.save(update_fields=["last_sign_in_at"])
    audit_record(actor=user, action="portal.resident.sign_in", target=account, after={"via": via})
    return user


@dataclass(frozen=True)
class IssuedPlate:
    plate: DoorPlate
    token: str  # for the QR code on the card just printed; kept nowhere
    pin: str  # for the family, printed on the slip cut off the card; kept nowhere


def _plate_hash(token: str) -> str:
    return blind_index("door-plate", token)


def _pin_hash(token_hash: str, pin: str) -> str:
    return blind_index("door-plate-pin", f"{token_hash}:{pin}")


@transaction.atomic
def door_plate_issue(*, actor, household) -> IssuedPlate:
    """A new door-plate card for `household`: a fresh token and PIN; the household's earlier card stops working."""
    require(actor, perms.ISSUE_DOOR_PLATE, household)
    now = timezone.now()
    DoorPlate.objects.restrict(actor, perms.ISSUE_DOOR_PLATE).filter(
        household=household, revoked_at__isnull=True
    ).update(revoked_at=now)
    token = secrets.token_urlsafe(24)
    pin = f"{secrets.randbelow(10**6):06d}"
    token_hash = _plate_hash(token)
    plate = DoorPlate.objects.create(
        town_id=household.town_id,
        household=household,
        token_hash=token_hash,
        pin_hash=_pin_hash(token_hash, pin),
        issued_by=actor,
        issued_at=now,
    )
    audit_record(actor=actor, action="portal.door_plate.issue", target=household)
    return IssuedPlate(plate, token, pin)


def door_plate_verify(*, token: str, pin: str, ip_address: str | None, now=None):
    """The household member a right PIN for the card `token` signs in as (the head, else the eldest member
    living there). A wrong PIN counts towards locking the card for 30 minutes, as a phone's wrong codes do."""
    now = now or timezone.now()
    token_hash = _plate_hash(token or "")
    key = f"plate:{token_hash}"
    until = _locked_until(key, now)
    if until:
        raise _locked_error(until)
    plate = (
        DoorPlate.objects.unrestricted("signing in with a door-plate card: the card scanned")
        .filter(token_hash=token_hash, revoked_at__isnull=True)
        .select_related("household__head")
        .first()
    )
    pin = re.sub(r"\s", "", pin or "")
    if plate is not None and hmac.compare_digest(plate.pin_hash, _pin_hash(token_hash, pin)):
        SignInFailure.objects.filter(phone_blind=key).delete()
        household = plate.household
        living = (
            Resident.objects.unrestricted("signing in with a door-plate card: who lives in the household")
            .filter(Resident.living_here(), household=household)
            .order_by("birth_date", "pk")
        )
        head = household.head if household.head and household.head.is_active else living.first()
        if head is None:
            raise ValidationError(_("No one lives in this household any more. Ask your village cadre."))
        return head
    _failed(key, ip_address, now)
    raise ValidationError({"pin": _("The PIN is wrong, or this card is no longer in use.")})


def door_plate_usable(token: str) -> bool:
    return (
        DoorPlate.objects.unrestricted("a scanned door-plate card: is it in use")
        .filter(token_hash=_plate_hash(token or ""), revoked_at__isnull=True)
        .exists()
    )
