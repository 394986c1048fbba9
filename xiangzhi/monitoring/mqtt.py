"""The MQTT subscriber: devices publish to the broker, one or more subscriber processes store what they send.

Topics: `xiangzhi/<town id>/<point code>/heartbeat` and `xiangzhi/<town id>/<point code>/readings`, the payload
the same JSON message the HTTP endpoint takes (`ingest.parse_message`; a heartbeat may have an empty payload).
Who may publish to a point's topics is the broker's business (Mosquitto's ACL file: one user per device, `pattern
write xiangzhi/<town>/<code>/#`); the subscriber still refuses a topic whose point it does not know.

Delivery is at least once: QoS 1 with manual acknowledgement — a message is acknowledged only after the batch
holding it has committed (or it was counted as malformed), so a subscriber killed mid-batch leaves its messages
to the broker to deliver again, and the readings' unique key drops what was stored twice. Several processes split
the load through an MQTT 5 shared subscription (`$share/<group>/…`): that is how a county scales out on a
clustered broker. paho reconnects with backoff by itself; the session survives a reconnect (clean start off,
session expiry), so nothing published meanwhile is lost.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from django.db import close_old_connections
from django.utils import timezone
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from .ingest import Message, Refused, parse_message, store_batch
from .models import Point

log = logging.getLogger("xiangzhi.monitoring.mqtt")

TOPIC_ROOT = "xiangzhi"


@dataclass
class Stats:
    received: int = 0
    stored_messages: int = 0
    stored_readings: int = 0
    rejected: Counter = field(default_factory=Counter)  # reason -> count
    batches: int = 0

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


class PointCache:
    """(town id, point code) → Point, read once and kept; a miss is read again after a while, so a point added
    later is found without a restart."""

    def __init__(self, retry_after: float = 60.0):
        self._points: dict[tuple[int, str], Point | None] = {}
        self._missed_at: dict[tuple[int, str], float] = {}
        self.retry_after = retry_after

    def get(self, town_id: int, code: str) -> Point | None:
        key = (town_id, code)
        if key in self._points:
            found = self._points[key]
            if found is not None or time.monotonic() - self._missed_at[key] < self.retry_after:
                return found
        found = (
            Point.objects.unrestricted(
                "the subscriber maps a topic to its point; the broker authenticated it"
            )
            .filter(town_id=town_id, code=code)
            .first()
        )
        self._points[key] = found
        if found is None:
            self._missed_at[key] = time.monotonic()
        return found


def parse(
    topic: str, payload: bytes, points: PointCache, *, now=None, root: str = TOPIC_ROOT
) -> tuple[Point, Message]:
    """The point and message a publication carries, or `Refused` saying why not."""
    import json

    parts = topic.split("/")
    if len(parts) != 4 or parts[0] != root or parts[3] not in ("heartbeat", "readings"):
        raise Refused("topic")
    try:
        town_id = int(parts[1])
    except ValueError:
        raise Refused("topic") from None
    point = points.get(town_id, parts[2])
    if point is None:
        raise Refused("unknown point")
    if parts[3] == "heartbeat" and not payload.strip():
        data: object = {"heartbeat": True}
    else:
        try:
            data = json.loads(payload)
        except (ValueError, RecursionError, UnicodeDecodeError):
            raise Refused("not json") from None
        if parts[3] == "heartbeat" and isinstance(data, dict):
            data = {**data, "heartbeat": True}
    return point, parse_message(data, now=now)


class Subscriber:
    """Receives on paho's network thread, stores in batches on the caller's thread (`run`)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 1883,
        group: str = "xiangzhi",
        batch_size: int = 500,
        flush_seconds: float = 0.2,
        client_id: str | None = None,
        username: str | None = None,
        password: str | None = None,
        topic_root: str = TOPIC_ROOT,
    ):
        self.host, self.port, self.group, self.topic_root = host, port, group, topic_root
        self.batch_size, self.flush_seconds = batch_size, flush_seconds
        self.stats = Stats()
        self.points = PointCache()
        self.connected = threading.Event()
        self._inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self._stop = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id or f"xiangzhi-{uuid.uuid4().hex[:12]}",
            protocol=mqtt.MQTTv5,
            manual_ack=True,
        )
        if username:
            self.client.username_pw_set(username, password)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    # paho's thread -----------------------------------------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if reason_code.is_failure:
            log.warning("MQTT connection refused: %s", reason_code)
            return
        client.subscribe(f"$share/{self.group}/{self.topic_root}/+/+/+", qos=1)
        log.info("MQTT connected to %s:%s, subscribed as group %s", self.host, self.port, self.group)
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties):
        self.connected.clear()
        if not self._stop.is_set():
            log.warning("MQTT disconnected (%s); reconnecting", reason_code)

    def _on_message(self, client, userdata, message):
        self._inbox.put(message)

    # the storing thread ------------------------------------------------------------------------------------
    def start(self) -> None:
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = 3600  # a restart within the hour gets what was published meanwhile
        self.client.connect_async(
            self.host, self.port, keepalive=30, clean_start=False, properties=properties
        )
        self.client.loop_start()

    def stop(self) -> None:
        self._stop.set()
        self.client.disconnect()
        self.client.loop_stop()

    def _take_batch(self) -> list[mqtt.MQTTMessage]:
        """Up to `batch_size` messages: waits up to `flush_seconds` for the first, then takes what keeps coming
        and stops as soon as the line goes quiet for a moment. The broker sends only so many unacknowledged
        QoS 1 messages at once (Mosquitto: `max_inflight_messages`, 20 by default), so waiting for a full batch
        would stall it; a batch is whatever arrived, acknowledged as soon as it is stored."""
        batch: list[mqtt.MQTTMessage] = []
        try:
            batch.append(self._inbox.get(timeout=self.flush_seconds))
        except queue.Empty:
            return batch
        deadline = time.monotonic() + self.flush_seconds
        while len(batch) < self.batch_size and time.monotonic() < deadline:
            try:
                batch.append(self._inbox.get(timeout=0.002))
            except queue.Empty:
                break
        return batch

    def process(self, batch: list[mqtt.MQTTMessage]) -> None:
        """Store one batch in one transaction, then acknowledge every message of it."""
        now = timezone.now()
        good: list[tuple[Point, Message]] = []
        for message in batch:
            self.stats.received += 1
            try:
                good.append(parse(message.topic, message.payload, self.points, now=now, root=self.topic_root))
            except Refused as refused:
                self.stats.rejected[refused.message] += 1
                log.info("MQTT message refused on %s: %s", message.topic, refused.message)
        if good:
            close_old_connections()
            self.stats.stored_readings += store_batch(good)
            self.stats.stored_messages += len(good)
        self.stats.batches += 1
        for message in batch:
            if message.qos > 0:
                self.client.ack(message.mid, message.qos)

    def run(self, *, until: float | None = None, max_messages: int | None = None) -> Stats:
        """Store batches until stopped, `until` (a monotonic time) passes or `max_messages` were handled. An
        error storing a batch is logged and the batch is not acknowledged (the broker delivers it again)."""
        while not self._stop.is_set():
            if until is not None and time.monotonic() >= until:
                break
            if max_messages is not None and self.stats.received >= max_messages:
                break
            batch = self._take_batch()
            if not batch:
                continue
            try:
                self.process(batch)
            except Exception:  # a database hiccup must not kill the subscriber
                log.exception("MQTT batch of %d not stored; it will be delivered again", len(batch))
                self.stats.received -= len(batch)
                close_old_connections()
                time.sleep(1)
        return self.stats
