"""What the registry's services share: input records, the checks every write makes, and the steps several
services take (phones, flags, memberships)."""

import contextlib
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from xiangzhi.core.audit import audit_over_limit, audit_record_lasting
from xiangzhi.core.crypto import blind_index
from xiangzhi.core.masking import digit_runs, has_personal_number, mask_id_number

from .. import search
from ..choices import LIVING_HERE, IdStatus, MembershipEnd, MembershipStart, Relationship, ResidenceStatus
from ..idnumber import normalize_phone, parse_id_number
from ..models import (
    ContactPhone,
    FlagType,
    Household,
    Membership,
    Resident,
    ResidentFlag,
)


class DuplicateIdNumber(ValidationError):
    """The ID number belongs to someone else; `existing` is that resident (shown only to who may see it)."""

    def __init__(self, existing: Resident):
        self.existing = existing
        super().__init__(_("This ID number is already registered to another resident."), code="id_duplicate")


@dataclass(frozen=True)
class PhoneInput:
    number: str
    holder: str = "self"
    holder_name: str = ""
    priority: int = 1
    note: str = ""


@dataclass(frozen=True)
class FlagInput:
    flag: FlagType
    level: int | None = None


def _check_free_text(**texts: str) -> None:
    """Numbers belong in the phone and ID fields (encrypted, masked), never in notes shown in clear."""
    errors = {
        name: _("Put phone and ID numbers in their own fields, not in this text.")
        for name, text in texts.items()
        if has_personal_number(text)
    }
    if errors:
        raise ValidationError(errors, code="number_in_text")


_MOBILE = re.compile(r"1[3-9][0-9]{9}")


def _check_household_number(number: str) -> None:
    """A household number (户号) is shown in clear everywhere, and real ones are often long runs of digits from the
    户籍 system (`500111108000123`): it is refused only when it *is* a personal number — a mobile phone number or an
    ID number with a valid date and check character."""
    for run in digit_runs(number):
        if _MOBILE.fullmatch(run) or (len(run) in (15, 18) and _is_id_number(run)):
            raise ValidationError(
                {"number": _("This is a phone or ID number; put it in the resident's own field.")},
                code="number_in_text",
            )


def _is_id_number(digits: str) -> bool:
    try:
        parse_id_number(digits)
    except ValidationError:
        return False
    return True


def _check_residence(status: str) -> None:
    if status not in LIVING_HERE:
        raise ValidationError(
            {"residence_status": _("Record a death or a move out of the town as the end of the membership.")}
        )


def _clean_identity(*, id_number: str | None, no_id_reason: str, sex: str, birth_date, typed: bool = True):
    """ID number → (status, normalised number, blind index, sex, birth date). A number the user typed is
    cross-checked against the sex and birth date entered with it; a number kept from the record (`typed=False`,
    e.g. for a user who may not see it) is not: the answer would tell the birth date its mask hides."""
    if not id_number:
        if not no_id_reason:
            raise ValidationError(
                {"id_number": _("Enter the ID number, or say why the resident has none.")}, code="id_required"
            )
        return IdStatus.NONE, None, None, sex, birth_date
    try:
        parsed = parse_id_number(id_number)
    except ValidationError as exc:
        raise ValidationError({"id_number": exc.error_list}) from None
    if not typed:
        return (
            IdStatus.PRESENT,
            parsed.number,
            blind_index("id", parsed.number),
            parsed.sex,
            parsed.birth_date,
        )
    errors = {}
    if sex and sex != parsed.sex:
        errors["sex"] = _("The ID number says the resident is %(sex)s.") % {
            "sex": _("male") if parsed.sex == "M" else _("female")
        }
    if birth_date and birth_date != parsed.birth_date:
        errors["birth_date"] = _("The birth date does not match the ID number.")
    if errors:
        raise ValidationError(errors)
    return IdStatus.PRESENT, parsed.number, blind_index("id", parsed.number), parsed.sex, parsed.birth_date


def _refuse_duplicate_id(*, actor, number: str | None, blind: str | None, exclude_pk=None) -> None:
    """The last check before a write with an ID number: is it someone else's? Every other check has passed by
    now, so a probe must be a write that would otherwise happen (visible, audited). Each refusal is an audit row
    that outlives the rolled-back write, and a user who met too many in the last hour may not enter ID numbers for
    a while: validation is no oracle for numbers the user may not reveal."""
    if not number:
        return
    since = timezone.now() - settings.XIANGZHI_DUPLICATE_ID_WINDOW
    limit = settings.XIANGZHI_DUPLICATE_ID_LIMIT
    if audit_over_limit(actor=actor, action=DUPLICATE_ID_ACTION, since=since, limit=limit - 1):
        raise ValidationError(
            {
                "id_number": _(
                    "Too many ID numbers you entered were already registered; try again in an hour."
                )
            },
            code="id_duplicate_limit",
        )
    existing = (
        Resident.objects.unrestricted("an ID number is registered once in the whole database")
        .filter(id_blind=blind)
        .exclude(pk=exclude_pk)
        .select_related("household")
        .first()
    )
    if existing:
        raise _duplicate_refused(actor=actor, number=number, existing=existing)


def _duplicate_refused(*, actor, number: str, existing: Resident) -> DuplicateIdNumber:
    """The refusal of an ID number already registered, with its lasting audit row (it counts for the limit)."""
    audit_record_lasting(
        actor=actor, action=DUPLICATE_ID_ACTION, town=actor.town, after={"id_number": mask_id_number(number)}
    )
    return DuplicateIdNumber(existing)


DUPLICATE_ID_ACTION = "registry.resident.duplicate_id"


_PHONE_FIELDS = ("number", "blind", "holder", "holder_name", "priority", "note")


