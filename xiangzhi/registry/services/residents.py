"""Residents: add a member, update one, end a membership (death, moving away, removal) and move to another
household."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiangzhi.core.audit import audit_record, snapshot
from xiangzhi.core.permissions import can
from xiangzhi.core.scoping import require

from .. import permissions as perms
from .. import search
from ..choices import (
    ADD_MEMBER_REASONS,
    HouseholdStatus,
    MembershipEnd,
    MembershipStart,
    Relationship,
    ResidenceStatus,
)
from ..models import (
    Household,
    Membership,
    Resident,
)
from ._common import (
    _END_ACTION,
    _END_STATUS,
    FlagInput,
    PhoneInput,
    _check_free_text,
    _check_residence,
    _clean_flags,
    _clean_identity,
    _clean_phones,
    _current_membership,
    _duplicate_refused,
    _end_membership,
    _move,
    _refuse_duplicate_id,
    _set_flags,
    _set_phones,
)


def _joined_at(start_reason: str, birth_date: datetime.date | None) -> datetime.datetime:
    """A newborn joins the household on the day of birth, however late the cadre records it: the card's history
    and the population changes (births of the month) date the birth, not the typing. Any other arrival, and a
    birth without a known date or recorded on its day: now."""
    now = timezone.now()
    if start_reason != MembershipStart.BIRTH or birth_date is None or birth_date >= timezone.localdate():
        return now
    return timezone.make_aware(datetime.datetime.combine(birth_date, datetime.time.min))


@transaction.atomic
def resident_add(
    *,
    actor,
    household: Household,
    relationship: str,
    start_reason: str,
    name: str,
    sex: str = "",
    birth_date: datetime.date | None = None,
    id_number: str | None = None,
    no_id_reason: str = "",
    residence_status: str = ResidenceStatus.AT_HOME,
    notes: str = "",
    phones: list[PhoneInput] = (),
    flags: list[FlagInput] = (),
) -> Resident:
    require(actor, perms.CHANGE, household)
    household = (
        Household.objects.unrestricted("the service checked scope with require()")
        .select_for_update()
        .get(pk=household.pk)
    )
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Enter the resident's name.")})
    if household.status != HouseholdStatus.ACTIVE:
        raise ValidationError(_("This household is closed."))
    _check_free_text(name=name, notes=notes, no_id_reason=no_id_reason)
    if relationship == Relationship.HEAD and household.head_id:
        raise ValidationError(
            {"relationship": _("The household already has a head; change the head instead.")}
        )
    if start_reason not in ADD_MEMBER_REASONS:
        raise ValidationError({"start_reason": _("Choose why they join the household.")})
    _check_residence(residence_status)
    if not can(actor, perms.REVEAL_ID):
        # Who may not see ID numbers may not enter one either (grid workers, clerks): whatever came is ignored.
        id_number = None
    id_status, number, blind, sex, birth_date = _clean_identity(
        id_number=id_number, no_id_reason=no_id_reason, sex=sex, birth_date=birth_date
    )
    if not sex:
        raise ValidationError({"sex": _("Enter the resident's sex.")})
    _clean_phones(list(phones))
    _clean_flags(household.town_id, list(flags))
    _refuse_duplicate_id(actor=actor, number=number, blind=blind)
    try:
        with transaction.atomic():
            resident = Resident.objects.create(
                town_id=household.town_id,
                household=household,
                name=name,
                sex=sex,
                birth_date=birth_date,
                id_status=id_status,
                id_number=number,
                id_blind=blind,
                no_id_reason=no_id_reason if not number else "",
                residence_status=residence_status,
                notes=notes,
            )
    except IntegrityError:  # a concurrent registration of the same ID number
        existing = Resident.objects.unrestricted("an ID number is registered once").get(id_blind=blind)
        raise _duplicate_refused(actor=actor, number=number, existing=existing) from None
    Membership.objects.create(
        town_id=household.town_id,
        household=household,
        resident=resident,
        relationship=relationship,
        start_reason=start_reason,
        started_at=_joined_at(start_reason, birth_date),
    )
    _set_phones(resident, list(phones))
    _set_flags(resident, list(flags))
    if relationship == Relationship.HEAD:
        household.head = resident
        household.save(update_fields=["head", "updated_at"])
    search.reindex_resident(resident)
    audit_record(
        actor=actor,
        action="registry.resident.add",
        target=resident,
        after={**snapshot(resident), "relationship": relationship, "start_reason": start_reason},
    )
    return resident


@transaction.atomic
def resident_update(
    *,
    actor,
    resident: Resident,
    name: str,
    sex: str,
    birth_date: datetime.date | None,
    id_number: str | None,
    no_id_reason: str = "",
    residence_status: str,
    notes: str = "",
    phones: list[PhoneInput] | None = None,
    flags: list[FlagInput] | None = None,
) -> Resident:
    require(actor, perms.CHANGE, resident)
    resident = (
        Resident.objects.unrestricted("the service checked scope with require()")
        .select_for_update()
        .get(pk=resident.pk)
    )
    before = snapshot(resident)
    if residence_status != resident.residence_status:
        _check_residence(residence_status)
    _check_free_text(name=name, notes=notes, no_id_reason=no_id_reason)
    typed = True
    if not can(actor, perms.REVEAL_ID):
        # Who may not see ID numbers may not change or erase them either (grid workers, clerks).
        id_number, no_id_reason, typed = resident.id_number, resident.no_id_reason, False
    elif id_number is None and resident.id_number and not no_id_reason:
        id_number, typed = resident.id_number, False  # a form that leaves the ID empty keeps it
    id_status, number, blind, sex, birth_date = _clean_identity(
        id_number=id_number, no_id_reason=no_id_reason, sex=sex, birth_date=birth_date, typed=typed
    )
    if not sex:
        raise ValidationError({"sex": _("Enter the resident's sex.")})
    if not name.strip():
        raise ValidationError({"name": _("Enter the resident's name.")})
    if phones is not None:
        _clean_phones(phones)
    if flags is not None:
        _clean_flags(resident.town_id, flags)
    if number != resident.id_number:
        _refuse_duplicate_id(actor=actor, number=number, blind=blind, exclude_pk=resident.pk)
    resident.name = name.strip()
    resident.sex, resident.birth_date = sex, birth_date
    resident.id_status, resident.id_number, resident.id_blind = id_status, number, blind
    resident.no_id_reason = no_id_reason if not number else ""
    resident.residence_status, resident.notes = residence_status, notes
    resident.save()
    if phones is not None:
        _set_phones(resident, phones)
    if flags is not None:
        _set_flags(resident, flags)
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
def membership_end(
    *, actor, resident: Resident, reason: str, note: str = "", date: datetime.date | None = None
) -> Membership:
    """Death, moving out of the town, or removal on `date` (today when not given; never in the future, never before
    the membership began): the membership ends; nothing is deleted."""
    require(actor, perms.CHANGE, resident)
    if reason not in (MembershipEnd.DECEASED, MembershipEnd.MOVED_OUT, MembershipEnd.REMOVED):
        raise ValidationError({"reason": _("Choose death, moving away or removal.")})
    _check_free_text(note=note)
    try:
        membership = _current_membership(resident)
    except Membership.DoesNotExist:
        raise ValidationError(_("This resident is no longer a member of a household.")) from None
    today = timezone.localdate()
    if date is not None and date > today:
        raise ValidationError({"date": _("The date cannot be in the future.")}, code="date_future")
    started = timezone.localdate(membership.started_at)
    if date is not None and date < started:
        raise ValidationError(
            {
                "date": _("The resident joined this household on %(date)s; choose a later date.")
                % {"date": started}
            },
            code="date_before_start",
        )
    # today: the moment of the write; an earlier day: its start, so the order of the rows stays the order of days
    now = timezone.now()
    when = (
        now
        if date in (None, today)
        else timezone.make_aware(datetime.datetime.combine(date, datetime.time.min))
    )
    _end_membership(membership, reason, max(when, membership.started_at))
    before = snapshot(resident)
    resident.residence_status = _END_STATUS[reason]
    if note:
        resident.notes = (resident.notes + "\n" + note).strip()
    resident.save(update_fields=["residence_status", "notes", "updated_at"])
    audit_record(
        actor=actor,
        action=_END_ACTION[reason],
        target=resident,
        before=before,
        after={**snapshot(resident), "note": note, "date": (date or today).isoformat()},
    )
    return membership


@transaction.atomic
def resident_move(*, actor, resident: Resident, household: Household, relationship: str) -> Membership:
    require(actor, perms.CHANGE, resident)
    require(actor, perms.CHANGE, household)
    if resident.residence_status == ResidenceStatus.DECEASED:
        raise ValidationError(_("A deceased resident cannot be moved."))
    if resident.household_id == household.pk:
        raise ValidationError(_("The resident is already in this household."))
    if relationship == Relationship.HEAD and household.head_id:
        raise ValidationError(
            {"relationship": _("The household already has a head; change the head instead.")}
        )
    before = snapshot(resident)
    membership = _move(resident, household, relationship, MembershipEnd.MOVED, timezone.now())
    audit_record(
        actor=actor,
        action="registry.resident.move",
        target=resident,
        before=before,
        after={**snapshot(resident), "relationship": relationship},
    )
    return membership
