"""What the residents' tests share: the code a town without an SMS gateway leaves in its outbox."""

import re

from xiangzhi.messaging.models import Message


def code_texted_to(phone: str, kind: str = "portal.sign_in_code") -> str:
    """The 6-digit code in the latest text of `kind`, which must have gone to `phone`."""
    message = Message.objects.unrestricted("test: the outbox").filter(kind=kind).latest("pk")
    assert message.phone == phone
    found = re.search(r"\d{6}", message.body)
    assert found is not None
    return found.group()
