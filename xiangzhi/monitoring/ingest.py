"""Telemetry in, whatever the transport: who a device is (`DevicePrincipal`), the signed HTTP request's check
(`authenticate_signed`), what a message may say (`parse_message`) and how a batch is stored (`store_batch`).

The HTTP endpoint and the MQTT subscriber call the same functions, so a heartbeat or a reading means the same
thing on both. A message is JSON:

    {"heartbeat": true,                                  # optional: the device is alive (at "at", else now)
     "at": "2026-11-29T08:00:00+08:00",                  # optional: when it was measured / sent
     "readings": [{"quantity": "water_level", "value": 152.31, "at": "…"}, …]}   # optional

A reading is a sign of life too. A batch is a list of such messages, or one message with many readings.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from xiangzhi.core.permissions import Assignment, Role

from .choices import Quantity, TransitionReason
from .models import DeviceKey, IngestSignature, Point
from .services import Value, points_seen, readings_record_many

# A signed request is good for this long either side of the server's clock; its signature is remembered as long.
WINDOW = datetime.timedelta(minutes=5)
# A reading stamped further in the future than this is refused (a device clock gone wrong).
FUTURE_SLACK = datetime.timedelta(minutes=10)
MAX_READINGS = 5000  # per request or message
_QUANTITIES = frozenset(Quantity.values)


class Refused(Exception):
    """The message is refused as a whole; `message` is translated for whoever reads the device's logs."""

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class DevicePrincipal:
    """A device acting for itself: it holds the `device` role bound to its one point, so `restrict()` lets it
    reach that point and that point's rows, and nothing else — no page, no other point."""

    point_id: int
    town_id: int
    key_id: str
    is_authenticated: bool = True
    is_active: bool = True
    role_assignments: list[Assignment] = field(default_factory=list)

    @classmethod
    def for_point(cls, point: Point, key_id: str = "") -> DevicePrincipal:
        return cls(
            point_id=point.pk,
            town_id=point.town_id,
            key_id=key_id,
            role_assignments=[Assignment(role=Role.DEVICE, object_id=point.pk)],
        )

    @property
    def pk(self) -> None:  # not a user: nothing may be written in its name as one
        return None


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over `timestamp` + "." + body, hex — what a device sends as X-Signature."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def authenticate_signed(
    *, key_id: str, timestamp: str, signature: str, body: bytes, now: datetime.datetime | None = None
) -> tuple[DevicePrincipal, Point]:
    """The device that signed this request, or `Refused`: an unknown key, a timestamp outside the window, a
    signature that does not match, or one already accepted (a replay)."""
    now = now or timezone.now()
    if not (key_id and timestamp and signature):
        raise Refused(
            _("The request is not signed: send X-Device-Id, X-Timestamp and X-Signature."), status=401
        )
    try:
        sent = datetime.datetime.fromtimestamp(int(timestamp), tz=datetime.UTC)
    except (ValueError, OverflowError, OSError):
        raise Refused(_("X-Timestamp must be the time in whole seconds since 1970."), status=401) from None
    if abs(now - sent) > WINDOW:
        raise Refused(
            _("The request's time is too far from the server's: check the device's clock."), status=401
        )
    key = (
        DeviceKey.objects.unrestricted("the device is not known until its key is found")
        .select_related("point")
        .filter(key_id=key_id)
        .first()
    )
    # one answer for an unknown key and a wrong signature: a probe learns nothing about which keys exist
    if key is None or not hmac.compare_digest(sign(key.secret, timestamp, body), signature.lower()):
        raise Refused(_("The signature does not match."), status=401)
    try:
        with transaction.atomic():
            IngestSignature.objects.create(town_id=key.town_id, signature=signature.lower(), at=now)
    except IntegrityError:
        raise Refused(_("This request was already received (a replay)."), status=409) from None
    return DevicePrincipal.for_point(key.point, key.key_id), key.point


def _when(raw, default: datetime.datetime, now: datetime.datetime) -> datetime.datetime:
    if raw is None:
        return default
    at = parse_datetime(raw) if isinstance(raw, str) else None
    if at is None:
        raise Refused(_("A time must be written like 2026-11-29T08:00:00+08:00."))
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now + FUTURE_SLACK:
        raise Refused(_("A time is in the future: check the device's clock."))
    return at


@dataclass
class Message:
    heartbeat_at: datetime.datetime | None
    values: list[Value]


def parse_message(data, *, now: datetime.datetime | None = None) -> Message:
    """What one message says, checked whole: any bad part refuses the message (nothing of it is stored)."""
    now = now or timezone.now()
    if not isinstance(data, dict):
        raise Refused(_("A message must be a JSON object."))
    at = _when(data.get("at"), now, now)
    readings = data.get("readings", [])
    if not isinstance(readings, list):
        raise Refused(_("“readings” must be a list."))
    if len(readings) > MAX_READINGS:
        raise Refused(_("At most %(n)d readings in one message.") % {"n": MAX_READINGS})
    values = []
    for reading in readings:
        if not isinstance(reading, dict):
            raise Refused(_("Each reading must be a JSON object."))
        quantity = reading.get("quantity")
        if quantity not in _QUANTITIES:
            raise Refused(_("Unknown quantity: %(q)s.") % {"q": str(quantity)[:40]})
        value = reading.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise Refused(_("A reading's value must be a number."))
        values.append(Value(quantity=quantity, at=_when(reading.get("at"), at, now), value=float(value)))
    heartbeat = data.get("heartbeat", False)
    if not isinstance(heartbeat, bool):
        raise Refused(_("“heartbeat” must be true or false."))
    if not heartbeat and not values:
        raise Refused(_("The message holds neither a heartbeat nor a reading."))
    return Message(heartbeat_at=at if heartbeat else None, values=values)


def store_batch(
    items: Iterable[tuple[Point, Message]],
    *,
    source: str = TransitionReason.HEARTBEAT,
    received_at: datetime.datetime | None = None,
) -> int:
    """Store the readings of many messages (one INSERT per thousand rows, duplicates dropped by the unique key)
    and mark their points seen (one UPDATE for those already online). Returns how many readings were offered.

    A point is seen when its message arrives (`received_at`, now by default), not at the time its readings carry:
    a gauge sending the backlog of a day offline is alive now, and a device's clock is not trusted for health."""
    pairs: list[tuple[Point, Value]] = []
    seen: set[int] = set()
    for point, message in items:
        pairs.extend((point, v) for v in message.values)
        seen.add(point.pk)
    with transaction.atomic():
        offered = readings_record_many(items=pairs) if pairs else 0
    # the state machine after the readings commit: a transition never rolls back a batch of readings
    points_seen(point_ids=seen, at=received_at or timezone.now(), source=source)
    return offered
