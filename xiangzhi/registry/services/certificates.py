"""Printed documents: the household card (an export of personal data, logged) and certificates of residence
(居住证明), numbered per town and year without gaps or duplicates, each issue and each print logged."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from xiangzhi.core.audit import audit_record
from xiangzhi.core.masking import has_personal_number
from xiangzhi.core.scoping import require

from .. import permissions as perms
from ..choices import ResidenceStatus
from ..models import CertificateCounter, Household, ResidenceCertificate, Resident

_COUNTER = "the town's own counter, taken by a service that checked scope with require()"


@transaction.atomic
def household_card_print(*, actor, household: Household, size: str) -> None:
    """Log the print of a household card: it leaves the building with the household's people on it."""
    require(actor, perms.PRINT_CARD, household)
    audit_record(actor=actor, action="registry.household.print", target=household, after={"size": size})


def _next_number(town_id: int, year: int) -> int:
    """The town's next certificate number of the year. The UPDATE locks the counter row until the issue commits:
    a concurrent issue waits for it (PostgreSQL) or cannot start its write at all (SQLite's immediate
    transactions), so no two certificates get one number, and a failed issue rolls its number back."""
    counters = CertificateCounter.objects.unrestricted(_COUNTER)
    # a year's first issue makes the row; of two at once, one insert waits on the unique index and then reads it
    counter, _created = counters.get_or_create(town_id=town_id, year=year)
    counters.filter(pk=counter.pk).update(last=F("last") + 1)
    return counters.values_list("last", flat=True).get(pk=counter.pk)


def _purpose(text: str) -> str:
    purpose = " ".join((text or "").split()).removeprefix("用于").strip(" 。.")
    if not purpose:
        raise ValidationError({"purpose": _("Say what the certificate is for.")})
    if len(purpose) > 100:
        raise ValidationError({"purpose": _("Keep the purpose under 100 characters.")})
    if has_personal_number(purpose):
        raise ValidationError({"purpose": _("The purpose must not carry a phone or ID number.")})
    return purpose


@transaction.atomic
def certificate_issue(*, actor, resident: Resident, purpose: str) -> ResidenceCertificate:
    """Issue a certificate of residence for a resident living at home: the next number of the town's year, what
    it states kept as issued, and an audit row in the same transaction."""
    require(actor, perms.CERTIFY, resident)
    purpose = _purpose(purpose)
    if resident.residence_status != ResidenceStatus.AT_HOME:
        raise ValidationError(
            _("%(name)s is recorded as “%(status)s”: a certificate of residence says the person lives here.")
            % {"name": resident.name, "status": resident.get_residence_status_display()}
        )
    household = resident.household
    place = f"{household.village.name}{household.group.name}"
    issued_at = timezone.now()
    year = timezone.localtime(issued_at).year
    certificate = ResidenceCertificate.objects.create(
        town_id=resident.town_id,
        resident=resident,
        household=household,
        year=year,
        sequence=_next_number(resident.town_id, year),
        purpose=purpose,
        name=resident.name,
        place=place,
        address=household.address or place,
        issued_by=actor,
        issued_at=issued_at,
    )
    audit_record(
        actor=actor,
        action="registry.certificate.issue",
        target=resident,
        after={"certificate": certificate.serial, "purpose": purpose},
    )
    return certificate


def certificate_id_number(*, actor, certificate: ResidenceCertificate) -> str:
    """The ID number the certificate carries: in full for whoever may reveal the resident's ID number (printing
    it is then the logged reveal, `certificate_print`), masked for anyone else."""
    resident = certificate.resident
    may_reveal = Resident.objects.restrict(actor, perms.REVEAL_ID).filter(pk=resident.pk).exists()
    return (resident.id_number or "") if may_reveal else resident.id_number_masked


@transaction.atomic
def certificate_print(*, actor, certificate: ResidenceCertificate, size: str) -> str:
    """Log a print of an issued certificate (the same number every time) and return the ID number to print on it:
    the row says whether it was printed in full, so it is the reveal's log."""
    require(actor, perms.CERTIFY, certificate)
    id_number = certificate_id_number(actor=actor, certificate=certificate)
    audit_record(
        actor=actor,
        action="registry.certificate.print",
        target=certificate.resident,
        after={
            "certificate": certificate.serial,
            "size": size,
            "id_in_full": bool(id_number) and "*" not in id_number,
        },
    )
    return id_number
