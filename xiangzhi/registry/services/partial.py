"""Partial updates of a resident: one part of the record at a time, for callers that change only that part (a
resident's change request applied by a cadre) — `resident_update` wants every field. Same checks, search keys and
audit rows as the full update."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from xiangzhi.core.audit import audit_record, snapshot
from xiangzhi.core.permissions import can
from xiangzhi.core.scoping import require

from .. import permissions as perms
from .. import search
from ..choices import PhoneHolder
from ..models import Resident
from ._common import (
    PhoneInput,
    _check_free_text,
    _check_residence,
    _clean_identity,
    _duplicate_refused,
    _refuse_duplicate_id,
    _set_phones,
)

_CHECKED = "the service checked scope with require()"


def _locked(actor, resident: Resident) -> Resident:
    require(actor, perms.CHANGE, resident)
    return Resident.objects.unrestricted(_CHECKED).select_for_update().get(pk=resident.pk)


def _audited(actor, resident: Resident, before: dict) -> Resident:
    search.reindex_resident(resident)
    audit_record(
        actor=actor,
        action="registry.resident.update",
        target=resident,
        before=before,
        after=snapshot(resident),
    )
    return resident


@transaction.atomic
def resident_own_phone_set(*, actor, resident: Resident, number: str) -> Resident:
    """The resident's own number (holder self, the first of them) becomes `number`; numbers that reach them
    through someone else stay as they are. Without an own number, `number` is added first in line."""
    resident = _locked(actor, resident)
    before = snapshot(resident)
    phones = list(resident.phones.order_by("priority", "id"))
    own = next((p for p in phones if p.holder == PhoneHolder.SELF), None)
    kept = [
        PhoneInput(
            number=p.number, holder=p.holder, holder_name=p.holder_name, priority=p.priority, note=p.note
        )
        for p in phones
        if p is not own
    ]
    new = PhoneInput(number=number, priority=own.priority if own else 1, note=own.note if own else "")
    _set_phones(resident, [new, *kept])
    return _audited(actor, resident, before)


@transaction.atomic
def resident_residence_set(*, actor, resident: Resident, residence_status: str, note: str = "") -> Resident:
    """At home, working or studying away; `note` (where they work) is added to the notes. Death and moving out of
    the town end the membership instead (`membership_end`)."""
    resident = _locked(actor, resident)
    before = snapshot(resident)
    _check_residence(residence_status)
    _check_free_text(note=note)
    resident.residence_status = residence_status
    if note:
        resident.notes = (resident.notes + "\n" + note).strip()
    resident.save(update_fields=["residence_status", "notes", "updated_at"])
    return _audited(actor, resident, before)


@transaction.atomic
def resident_identity_correct(
    *, actor, resident: Resident, name: str | None = None, id_number: str | None = None
) -> Resident:
    """Correct the name and/or the ID number (sex and birth date follow the corrected number). Only who may see
    ID numbers may change one; the duplicate check is the last check, as in every write of an ID number."""
    resident = _locked(actor, resident)
    before = snapshot(resident)
    if name is not None:
        name = name.strip()
        if not name:
            raise ValidationError({"name": _("Enter the resident's name.")})
        _check_free_text(name=name)
        resident.name = name
    if id_number is not None:
        if not can(actor, perms.REVEAL_ID):
            raise ValidationError({"id_number": _("Only a village cadre may change an ID number.")})
        status, number, blind, sex, birth_date = _clean_identity(
            id_number=id_number, no_id_reason="", sex="", birth_date=None
        )
        if number != resident.id_number:
            _refuse_duplicate_id(actor=actor, number=number, blind=blind, exclude_pk=resident.pk)
        resident.id_status, resident.id_number, resident.id_blind = status, number, blind
        resident.sex, resident.birth_date, resident.no_id_reason = sex, birth_date, ""
    try:
        with transaction.atomic():
            resident.save()
    except IntegrityError:  # the same number registered at the same moment
        existing = Resident.objects.unrestricted("an ID number is registered once").get(
            id_blind=resident.id_blind
        )
        raise _duplicate_refused(actor=actor, number=resident.id_number or "", existing=existing) from None
    return _audited(actor, resident, before)
