"""Device keys: made and rotated by the town administrator, one per point; the secret is shown once."""

from __future__ import annotations

import datetime
import secrets

from django.db import transaction
from django.utils import timezone

from xiangzhi.core.audit import audit_record
from xiangzhi.core.scoping import require

from .. import permissions as perms
from ..models import DeviceKey, IngestSignature, Point


@transaction.atomic
def device_key_rotate(*, actor, point: Point) -> tuple[DeviceKey, str]:
    """Make the point's device key, or replace it: the old key stops working at once. Returns the key and its
    secret, which is never shown again (the device is configured with both)."""
    require(actor, perms.CONFIGURE, point)
    secret = secrets.token_urlsafe(32)
    key = (
        DeviceKey.objects.restrict(actor, perms.CONFIGURE)
        .select_for_update()
        .filter(point_id=point.pk)
        .first()
    )
    rotated = key is not None
    if key is None:
        key = DeviceKey(town_id=point.town_id, point=point)
    key.key_id = f"d{point.pk}-{secrets.token_hex(6)}"
    key.secret = secret
    key.created_at = timezone.now()
    key.created_by = actor
    key.save()
    audit_record(
        actor=actor,
        action="monitoring.device_key.rotate" if rotated else "monitoring.device_key.create",
        target=point,
        after={"device_id": key.key_id},
    )
    return key, secret


def signatures_purge(*, now: datetime.datetime | None = None) -> int:
    """Forget accepted signatures older than the replay window (a replay that old is refused by its time)."""
    from ..ingest import WINDOW

    now = now or timezone.now()
    deleted, _ = (
        IngestSignature.objects.unrestricted("the replay memory of every town")
        .filter(at__lt=now - 2 * WINDOW)
        .delete()
    )
    return deleted
