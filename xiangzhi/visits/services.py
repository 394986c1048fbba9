"""Logging a visit, with what it found applied to the registry through the registry's own services; setting how
often each kind of flagged resident is visited."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiangzhi.core.audit import audit_record, snapshot
from xiangzhi.core.files import photo_clean, photo_thumbnail, written_or_removed
from xiangzhi.core.masking import has_personal_number
from xiangzhi.core.scoping import require
from xiangzhi.registry.models import FlagType, Household, Resident
from xiangzhi.registry.services import household_confirm, resident_flag_set

from . import permissions as perms
from .models import Visit, VisitPhoto, VisitPolicy


@transaction.atomic
def visit_log(
    *,
    actor,
    household: Household,
    visited_on: datetime.date,
    notes: str = "",
    raised: list[tuple[Resident, FlagType, int | None]] = (),  # type: ignore[assignment]
    cleared: list[tuple[Resident, FlagType]] = (),  # type: ignore[assignment]
    photos: list = (),  # type: ignore[assignment]
) -> Visit:
    """A visit to `household` on `visited_on`; `raised` and `cleared` flags are what it found (the resident's
    record changes, audited, as a cadre's edit would); up to three `photos` (uploaded files), each checked and
    re-encoded before anything is written, so a bad one refuses the whole visit and leaves no file behind."""
    require(actor, perms.LOG, household)
    photos = [p for p in photos if p]
    if len(photos) > VisitPhoto.MAX_PER_VISIT:
        raise ValidationError({"photos": _("At most three photos for one visit.")})
    cleaned = []
    for number, upload in enumerate(photos, start=1):
        try:
            cleaned.append(photo_clean(upload, field="photos"))
        except ValidationError as exc:
            message = " ".join(exc.message_dict["photos"])
            raise ValidationError(
                {"photos": _("Photo %(n)d: %(problem)s") % {"n": number, "problem": message}}
            ) from None
    today = timezone.localdate()
    if visited_on > today:
        raise ValidationError({"visited_on": _("A visit cannot be in the future.")})
    if visited_on < today - datetime.timedelta(days=366):
        raise ValidationError({"visited_on": _("Log a visit within a year of it.")})
    if has_personal_number(notes):
        raise ValidationError({"notes": _("Put phone and ID numbers in their own fields, not in this text.")})
    members = {r.pk for r in household.residents.unrestricted("the service checked scope with require()")}
    about = [resident for resident, _flag, _level in raised] + [resident for resident, _flag in cleared]
    if any(resident.pk not in members for resident in about):
        raise ValidationError(_("A finding must be about a member of this household."))
    visit = Visit.objects.create(
        town_id=household.town_id, household=household, visited_by=actor, visited_on=visited_on, notes=notes
    )
    for resident, flag, level in raised:
        resident_flag_set(actor=actor, resident=resident, flag=flag, on=True, level=level)
    for resident, flag in cleared:
        resident_flag_set(actor=actor, resident=resident, flag=flag, on=False)
    audit_record(actor=actor, action="visits.visit.log", target=visit, after=snapshot(visit))
    if visited_on >= today - datetime.timedelta(days=7):
        # the visitor checked the record with the family: it is fresh
        household_confirm(actor=actor, household=household, via="visit")
    if cleaned:  # last: a file is written only when nothing after it can fail
        _photos_add(actor, visit, cleaned)
    return visit


def _photos_add(actor, visit: Visit, cleaned: list) -> None:
    storage = VisitPhoto.image.field.storage
    with written_or_removed(storage) as written:
        for content in cleaned:
            photo = VisitPhoto(town_id=visit.town_id, visit=visit)
            photo.image.save("photo.jpg", content, save=False)
            written.append(photo.image.name)
            photo.thumbnail.save("photo.jpg", photo_thumbnail(content), save=False)
            written.append(photo.thumbnail.name)
            photo.save()
            audit_record(actor=actor, action="visits.photo.add", target=photo, after=snapshot(photo))


@transaction.atomic
def policy_set(*, actor, flag: FlagType, every_days: int | None) -> VisitPolicy | None:
    """Visit residents with `flag` every `every_days` days; None: no visits required for it."""
    require(actor, perms.CONFIGURE)
    if flag.town_id != actor.town_id:
        raise ValidationError(_("Choose among your town's flags."))
    existing = VisitPolicy.objects.restrict(actor, perms.CONFIGURE).filter(flag=flag).first()
    before = snapshot(existing) if existing else None
    if every_days is None:
        if existing:
            existing.delete()
            audit_record(actor=actor, action="visits.policy.set", target=flag, before=before, after=None)
        return None
    if not 1 <= every_days <= 366:
        raise ValidationError({"every_days": _("Between 1 and 366 days.")})
    policy = existing or VisitPolicy(town_id=actor.town_id, flag=flag)
    policy.every_days = every_days
    policy.save()
    audit_record(
        actor=actor, action="visits.policy.set", target=policy, before=before, after=snapshot(policy)
    )
    return policy
