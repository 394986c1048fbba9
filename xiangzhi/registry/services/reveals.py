"""Reveals: one full ID or phone number to a permitted user, each with its audit row."""

from typing import Literal

from django.db import transaction

from xiangzhi.core.audit import audit_record
from xiangzhi.core.scoping import require

from .. import permissions as perms
from ..models import (
    ContactPhone,
    Resident,
)


@transaction.atomic
def resident_reveal_id(*, actor, resident: Resident) -> str:
    """The full ID number of one resident, for a permitted user; every reveal is logged."""
    require(actor, perms.REVEAL_ID, resident)
    audit_record(actor=actor, action="registry.resident.reveal_id", target=resident)
    return resident.id_number or ""


@transaction.atomic
def phone_reveal(*, actor, phone: ContactPhone, purpose: Literal["show", "call"] = "show") -> str:
    """The full number of one phone, for a permitted user, to show it or to hand it to the dialer (`purpose`: two
    actions in the log). The audit row says what was revealed (masked) and whose it is by itself, so it still
    reads right after the phone is changed or deleted."""
    require(actor, perms.REVEAL_PHONE, phone)
    audit_record(
        actor=actor,
        action={"show": "registry.phone.reveal", "call": "registry.phone.call"}[purpose],
        target=phone.resident,
        after={
            "phone": phone.pk,
            "number": phone.number_masked,
            "holder": phone.holder,
            "holder_name": phone.holder_name,
            "resident": phone.resident_id,
        },
    )
    return phone.number
