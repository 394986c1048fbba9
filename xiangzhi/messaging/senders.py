"""Who carries a text message out of the platform, chosen by XIANGZHI_SMS_SENDER.

`OutboxOnlySender` (the default) only records the message in the outbox and the log: a town without an SMS
contract still works, and duty officers read the outbox. `HttpGatewaySender` posts it to the gateway at
XIANGZHI_SMS_GATEWAY_URL as JSON `{"id", "to", "text"}` with `Authorization: Bearer <token>`; any 2xx answer is
success. An error never carries the phone number, since it is kept in the outbox and shown with failed tasks.
"""

import json
import logging
import re
import urllib.error
import urllib.request
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("xiangzhi.messaging")


def clean_answer(text: str) -> str:
    """A gateway's answer as the outbox keeps it: a number it echoes (the recipient's) is cut out."""
    return re.sub(r"[0-9][0-9 +\-]{5,}[0-9]", "…", text)[:500]


class SendError(Exception):
    """The gateway refused or could not be reached; the worker tries again later."""


class Sender:
    # True for a sender that carries nothing out of the platform: a batch's outcomes are then written together
    records_only = False

    def send(self, message) -> str:
        """Deliver `message`; return the gateway's answer, raise SendError when it was not delivered."""
        raise NotImplementedError


class OutboxOnlySender(Sender):
    records_only = True

    def send(self, message) -> str:
        logger.info(
            "text message %s to %s kept in the outbox: %s", message.pk, message.phone_masked, message.body
        )
        return "no SMS gateway configured: kept in the outbox"


class HttpGatewaySender(Sender):
    def __init__(self, url: str | None = None, token: str | None = None, timeout: float | None = None):
        self.url = url or settings.XIANGZHI_SMS_GATEWAY_URL
        self.token = token if token is not None else settings.XIANGZHI_SMS_GATEWAY_TOKEN
        self.timeout = timeout or settings.XIANGZHI_SMS_GATEWAY_TIMEOUT

    def send(self, message) -> str:
        body = json.dumps({"id": message.pk, "to": message.phone, "text": message.body}).encode()
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return clean_answer(response.read(500).decode("utf-8", "replace"))
        except urllib.error.HTTPError as error:
            answer = error.read(200).decode("utf-8", "replace")
            raise SendError(f"HTTP {error.code}: {clean_answer(answer)}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise SendError(f"gateway unreachable: {type(reason).__name__}") from None


@cache
def _sender_class(path: str) -> type[Sender]:
    return import_string(path)


def get_sender() -> Sender:
    return _sender_class(settings.XIANGZHI_SMS_SENDER)()
