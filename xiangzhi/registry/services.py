"""Every write to the registry. Each service is one transaction with its audit row and search keys."""

import contextlib
import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiangzhi.areas.models import VillageGroup
from xiangzhi.core.audit import audit_record, audit_save, snapshot
from xiangzhi.core.crypto import blind_index
from xiangzhi.core.masking import has_personal_number
from xiangzhi.core.permissions import can
from xiangzhi.core.scoping import require

from . import permissions as perms
from . import search
from .choices import LIVING_HERE, HouseholdStatus, IdStatus, MembershipEnd, Relationship, ResidenceStatus
from .idnumber import normalize_phone, parse_id_number
from .models import (
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


def _check_residence(status: str) -> None:
    if status not in LIVING_HERE:
        raise ValidationError(
            {"residence_status": _("Record a death or a move out of the town as the end of the membership.")}
        )


def _clean_identity(*, id_number: str | None, no_id_reason: str, sex: str, birth_date, exclude_pk=None):
    """ID number → (status, normalised number, blind index, sex, birth date), cross-checked against what was entered."""
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
    errors = {}
    if sex and sex != parsed.sex:
        errors["sex"] = _("The ID number says the resident is %(sex)s.") % {
            "sex": _("male") if parsed.sex == "M" else _("female")
        }
    if birth_date and birth_date != parsed.birth_date:
        errors["birth_date"] = _("The ID number gives the birth date %(date)s.") % {"date": parsed.birth_date}
    if errors:
        raise ValidationError(errors)
    blind = blind_index("id", parsed.number)
    existing = (
        Resident.objects.unrestricted("the service checked scope with require()")
        .filter(id_blind=blind)
        .exclude(pk=exclude_pk)
        .select_related("household")
        .first()
    )
    if existing:
        raise DuplicateIdNumber(existing)
    return IdStatus.PRESENT, parsed.number, blind, parsed.sex, parsed.birth_date


_PHONE_FIELDS = ("number", "blind", "holder", "holder_name", "priority", "note")


def _set_phones(resident: Resident, phones: list[PhoneInput]) -> None:
    """Update the resident's phones in place: a phone kept keeps its id, so audit rows of its reveals (and any
    other reference) still point at it. Inputs match rows by number first, then reuse the remaining rows in
    order; only rows left over are deleted."""
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


def _set_flags(resident: Resident, flags: list[FlagInput]) -> None:
    if any(f.flag.town_id != resident.town_id for f in flags):
        raise ValidationError({"flags": _("Choose among your town's flags.")})
    resident.flags.all().delete()
    ResidentFlag.objects.bulk_create(
        ResidentFlag(
            town_id=resident.town_id,
            resident=resident,
            flag=f.flag,
            level=f.level if f.flag.has_level else None,
        )
        for f in flags
    )


@transaction.atomic
def household_create(
    *,
    actor,
    group: VillageGroup,
    number: str,
    address: str = "",
    house_number: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
) -> Household:
    require(actor, perms.CHANGE, group)
    number = number.strip()
    if (
        Household.objects.unrestricted("the service checked scope with require()")
        .filter(town_id=group.town_id, number=number)
        .exists()
    ):
        raise ValidationError({"number": _("Household number %(number)s is taken.") % {"number": number}})
    household = Household.objects.create(
        town_id=group.town_id,
        village_id=group.village_id,
        group=group,
        number=number,
        address=address,
        house_number=house_number,
        latitude=latitude,
        longitude=longitude,
        confirmed_at=timezone.now(),
    )
    search.reindex_household(household)
    audit_record(actor=actor, action="registry.household.create", target=household, after=snapshot(household))
    return household


@transaction.atomic
def household_update(*, actor, household: Household, **fields) -> Household:
    require(actor, perms.CHANGE, household)
    before = snapshot(household)
    allowed = {"address", "house_number", "latitude", "longitude", "group"}
    for name, value in fields.items():
        if name not in allowed:
            raise TypeError(name)
        setattr(household, name, value)
    if "group" in fields:
        require(actor, perms.CHANGE, fields["group"])
        household.village_id = fields["group"].village_id
    household.confirmed_at = timezone.now()
    household.save()
    search.reindex_household(household)
    audit_record(
        actor=actor,
        action="registry.household.update",
        target=household,
        before=before,
        after=snapshot(household),
    )
    return household


@transaction.atomic
def household_confirm(*, actor, household: Household) -> Household:
    """A cadre or grid worker checked the household's data with the family: it is fresh as of now."""
    require(actor, perms.CHANGE, household)
    household.confirmed_at = timezone.now()
    household.save(update_fields=["confirmed_at", "updated_at"])
    audit_record(actor=actor, action="registry.household.confirm", target=household)
    return household


@transaction.atomic
def resident_add(
    *,
    actor,
    household: Household,
    relationship: str,
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
    _check_residence(residence_status)
    if not can(actor, perms.REVEAL_ID):
        # Who may not see ID numbers may not enter one either (grid workers, clerks): whatever came is ignored.
        id_number = None
    id_status, number, blind, sex, birth_date = _clean_identity(
        id_number=id_number, no_id_reason=no_id_reason, sex=sex, birth_date=birth_date
    )
    if not sex:
        raise ValidationError({"sex": _("Enter the resident's sex.")})
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
        raise DuplicateIdNumber(
            Resident.objects.unrestricted("the service checked scope with require()").get(id_blind=blind)
        ) from None
    Membership.objects.create(
        town_id=household.town_id, household=household, resident=resident, relationship=relationship
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
        after={**snapshot(resident), "relationship": relationship},
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
    if not can(actor, perms.REVEAL_ID):
        # Who may not see ID numbers may not change or erase them either (grid workers, clerks).
        id_number, no_id_reason = resident.id_number, resident.no_id_reason
    elif id_number is None and resident.id_number and not no_id_reason:
        id_number = resident.id_number  # a form that leaves the ID empty keeps it
    id_status, number, blind, sex, birth_date = _clean_identity(
        id_number=id_number, no_id_reason=no_id_reason, sex=sex, birth_date=birth_date, exclude_pk=resident.pk
    )
    if not sex:
        raise ValidationError({"sex": _("Enter the resident's sex.")})
    resident.name = name.strip()
    if not resident.name:
        raise ValidationError({"name": _("Enter the resident's name.")})
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


@transaction.atomic
def membership_end(*, actor, resident: Resident, reason: str, note: str = "") -> Membership:
    """Death, moving out of the town, or removal: the membership ends; nothing is deleted."""
    require(actor, perms.CHANGE, resident)
    if reason not in (MembershipEnd.DECEASED, MembershipEnd.MOVED_OUT, MembershipEnd.REMOVED):
        raise ValidationError(_("Choose death, moving away or removal."))
    _check_free_text(note=note)
    try:
        membership = _current_membership(resident)
    except Membership.DoesNotExist:
        raise ValidationError(_("This resident is no longer a member of a household.")) from None
    now = timezone.now()
    _end_membership(membership, reason, now)
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
        after={**snapshot(resident), "note": note},
    )
    return membership


def _move(resident: Resident, household: Household, relationship: str, reason: str, when) -> Membership:
    with contextlib.suppress(Membership.DoesNotExist):  # a resident who had moved out of the town
        _end_membership(_current_membership(resident), reason, when)
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
    )
    if relationship == Relationship.HEAD:
        household.head = resident
        household.save(update_fields=["head", "updated_at"])
    search.reindex_resident(resident)
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


@transaction.atomic
def household_change_head(
    *, actor, household: Household, new_head: Resident, relationships: dict[int, str]
) -> Household:
    """The new head becomes 户主; every other current member's relationship is restated relative to them."""
    require(actor, perms.CHANGE, household)
    household = (
        Household.objects.unrestricted("the service checked scope with require()")
        .select_for_update()
        .get(pk=household.pk)
    )
    current = {
        m.resident_id: m for m in household.memberships.select_for_update().filter(ended_at__isnull=True)
    }
    if new_head.pk not in current:
        raise ValidationError(_("The new head must be a current member of the household."))
    missing = [rid for rid in current if rid != new_head.pk and rid not in relationships]
    if missing:
        raise ValidationError(_("Give every other member's relationship to the new head."))
    before = {"head": household.head_id, **{str(k): m.relationship for k, m in current.items()}}
    for resident_id, membership in current.items():
        relationship = Relationship.HEAD if resident_id == new_head.pk else relationships[resident_id]
        if relationship == Relationship.HEAD and resident_id != new_head.pk:
            raise ValidationError(_("A household has one head."))
        if membership.relationship != relationship:
            membership.relationship = relationship
            membership.save(update_fields=["relationship"])
    household.head = new_head
    household.save(update_fields=["head", "updated_at"])
    audit_record(
        actor=actor,
        action="registry.household.change_head",
        target=household,
        before=before,
        after={"head": new_head.pk, **{str(k): m.relationship for k, m in current.items()}},
    )
    return household


@transaction.atomic
def household_split(
    *,
    actor,
    household: Household,
    members: dict[int, str],
    number: str,
    group: VillageGroup | None = None,
    address: str = "",
    house_number: str = "",
) -> Household:
    """分户: the listed members (resident id → relationship to the new head, one of them 户主) form a new household."""
    require(actor, perms.CHANGE, household)
    current = set(household.memberships.filter(ended_at__isnull=True).values_list("resident_id", flat=True))
    if not members or not set(members) <= current:
        raise ValidationError(_("Choose members of this household to split off."))
    if set(members) == current:
        raise ValidationError(_("At least one member must stay in the original household."))
    if list(members.values()).count(Relationship.HEAD) != 1:
        raise ValidationError(_("Choose exactly one head for the new household."))
    new = household_create(
        actor=actor,
        group=group or household.group,
        number=number,
        address=address or household.address,
        house_number=house_number,
    )
    now = timezone.now()
    for resident in Resident.objects.unrestricted("the service checked scope with require()").filter(
        pk__in=members
    ):
        _move(resident, new, members[resident.pk], MembershipEnd.SPLIT, now)
    audit_record(
        actor=actor,
        action="registry.household.split",
        target=household,
        after={"new_household": new.pk, "members": sorted(members)},
    )
    return new


@transaction.atomic
def household_merge(
    *, actor, source: Household, target: Household, relationships: dict[int, str]
) -> Household:
    """Every current member of `source` joins `target` (relationship to target's head); `source` closes."""
    require(actor, perms.CHANGE, source)
    require(actor, perms.CHANGE, target)
    if source.pk == target.pk:
        raise ValidationError(_("Choose two different households."))
    moving = list(
        Resident.objects.unrestricted("the service checked scope with require()").filter(
            memberships__household=source, memberships__ended_at__isnull=True
        )
    )
    if any(r.pk not in relationships for r in moving):
        raise ValidationError(_("Give every member's relationship to the head of the household they join."))
    if any(relationships[r.pk] == Relationship.HEAD for r in moving) and target.head_id:
        raise ValidationError(_("The household already has a head; change the head instead."))
    now = timezone.now()
    for resident in moving:
        _move(resident, target, relationships[resident.pk], MembershipEnd.MERGED, now)
    source.refresh_from_db()
    source.status = HouseholdStatus.CLOSED
    source.head = None
    source.save(update_fields=["status", "head", "updated_at"])
    audit_record(
        actor=actor,
        action="registry.household.merge",
        target=target,
        after={"source": source.pk, "members": [r.pk for r in moving]},
    )
    return target


@transaction.atomic
def resident_reveal_id(*, actor, resident: Resident) -> str:
    """The full ID number of one resident, for a permitted user; every reveal is logged."""
    require(actor, perms.REVEAL_ID, resident)
    audit_record(actor=actor, action="registry.resident.reveal_id", target=resident)
    return resident.id_number or ""


@transaction.atomic
def phone_reveal(*, actor, phone: ContactPhone, purpose: Literal["show", "call"] = "show") -> str:
    """The full number of one phone, for a permitted user, to show it or to hand it to the dialer (`purpose`: two
    actions in the log). The audit row says what was revealed (masked) and whose it is by itself, so it still
    reads right after the phone is changed or deleted."""
    require(actor, perms.REVEAL_PHONE, phone)
    audit_record(
        actor=actor,
        action={"show": "registry.phone.reveal", "call": "registry.phone.call"}[purpose],
        target=phone.resident,
        after={
            "phone": phone.pk,
            "number": phone.number_masked,
            "holder": phone.holder,
            "holder_name": phone.holder_name,
            "resident": phone.resident_id,
        },
    )
    return phone.number


# ----------------------------------------------------------------------------------------------- town set-up

# The flags of the BRIEF every new town starts with (code, name, highlighted in an emergency, has a level).
DEFAULT_FLAGS = [
    ("dibao", "低保", False, False),
    ("tekun", "特困", True, False),
    ("disabled", "残疾", True, True),
    ("elderly_alone", "独居老人", True, False),
    ("left_behind_elderly", "留守老人", True, False),
    ("left_behind_child", "留守儿童", True, False),
    ("lifted_poverty", "脱贫户", False, False),
    ("relapse_watch", "防返贫监测对象", False, False),
    ("party_member", "党员", False, False),
    ("veteran", "退役军人", False, False),
]


def town_flags_seed(*, town) -> list[FlagType]:
    """Give a new town the default flags (idempotent: flags it already has are kept as they are)."""
    existing = set(
        FlagType.objects.unrestricted("set-up of a town no user acts in yet")
        .filter(town=town)
        .values_list("code", flat=True)
    )
    return FlagType.objects.bulk_create(
        [
            FlagType(town=town, code=code, name=name, emergency=emergency, has_level=has_level, sort=sort)
            for sort, (code, name, emergency, has_level) in enumerate(DEFAULT_FLAGS)
            if code not in existing
        ]
    )


@transaction.atomic
def flag_type_save(
    *,
    actor,
    flag: FlagType | None = None,
    code: str = "",
    name: str,
    emergency: bool = False,
    has_level: bool = False,
    sort: int = 0,
) -> FlagType:
    """Add a flag residents of the actor's town can carry, or change one of its flags; a flag's code never changes
    (exports and the API use it)."""
    require(actor, perms.CONFIGURE, flag)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Enter the name.")})
    if flag is None:
        if FlagType.objects.restrict(actor, perms.CONFIGURE).filter(code=code).exists():
            raise ValidationError({"code": _("This code is taken.")})
        flag = FlagType(town_id=actor.town_id, code=code)
    flag.name, flag.emergency, flag.has_level, flag.sort = name, emergency, has_level, sort
    audit_save(actor=actor, obj=flag, action_prefix="registry.flag")
    return flag
