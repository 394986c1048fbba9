"""Households: create, update, confirm with the family, change the head, split (分户) and merge."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiangzhi.areas.models import VillageGroup
from xiangzhi.core.audit import audit_record, snapshot
from xiangzhi.core.scoping import require

from .. import permissions as perms
from .. import search
from ..choices import HouseholdStatus, MembershipEnd, Relationship
from ..idnumber import is_ascii_digits
from ..models import (
    Household,
    Resident,
)
from ._common import (
    _check_free_text,
    _check_household_number,
    _move,
)

# 户号, the town's pattern: the village's code within the town (the last 3 digits of its 12-digit statistical
# division code; 000 for a village without one), the group's number (2 digits) and the household's sequence in the
# group (3 digits): 00108016 is household 16 of group 8 of village 001. The demo town is numbered so.
SEQUENCE_DIGITS = 3


def household_number_prefix(group: VillageGroup) -> str:
    code = group.village.code
    return f"{code[-3:] if code else '000'}{group.number:02d}"


def household_number_fits(*, group: VillageGroup, number: str) -> bool:
    prefix = household_number_prefix(group)
    sequence = number[len(prefix) :]
    return (
        number.startswith(prefix)
        and len(sequence) == SEQUENCE_DIGITS
        and is_ascii_digits(sequence)
        and int(sequence) > 0
    )


def household_number_next(*, group: VillageGroup) -> str:
    """The next free number of the group in the town's pattern: one past the highest taken (a number of a closed
    household is never given again). Proposed on the forms; `household_create` takes it under a lock."""
    prefix = household_number_prefix(group)
    taken = (
        Household.objects.unrestricted(
            "the numbers taken in the village, to propose a free one; none is shown"
        )
        .filter(village_id=group.village_id, number__startswith=prefix)
        .values_list("number", flat=True)
    )
    highest = max(
        (int(n[len(prefix) :]) for n in taken if household_number_fits(group=group, number=n)), default=0
    )
    if highest + 1 >= 10**SEQUENCE_DIGITS:
        raise ValidationError(
            {"number": _("%(group)s has no free household number left; type one.") % {"group": group.name}},
            code="number_full",
        )
    return f"{prefix}{highest + 1:0{SEQUENCE_DIGITS}d}"


def household_number_check(*, group: VillageGroup, number: str) -> None:
    """A number a cadre typed must fit the town's pattern for the chosen group; the error shows the form expected."""
    if not household_number_fits(group=group, number=number.strip()):
        prefix = household_number_prefix(group)
        raise ValidationError(
            {
                "number": _(
                    "A household number of %(group)s has %(length)d digits: %(prefix)s (village and group) and a "
                    "%(digits)d-digit sequence, for example %(example)s. Leave it empty to get the next free one."
                )
                % {
                    "group": f"{group.village.name} {group.name}",
                    "length": len(prefix) + SEQUENCE_DIGITS,
                    "prefix": prefix,
                    "digits": SEQUENCE_DIGITS,
                    "example": f"{prefix}{1:0{SEQUENCE_DIGITS}d}",
                }
            },
            code="number_pattern",
        )


def _taken(number: str) -> ValidationError:
    return ValidationError(
        {"number": _("Household number %(number)s is taken in this village.") % {"number": number}},
        code="number_taken",
    )


NUMBER_ATTEMPTS = 5


@transaction.atomic
def household_create(
    *,
    actor,
    group: VillageGroup,
    number: str = "",
    address: str = "",
    house_number: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
) -> Household:
    """A new household in `group`. Without a number it gets the group's next free one (`household_number_next`),
    taken under a lock on the group's row, and retried should another write take it first (the number is unique
    in its village); a number given is kept as it is (the pages check the pattern first: the API also takes the
    numbers of the 户籍 system)."""
    require(actor, perms.CHANGE, group)
    number = number.strip()
    # Shown in clear on every card, list and export: no phone or ID number in them.
    if number:
        _check_household_number(number)
    _check_free_text(address=address, house_number=house_number)
    fields = {
        "town_id": group.town_id,
        "village_id": group.village_id,
        "group": group,
        "address": address,
        "house_number": house_number,
        "latitude": latitude,
        "longitude": longitude,
        "confirmed_at": timezone.now(),
    }
    if number:
        if (
            Household.objects.unrestricted("the service checked scope with require()")
            .filter(village_id=group.village_id, number=number)
            .exists()
        ):
            raise _taken(number)
        household = _insert(number, fields)
    else:
        # one generator per group at a time (PostgreSQL); SQLite runs writes one at a time anyway
        VillageGroup.objects.unrestricted("the service checked scope with require()").select_for_update().get(
            pk=group.pk
        )
        household = None
        for _attempt in range(NUMBER_ATTEMPTS):
            number = household_number_next(group=group)
            household = _insert(number, fields, retry=True)
            if household is not None:
                break
        if household is None:
            raise _taken(number)
    search.reindex_household(household)
    audit_record(actor=actor, action="registry.household.create", target=household, after=snapshot(household))
    return household


def _insert(number: str, fields: dict, retry: bool = False) -> Household | None:
    """Insert in a savepoint: a number another transaction took since the check is an answer, not a 500."""
    try:
        with transaction.atomic():
            return Household.objects.create(number=number, **fields)
    except IntegrityError:
        if retry:
            return None
        raise _taken(number) from None


@transaction.atomic
def household_update(*, actor, household: Household, **fields) -> Household:
    require(actor, perms.CHANGE, household)
    before = snapshot(household)
    allowed = {"address", "house_number", "latitude", "longitude", "group"}
    for name, value in fields.items():
        if name not in allowed:
            raise TypeError(name)
        setattr(household, name, value)
    _check_free_text(**{name: fields[name] for name in ("address", "house_number") if fields.get(name)})
    if "group" in fields:
        require(actor, perms.CHANGE, fields["group"])
        if (
            fields["group"].village_id != household.village_id
            and Household.objects.unrestricted("the service checked scope with require()")
            .filter(village_id=fields["group"].village_id, number=household.number)
            .exists()
        ):
            raise ValidationError(
                {
                    "group": _("Household number %(number)s is taken in that village.")
                    % {"number": household.number}
                }
            )
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
def household_confirm(*, actor, household: Household, via: str = "card") -> Household:
    """The household's data was checked with the family — by a cadre or grid worker (on the card, on a visit) or
    by a resident of the household on their own page ("信息无变化"): it is fresh as of now."""
    require(actor, perms.CONFIRM, household)
    household.confirmed_at = timezone.now()
    household.save(update_fields=["confirmed_at", "updated_at"])
    audit_record(actor=actor, action="registry.household.confirm", target=household, after={"via": via})
    return household


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
    new.split_from = household
    new.save(update_fields=["split_from", "updated_at"])
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