def _clean_phones(phones: list[PhoneInput]) -> list[dict]:
    """The phones as rows to store, or a ValidationError naming each bad one."""
    errors = []
    wanted = []
    for i, phone in enumerate(phones):
        try:
            number = normalize_phone(phone.number)
        except ValidationError as exc:
            errors.append(f"{i + 1}: {exc.messages[0]}")
            continue
        if has_personal_number(phone.holder_name) or has_personal_number(phone.note):
            errors.append(f"{i + 1}: " + _("Put phone and ID numbers in their own fields, not in this text."))
            continue
        wanted.append(
            {
                "number": number,
                "blind": blind_index("phone", number),
                "holder": phone.holder,
                "holder_name": phone.holder_name,
                "priority": phone.priority,
                "note": phone.note,
            }
        )
    if errors:
        raise ValidationError({"phones": errors})
    return wanted


def _set_phones(resident: Resident, phones: list[PhoneInput]) -> None:
    """Update the resident's phones in place: a phone kept keeps its id, so audit rows of its reveals (and any
    other reference) still point at it. Inputs match rows by number first, then reuse the remaining rows in
    order; only rows left over are deleted."""
    wanted = _clean_phones(phones)
    unused = list(resident.phones.order_by("priority", "id"))
    rows: list[ContactPhone | None] = []
    for values in wanted:
        row = next((p for p in unused if p.blind == values["blind"]), None)
        if row is not None:
            unused.remove(row)
        rows.append(row)
    for i, row in enumerate(rows):
        if row is None and unused:
            rows[i] = unused.pop(0)
    ContactPhone.objects.unrestricted("the service checked scope with require()").filter(
        pk__in=[p.pk for p in unused]
    ).delete()
    for row, values in zip(rows, wanted, strict=True):
        if row is None:
            ContactPhone.objects.create(town_id=resident.town_id, resident=resident, **values)
            continue
        changed = [f for f in _PHONE_FIELDS if getattr(row, f) != values[f]]
        if changed:
            for f in changed:
                setattr(row, f, values[f])
            row.save(update_fields=changed)


def _clean_flags(town_id: int, flags: list[FlagInput]) -> dict[FlagType, int | None]:
    """Flag → level to store. A flag listed twice with the same level is one flag; with two levels it is a question
    only the user can answer, so it is refused (never the IntegrityError of `resident_flag_once`)."""
    if any(f.flag.town_id != town_id for f in flags):
        raise ValidationError({"flags": _("Choose among your town's flags.")})
    levels: dict[FlagType, int | None] = {}
    for f in flags:
        level = f.level if f.flag.has_level else None
        if levels.setdefault(f.flag, level) != level:
            raise ValidationError(
                {"flags": _("%(flag)s is listed twice with different levels.") % {"flag": f.flag.name}},
                code="flag_twice",
            )
    return levels


def _set_flags(resident: Resident, flags: list[FlagInput]) -> None:
    levels = _clean_flags(resident.town_id, flags)
    resident.flags.all().delete()
    ResidentFlag.objects.bulk_create(
        ResidentFlag(town_id=resident.town_id, resident=resident, flag=flag, level=level)
        for flag, level in levels.items()
    )


def _current_membership(resident: Resident) -> Membership:
    return (
        Membership.objects.unrestricted("the service checked scope with require()")
        .select_for_update()
        .get(resident=resident, ended_at__isnull=True)
    )


def _end_membership(membership: Membership, reason: str, when) -> None:
    membership.ended_at = when
    membership.end_reason = reason
    membership.save(update_fields=["ended_at", "end_reason"])
    household = membership.household
    if household.head_id == membership.resident_id:
        household.head = None
        household.save(update_fields=["head", "updated_at"])


_END_ACTION = {
    MembershipEnd.DECEASED: "registry.membership.end_deceased",
    MembershipEnd.MOVED_OUT: "registry.membership.end_moved_out",
    MembershipEnd.REMOVED: "registry.membership.end_removed",
}
_END_STATUS = {
    MembershipEnd.DECEASED: ResidenceStatus.DECEASED,
    MembershipEnd.MOVED_OUT: ResidenceStatus.MOVED_OUT,
    # Removed from the household without another one in the town: no longer living here.
    MembershipEnd.REMOVED: ResidenceStatus.MOVED_OUT,
}


# How a move's new membership began, by how the old one ended (`_move`).
_START_OF = {
    MembershipEnd.MOVED: MembershipStart.MOVED,
    MembershipEnd.SPLIT: MembershipStart.SPLIT,
    MembershipEnd.MERGED: MembershipStart.MERGED,
}


def _move(resident: Resident, household: Household, relationship: str, reason: str, when) -> Membership:
    """End the resident's membership for `reason` (moved, split, merged) and start one in `household` for the
    same reason; a resident who had left the town (no current membership) comes back: moved in from outside."""
    start_reason = MembershipStart.MOVED_IN
    with contextlib.suppress(Membership.DoesNotExist):  # a resident who had moved out of the town
        _end_membership(_current_membership(resident), reason, when)
        start_reason = _START_OF[reason]
    resident.household = household
    resident.town_id = household.town_id
    if resident.residence_status in (ResidenceStatus.MOVED_OUT,):
        resident.residence_status = ResidenceStatus.AT_HOME
    resident.save(update_fields=["household", "town", "residence_status", "updated_at"])
    membership = Membership.objects.create(
        town_id=household.town_id,
        household=household,
        resident=resident,
        relationship=relationship,
        started_at=when,
        start_reason=start_reason,
    )
    if relationship == Relationship.HEAD:
        household.head = resident
        household.save(update_fields=["head", "updated_at"])
    search.reindex_resident(resident)
    return membership
