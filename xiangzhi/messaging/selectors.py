"""Reading the outbox, scoped."""

from django.db.models import Count

from . import permissions as perms
from .models import Message, State


def outbox(*, user, state: str | None = None):
    messages = Message.objects.restrict(user, perms.VIEW_OUTBOX).select_related("recipient")
    if state in State.values:
        messages = messages.filter(state=state)
    return messages


def outbox_counts(*, user) -> dict[str, int]:
    rows = Message.objects.restrict(user, perms.VIEW_OUTBOX).values("state").annotate(n=Count("id"))
    counts = {state: 0 for state in State.values}
    counts.update({row["state"]: row["n"] for row in rows})
    return counts


def message_get(*, user, pk, action=perms.VIEW_OUTBOX) -> Message:
    return Message.objects.restrict(user, action).get(pk=pk)
