"""Texting a notice to each household it is for, by the worker."""

from django.db.models import F

from xiangzhi.core.background import Permanent, background
from xiangzhi.messaging.services import Recipient, sms_send_many
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
        .select_related("resident")
        .order_by("resident__household_id", "priority", "id")
    )
    heads: dict[int, ContactPhone] = {}
    for phone in phones.iterator():
        heads.setdefault(phone.resident.household_id, phone)  # the head's first phone only
    by = notice.published_by.display_name or notice.published_by.username
    context = {"town": notice.town.name, "by": by, "title": notice.title}
    # the whole town's texts in a few statements, delivered a batch at a time (messaging.services.sms_send_many)
    sms_send_many(
        town=notice.town,
        kind=texts.NOTICE,
        context=context,
        recipients=[
            Recipient(
                key=f"notice:{notice.pk}:household:{household_id}",
                phone=phone.number,
                name=phone.resident.name,
            )
            for household_id, phone in heads.items()
        ],
    )
    return len(heads)
