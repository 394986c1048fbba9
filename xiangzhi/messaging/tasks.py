"""Delivering text messages, run by the worker.

A delivery run first claims its messages: one conditional UPDATE marks the queued ones no live run holds with its
own token (`claimed_by`, `claimed_at`), and the run sends only what it won, so two workers never send the same text.
`deliver(id)` sends one text (`services.sms_send`); `deliver_batch(ids)` sends a fan-out's texts a batch at a time
(`services.sms_send_many`). Each message keeps its own outcome: a text the gateway refuses is retried on its own,
after a doubling wait, and failed after five attempts, whatever happened to the others of its batch."""

import datetime
import uuid
from collections import defaultdict

from django.db.models import F, Q
from django.utils import timezone

from xiangzhi.core.background import Permanent, background

from .models import Channel, Message, State
from .senders import SendError, get_sender

RETRIES = 4  # five attempts over about 7.5 minutes (30 s, 1, 2, 4 min apart), then the message is failed
BACKOFF = datetime.timedelta(seconds=30)
BATCH = 200  # texts per delivery task of a fan-out
# A claim older than this is a run that died: its texts may be claimed again. A run stops sending at half of it
# and hands back what is left, so a slow gateway never lets a live claim expire.
LEASE = datetime.timedelta(minutes=20)


def _outbox():
    return Message.objects.unrestricted("the worker delivers every town's outbox")


def claim(message_ids: list[int]) -> tuple[str, list[Message]]:
    """Take the queued text messages among `message_ids` that no live run holds; returns this run's token and
    what it won, in id order. One UPDATE: of two runs claiming the same message, one wins it."""
    token = uuid.uuid4().hex
    now = timezone.now()
    won = (
        _outbox()
        .filter(pk__in=message_ids, channel=Channel.SMS, state=State.QUEUED)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - LEASE))
        .update(claimed_by=token, claimed_at=now)
    )
    if not won:
        return token, []
    return token, list(_outbox().filter(pk__in=message_ids, claimed_by=token).order_by("pk"))


def _delay(attempts: int) -> datetime.timedelta:
    return BACKOFF * (2 ** (attempts - 1))


def _failed(message: Message, token: str, error: SendError) -> bool:
    """Write one refused text's outcome and hand back its claim; True if it has attempts left."""
    attempts = message.attempts + 1
    retry = attempts <= RETRIES
    _outbox().filter(pk=message.pk, claimed_by=token).update(
        attempts=attempts,
        answer=str(error)[:500],
        state=State.QUEUED if retry else State.FAILED,
        claimed_by="",
        claimed_at=None,
    )
    return retry


def _sent(ids: list[int], token: str, answer: str) -> None:
    _outbox().filter(pk__in=ids, claimed_by=token).update(
        state=State.SENT, attempts=F("attempts") + 1, answer=answer, sent_at=timezone.now()
    )


@background(retries=RETRIES)
def deliver(message_id: int) -> str:
    """One text; a refusal raises, and the task is retried with backoff (`core.background`)."""
    token, won = claim([message_id])
    if not won:
        message = _outbox().filter(pk=message_id, channel=Channel.SMS).first()
        if message is None:
            raise Permanent(f"message {message_id} is gone")
        return (
            message.state
        )  # delivered by an earlier attempt, given up, or in another run's hands: never twice
    [message] = won
    try:
        answer = get_sender().send(message)
    except SendError as error:
        if not _failed(message, token, error):
            raise Permanent(
                f"message {message_id} not delivered after {message.attempts + 1} attempts"
            ) from None
        raise
    _sent([message.pk], token, answer)
    return State.SENT


@background(retries=2)  # an error of ours (not the gateway's): the batch again
def deliver_batch(message_ids: list[int]) -> dict:
    """Up to `BATCH` texts of a fan-out. Each outcome is the message's own: a refused text is retried in a later
    batch of the refused, after a doubling wait, the others are sent. With a sender that carries nothing out (the
    outbox-only default) the whole batch is marked sent in one UPDATE; with a gateway each text's outcome is
    written as soon as it answers, so a run that dies mid-batch has sent at most one text it did not record."""
    token, won = claim(message_ids)
    sender = get_sender()
    started = timezone.now()
    sent: dict[str, list[int]] = defaultdict(list)
    retry: dict[int, list[int]] = defaultdict(list)  # attempts so far → messages to try again
    failed = 0
    left: list[int] = []
    try:
        for message in won:
            if timezone.now() - started > LEASE / 2:
                left.append(message.pk)
                continue
            try:
                answer = sender.send(message)
            except SendError as error:
                if _failed(message, token, error):
                    retry[message.attempts + 1].append(message.pk)
                else:
                    failed += 1
                continue
            if sender.records_only:
                sent[answer].append(message.pk)
            else:
                _sent([message.pk], token, answer)
                sent[""].append(message.pk)
        if sender.records_only:
            for answer, ids in sent.items():
                _sent(ids, token, answer)
    finally:
        # what this run holds and did not record (handed back, or an error stopped it) is free for the next run
        _outbox().filter(pk__in=message_ids, claimed_by=token, state=State.QUEUED).update(
            claimed_by="", claimed_at=None
        )
    if left:
        deliver_batch.enqueue(left)
    for attempts, ids in retry.items():
        deliver_batch.using(run_after=timezone.now() + _delay(attempts)).enqueue(ids)
    outcome = {
        "sent": sum(len(ids) for ids in sent.values()),
        "retried": sum(len(ids) for ids in retry.values()),
        "failed": failed,
        "handed_back": len(left),
        "not_claimed": len(message_ids) - len(won),
    }
    if failed:  # shown on the failed tasks page, beside the failed messages in the outbox
        raise Permanent(
            f"{failed} of {len(won)} messages not delivered after {RETRIES + 1} attempts: {outcome}"
        )
    return outcome
