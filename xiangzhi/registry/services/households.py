"""Households: create, update, confirm with the family, change the head, split (分户) and merge."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiangzhi.areas.models import VillageGroup
from xiangzhi.core.audit import audit_record, snapshot
from xiangzhi.core.scoping import require

from .. import permissions as perms
from .. import search
from ..choices import HouseholdStatus, MembershipEnd, Relationship
from ..models import (
    Household,
    Resident,
)
from ._common import (
    _check_free_text,
    _check_household_number,
    _move,
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
    # Shown in clear on every card, list and export: no phone or ID number in them.
    _check_household_number(number)
    _check_free_text(address=address, house_number=house_number)
    if (
        Household.objects.unrestricted("the service checked scope with require()")
        .filter(village_id=group.village_id, number=number)
        .exists()
    ):
        raise ValidationError(
            {"number": _("Household number %(number)s is taken in this village.") % {"number": number}}
        )
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
def household_confirm(*, actor, household: Household) -> Household:
    """A cadre or grid worker checked the household's data with the family: it is fresh as of now."""
    require(actor, perms.CHANGE, household)
    household.confirmed_at = timezone.now()
    household.save(update_fields=["confirmed_at", "updated_at"])
    audit_record(actor=actor, action="registry.household.confirm", target=household)
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
