"""Delivering text messages, run by the worker."""

from django.utils import timezone

from xiangzhi.core.background import Permanent, background

from .models import Channel, Message, State
from .senders import SendError, get_sender

RETRIES = 4  # five attempts over about 7.5 minutes (30 s, 1, 2, 4 min apart), then the message is failed


@background(retries=RETRIES)
def deliver(message_id: int) -> str:
    message = (
        Message.objects.unrestricted("the worker delivers every town's outbox")
        .filter(pk=message_id, channel=Channel.SMS)
        .first()
    )
    if message is None:
        raise Permanent(f"message {message_id} is gone")
    if message.state != State.QUEUED:
        return message.state  # delivered by an earlier attempt, or given up: never sent twice
    message.attempts += 1
    try:
        message.answer = get_sender().send(message)
    except SendError as error:
        message.answer = str(error)[:500]
        if message.attempts > RETRIES:
            message.state = State.FAILED
        message.save(update_fields=["attempts", "answer", "state"])
        if message.state == State.FAILED:
            raise Permanent(f"message {message_id} not delivered after {message.attempts} attempts") from None
        raise
    message.state = State.SENT
    message.sent_at = timezone.now()
    message.save(update_fields=["attempts", "answer", "state", "sent_at"])
    return message.state
