"""Sending: a message is written to the outbox in the caller's transaction; a text message is then delivered by
the worker (`tasks.deliver`), retried with backoff, its state and the gateway's answer kept on the row."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from xiangzhi.core.audit import audit_record
from xiangzhi.core.models import Town
from xiangzhi.core.scoping import require

from . import permissions as perms
from . import texts
from .models import Channel, Message, State


def _existing(town: Town, key: str | None) -> Message | None:
    if key is None:
        return None
    return (
        Message.objects.unrestricted("the sender's own key: the message it already sent")
        .filter(town=town, key=key)
        .first()
    )


@transaction.atomic
def sms_send(
    *, town: Town, phone: str, kind: str, context: dict, recipient_name: str = "", key=None
) -> Message:
    """Queue a text message to `phone`; with `key`, a second call with the same key returns the first message."""
    found = _existing(town, key)
    if found is not None:
        return found
    from .tasks import deliver

    try:
        with transaction.atomic():
            message = Message.objects.create(
                town=town,
                channel=Channel.SMS,
                kind=kind,
                phone=phone,
                recipient_name=recipient_name,
                body=texts.render(kind, context),
                key=key,
            )
    except IntegrityError:
        found = _existing(town, key)
        if found is None:
            raise
        return found
    deliver.enqueue(message.pk)
    return message


@dataclass(frozen=True)
class Recipient:
    """One text of a fan-out: its key (the same key in the same town is the same message), number and name."""

    key: str
    phone: str
    name: str = ""


KEYS_PER_QUERY = 2000  # keys looked up per statement (well under SQLite's limit of bound parameters)


@transaction.atomic
def sms_send_many(*, town: Town, kind: str, context: dict, recipients: Iterable[Recipient]) -> int:
    """Queue the same text to many numbers in a few statements, and their delivery as one task per
    `tasks.BATCH` texts; returns how many were new. A key already in the outbox (an earlier or a concurrent run)
    is skipped, so running a fan-out again sends nothing twice."""
    from .tasks import BATCH, deliver_batch

    wanted: dict[str, Recipient] = {}
    for recipient in recipients:
        wanted.setdefault(recipient.key, recipient)
    outbox = Message.objects.unrestricted("the sender's own keys: the messages it already sent")
    keys = list(wanted)
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        for key in outbox.filter(town=town, key__in=chunk).values_list("key", flat=True):
            del wanted[key]
    if not wanted:
        return 0
    body = texts.render(kind, context)
    now = timezone.now()
    outbox.bulk_create(
        [
            Message(
                town=town,
                channel=Channel.SMS,
                kind=kind,
                phone=r.phone,
                recipient_name=r.name,
                body=body,
                key=r.key,
                created_at=now,
            )
            for r in wanted.values()
        ],
        batch_size=500,
        ignore_conflicts=True,  # a key a concurrent run queued meanwhile: theirs is the message
    )
    keys = list(wanted)
    ids: list[int] = []
    for start in range(0, len(keys), KEYS_PER_QUERY):
        chunk = keys[start : start + KEYS_PER_QUERY]
        ids += outbox.filter(town=town, key__in=chunk, state=State.QUEUED).values_list("pk", flat=True)
    ids.sort()
    for start in range(0, len(ids), BATCH):
        deliver_batch.enqueue(ids[start : start + BATCH])
    return len(wanted)


@transaction.atomic
def in_app_send(*, recipient, kind: str, context: dict, key=None) -> Message:
    """An in-app message is delivered when written: the recipient reads it on their page."""
    found = _existing(recipient.town, key)
    if found is not None:
        return found
    return Message.objects.create(
        town=recipient.town,
        channel=Channel.IN_APP,
        kind=kind,
        recipient=recipient,
        recipient_name=recipient.get_full_name() or recipient.username,
        body=texts.render(kind, context),
        state=State.SENT,
        sent_at=timezone.now(),
        key=key,
    )


def test_sms_send(*, actor, phone: str) -> Message:
    """The administrator's check of the gateway: a test text to a number they type."""
    require(actor, perms.SEND_TEST, actor.town)
    with transaction.atomic():
        message = sms_send(
            town=actor.town,
            phone=phone,
            kind=texts.TEST,
            context={"town": actor.town.name, "time": timezone.localtime().strftime("%H:%M")},
            recipient_name=actor.get_full_name() or actor.username,
        )
        audit_record(actor=actor, action="messaging.test.send", target=message)
    return message


def sms_resend(*, actor, message: Message) -> Message:
    """Send a failed text message again, from its first attempt."""
    require(actor, perms.SEND_TEST, message)
    from .tasks import deliver

    with transaction.atomic():
        updated = (
            Message.objects.restrict(actor, perms.SEND_TEST)
            .filter(pk=message.pk, channel=Channel.SMS, state=State.FAILED)
            .update(state=State.QUEUED, attempts=0, claimed_by="", claimed_at=None)
        )
        if updated:
            deliver.enqueue(message.pk)
            audit_record(actor=actor, action="messaging.message.resend", target=message)
    message.refresh_from_db()
    return message
