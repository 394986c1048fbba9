"""Reminders for a reconfirmation campaign, sent by the worker."""

from django.db.models import F
from django.utils import timezone

from xiangzhi.accounts.models import User
from xiangzhi.core.background import Permanent, background
from xiangzhi.messaging.services import Recipient, sms_send_many
from xiangzhi.registry.choices import PhoneHolder
from xiangzhi.registry.models import ContactPhone

from . import texts
from .models import Campaign
from .selectors import campaign_waiting


@background(retries=3)
def campaign_reminders_send(campaign_id: int, actor_id: int) -> int:
    campaign = (
        Campaign.objects.unrestricted("the worker reminds a campaign's households")
        .filter(pk=campaign_id)
        .first()
    )
    actor = User.objects.unrestricted("the worker acts for who asked").filter(pk=actor_id).first()
    if campaign is None or actor is None:
        raise Permanent("the campaign or who asked is gone")
    waiting = campaign_waiting(user=actor, campaign=campaign).values_list("pk", flat=True)
    phones = (
        ContactPhone.objects.unrestricted("the worker texts the heads of the households the reminder is for")
        .filter(holder=PhoneHolder.SELF, resident__household__in=list(waiting))
        .filter(resident__household__head_id=F("resident_id"))
        .select_related("resident")
        .order_by("resident__household_id", "priority", "id")
    )
    today = timezone.localdate().isoformat()
    heads: dict[int, ContactPhone] = {}
    for phone in phones:
        heads.setdefault(phone.resident.household_id, phone)  # the head's first phone only
    sms_send_many(
        town=campaign.town,
        kind=texts.REMINDER,
        context={
            "town": campaign.town.name,
            "village": campaign.village.name,
            "name": campaign.name,
            "until": f"{campaign.ends_on:%m-%d}",
        },
        recipients=[
            Recipient(
                key=f"campaign:{campaign.pk}:household:{household_id}:{today}",
                phone=phone.number,
                name=phone.resident.name,
            )
            for household_id, phone in heads.items()
        ],
    )
    return len(heads)
