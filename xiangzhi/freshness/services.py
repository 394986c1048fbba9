"""Starting a reconfirmation campaign and reminding the households that have not confirmed yet."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from xiangzhi.core.audit import audit_record, snapshot
from xiangzhi.core.scoping import require

from . import permissions as perms
from .models import Campaign


@transaction.atomic
def campaign_start(
    *, actor, name: str, village, groups=(), starts_on: datetime.date, ends_on: datetime.date
) -> Campaign:
    require(actor, perms.RUN, village)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the campaign a name.")})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The end comes after the start.")})
    for group in groups:
        if group.village_id != village.pk:
            raise ValidationError({"groups": _("The groups must be in the village chosen.")})
        require(actor, perms.RUN, group)
    campaign = Campaign.objects.create(
        town_id=village.town_id,
        name=name,
        village=village,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor,
    )
    campaign.groups.set(groups)
    audit_record(actor=actor, action="freshness.campaign.start", target=campaign, after=snapshot(campaign))
    return campaign


def campaign_remind(*, actor, campaign: Campaign) -> None:
    """Text each household of the campaign that has not confirmed yet (its head's own first number), from the
    worker; at most one reminder a day per household."""
    require(actor, perms.RUN, campaign)
    from .tasks import campaign_reminders_send

    with transaction.atomic():
        campaign_reminders_send.enqueue(campaign.pk, actor.pk)
        audit_record(actor=actor, action="freshness.campaign.remind", target=campaign)
