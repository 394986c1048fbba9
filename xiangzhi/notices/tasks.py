"""Texting a notice to each household it is for, by the worker."""

from django.db.models import F

from xiangzhi.core.background import Permanent, background
from xiangzhi.messaging.services import sms_send
from xiangzhi.registry.choices import PhoneHolder
from xiangzhi.registry.models import ContactPhone

from . import texts
from .models import Notice
from .selectors import audience


@background(retries=3)
def notice_texts_send(notice_id: int) -> int:
    """One text per household, to the household head's own first phone; idempotent (a retry sends no second
    text: each is keyed by notice and household)."""
    notice = Notice.objects.unrestricted("the worker texts a published notice").filter(pk=notice_id).first()
    if notice is None:
        raise Permanent(f"notice {notice_id} is gone")
    phones = (
        ContactPhone.objects.unrestricted("the worker texts a notice to its households' heads")
        .filter(holder=PhoneHolder.SELF, resident__household__head_id=F("resident_id"))
        .filter(**audience(notice, prefix="resident__household__"))
        .select_related("resident__household")
        .order_by("resident__household_id", "priority", "id")
    )
    sent = 0
    done: set[int] = set()
    by = notice.published_by.display_name or notice.published_by.username
    for phone in phones.iterator():
        household = phone.resident.household
        if household.pk in done:  # the head's first phone only
            continue
        done.add(household.pk)
        sms_send(
            town=notice.town,
            phone=phone.number,
            kind=texts.NOTICE,
            context={"town": notice.town.name, "by": by, "title": notice.title},
            recipient_name=phone.resident.name,
            key=f"notice:{notice.pk}:household:{household.pk}",
        )
        sent += 1
    return sent
