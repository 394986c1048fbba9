"""Messaging's part of the project-wide tests (`xiangzhi/tests/access.py`): the outbox."""

from xiangzhi.messaging.models import Message
from xiangzhi.messaging.services import sms_send
from xiangzhi.messaging.texts import TEST
from xiangzhi.tests.access import Access, Scan, holders, page, page_post_only

VIEW_OUTBOX = holders("messaging.view_outbox")
SEND_TEST = holders("messaging.send_test")
PHONE = "13912345678"

TABLE: dict[str, Access] = {
    "messaging:outbox": page(VIEW_OUTBOX, form=True),
    "messaging:resend": page_post_only(SEND_TEST, (302, "/messages/"), pk="message"),
}


def in_scope(request) -> dict:
    town = request.getfixturevalue("town")
    message = sms_send(town=town, phone=PHONE, kind=TEST, context={"town": town.name, "time": "08:00"})
    Message.objects.unrestricted("test set-up").filter(pk=message.pk).update(state="failed")
    return {"message": message}


def scanned_urls(objects) -> list[Scan]:
    return [Scan("/messages/"), Scan("/messages/?state=failed")]


def personal_numbers() -> set[str]:
    return {PHONE}
