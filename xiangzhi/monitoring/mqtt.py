"""The MQTT subscriber: devices publish to the broker, one or more subscriber processes store what they send.

Topics: `xiangzhi/<town id>/<point code>/heartbeat` and `xiangzhi/<town id>/<point code>/readings`, the payload
the same JSON message the HTTP endpoint takes (`ingest.parse_message`; a heartbeat may have an empty payload).
Who may publish to a point's topics is the broker's business (Mosquitto's ACL file: one user per device, `pattern
write xiangzhi/<town>/<code>/#`); the subscriber still refuses a topic whose point it does not know.

Delivery: QoS 1 from device to broker to subscriber; the subscriber acknowledges a message when it has it and
stores it with the others that arrived within `flush_seconds` (0.5 s) in one transaction; a failed store is
retried, and SIGTERM stores what is in hand before the process ends. Acknowledging only after the commit would
be stricter, but the broker lets only `max_inflight_messages` (Mosquitto: 20) go unacknowledged and queues only
`max_queued_messages` (1,000) more for a subscriber — past that it DROPS messages — so a burst would be cut short
at the broker; what a crash can lose instead is the messages of the last fraction of a second, which the devices
send again with their next reading (readings carry their own time, and the unique key drops a repeat). Several
processes split
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
        flush_seconds: float = 0.5,
        client_id: str | None = None,
        username: str | None = None,
        password: str | None = None,
        topic_root: str = TOPIC_ROOT,
        protocol: str = "5",
    ):
        self.host, self.port, self.group, self.topic_root = host, port, group, topic_root
        # MQTT 3.1.1 only for the embedded development broker (amqtt), which knows no shared subscriptions
        self.v5 = protocol == "5"
        self.batch_size, self.flush_seconds = batch_size, flush_seconds
        self.stats = Stats()
        self.points = PointCache()
        self.connected = threading.Event()
        self._inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue()
        self._stop = threading.Event()
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=client_id or f"xiangzhi-{uuid.uuid4().hex[:12]}",
            protocol=mqtt.MQTTv5 if self.v5 else mqtt.MQTTv311,
            clean_session=None if self.v5 else False,  # MQTT 5 says it at connect time (clean_start)
        )
        if username:
            self.client.username_pw_set(username, password)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message

    # paho's thread -----------------------------------------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason_code, properties):
        if getattr(reason_code, "is_failure", False):
            log.warning("MQTT connection refused: %s", reason_code)
            return
        topic = f"{self.topic_root}/+/+/+"
        client.subscribe(f"$share/{self.group}/{topic}" if self.v5 else topic, qos=1)
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
        until the batch is full, the line goes quiet for a moment, or `flush_seconds` have passed."""
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
        """Store one batch in one transaction."""
        now = timezone.now()
        good: list[tuple[Point, Message]] = []
        for message in batch:
            try:
                good.append(parse(message.topic, message.payload, self.points, now=now, root=self.topic_root))
            except Refused as refused:
                self.stats.rejected[refused.message] += 1
                log.info("MQTT message refused on %s: %s", message.topic, refused.message)
        if good:
            # one connection for the process's life (reopened after an error, in `_store`), not one per batch
            self.stats.stored_readings += store_batch(good)
            self.stats.stored_messages += len(good)
        self.stats.received += len(batch)
        self.stats.batches += 1

    def _store(self, batch: list[mqtt.MQTTMessage]) -> None:
        """`process`, tried again on a database error (a restart, a lock) before the batch is given up, logged."""
        for attempt in range(5):
            try:
                self.process(batch)
                return
            except Exception:
                log.exception("MQTT batch of %d not stored (attempt %d)", len(batch), attempt + 1)
                close_old_connections()
                time.sleep(min(2**attempt, 10))
        self.stats.rejected["not stored"] += len(batch)
        self.stats.received += len(batch)

    def run(self, *, until: float | None = None, max_messages: int | None = None) -> Stats:
        """Store batches until stopped (then what is in hand), `until` (a monotonic time) passes or
        `max_messages` were handled."""
        while True:
            if self._stop.is_set() and self._inbox.empty():
                break
            if until is not None and time.monotonic() >= until:
                break
            if max_messages is not None and self.stats.received >= max_messages:
                break
            batch = self._take_batch()
            if batch:
                self._store(batch)
        return self.stats
