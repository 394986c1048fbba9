"""Calls: what a call to a resident's phone got (接通 / 未接 / 空号), recorded by whoever called."""

import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from xiangzhi.core.audit import audit_record
from xiangzhi.core.idempotency import Scope, idempotency_claim, idempotency_complete
from xiangzhi.core.masking import has_personal_number
from xiangzhi.core.scoping import require

from .. import permissions as perms
from ..choices import CallOutcome
from ..models import CallRecord, ContactPhone

_IDEMPOTENCY_SCOPE = Scope("CALL", "registry.call_record")


@transaction.atomic
def call_record(
    *,
    actor,
    phone: ContactPhone,
    outcome: str,
    note: str = "",
    purpose: str = "",
    key: str = "",
) -> CallRecord:
    """Record what a call to `phone` got, for a user who may call it (`registry.reveal_phone`), with its audit row.
    `purpose` says what the call was for ("" from the household card; another app's own key, such as
    "monitoring.roster:17", to read its calls back). With `key` (a page form's one-time token) a retry of the same
    record returns the first one instead of recording the call twice."""
    require(actor, perms.REVEAL_PHONE, phone)
    if outcome not in CallOutcome.values:
        raise ValidationError({"outcome": _("Choose what the call got.")})
    note = note.strip()
    if len(note) > 200:
        raise ValidationError({"note": _("Keep the note under 200 characters.")})
    if has_personal_number(note):
        raise ValidationError({"note": _("Put phone and ID numbers in their own fields, not in this text.")})
    purpose = purpose.strip()[:64]
    if key:
        body = f"{phone.pk}|{outcome}|{note}|{purpose}".encode()
        stored = idempotency_claim(
            user=actor, key=key, scope=_IDEMPOTENCY_SCOPE, request_hash=hashlib.sha256(body).hexdigest()
        )
        if stored is not None:
            return CallRecord.objects.unrestricted("the call recorded by this key").get(pk=stored.body["id"])
    record = CallRecord.objects.create(
        town_id=phone.town_id,
        resident_id=phone.resident_id,
        phone=phone,
        number_masked=phone.number_masked,
        caller=actor,
        outcome=outcome,
        note=note,
        purpose=purpose,
    )
    audit_record(
        actor=actor,
        action="registry.call.record",
        target=phone.resident,
        after={
            "phone": phone.pk,
            "number": record.number_masked,
            "outcome": outcome,
            "note": note,
            "purpose": purpose,
        },
    )
    if key:
        idempotency_complete(user=actor, key=key, status_code=201, body={"id": record.pk})
    return record
