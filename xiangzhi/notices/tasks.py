"""Texting a notice to each household it is for, by the worker."""

from django.db import transaction
from django.db.models import F

from xiangzhi.core.background import Permanent, background
from xiangzhi.messaging.services import sms_send
from xiangzhi.registry.choices import PhoneHolder
from xiangzhi.registry.models import ContactPhone

from . import texts
from .models import Notice
from .selectors import audience

# Texts queued per transaction: one commit (an fsync on SQLite, a WAL flush on PostgreSQL) per text made the fan-out
# to a 7,000-household town take minutes (bench/outbox.py); a chunk that fails rolls back alone, and the retry skips
# what the keys say was queued.
CHUNK = 250


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
    chosen = list(heads.items())
    for start in range(0, len(chosen), CHUNK):
        with transaction.atomic():
            for household_id, phone in chosen[start : start + CHUNK]:
                sms_send(
                    town=notice.town,
                    phone=phone.number,
                    kind=texts.NOTICE,
                    context=context,
                    recipient_name=phone.resident.name,
                    key=f"notice:{notice.pk}:household:{household_id}",
                )
    return len(chosen)
