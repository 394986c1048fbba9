"""The MQTT subscriber against a real Mosquitto broker: readings and heartbeats stored, malformed messages counted
(the subscriber goes on), duplicates dropped, and a broker restart survived.

The shared broker on 127.0.0.1:1883 is used with a topic root of the test's own, so other subscribers on the same
machine neither see nor disturb these messages; the restart test runs a private broker on a free port."""

import json
import shutil
import socket
import subprocess
import time
import uuid

import paho.mqtt.client as mqtt
import pytest

from xiangzhi.monitoring.choices import PointKind, PointStatus
from xiangzhi.monitoring.models import Point, Reading
from xiangzhi.monitoring.mqtt import Subscriber
from xiangzhi.tests.helpers import IN_CI, require_system_part

from .factories import PointFactory

pytestmark = pytest.mark.django_db
BROKER = ("127.0.0.1", 1883)


def _broker_answers(host, port) -> bool:
    try:
        socket.create_connection((host, port), 1).close()
        return True
    except OSError:
        return False


@pytest.fixture
def broker():
    if not _broker_answers(*BROKER):
        message = "no MQTT broker answers on 127.0.0.1:1883 (mosquitto); start one to run this test"
        if IN_CI:
            pytest.fail("CI: " + message)
        pytest.skip("NOTICE: " + message)
    return BROKER


def _publisher(host, port):
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect(host, port)
    client.loop_start()
    return client


def _publish_all(client, items):
    infos = [client.publish(topic, payload, qos=1) for topic, payload in items]
    for info in infos:
        info.wait_for_publish(5)


def _subscriber(host, port, root):
    subscriber = Subscriber(host=host, port=port, group=f"g{uuid.uuid4().hex[:8]}", topic_root=root)
    subscriber.start()
    assert subscriber.connected.wait(10), "the subscriber did not connect"
    time.sleep(0.3)  # the SUBSCRIBE is acknowledged
    return subscriber


@pytest.fixture
def gauge(admin_user, village_a):
    return PointFactory.create(actor=admin_user, village=village_a, kind=PointKind.WATER_LEVEL, code="SK-01")


def test_readings_and_heartbeats_are_stored_and_bad_messages_counted(broker, gauge):
    root = f"xzt{uuid.uuid4().hex[:8]}"
    host, port = broker
    subscriber = _subscriber(host, port, root)
    base = f"{root}/{gauge.town_id}/{gauge.code}"
    reading = {"readings": [{"quantity": "water_level", "value": 312.5, "at": "2026-11-29T08:00:00+08:00"}]}
    publisher = _publisher(host, port)
    try:
        _publish_all(
            publisher,
            [
                (f"{base}/heartbeat", b""),
                (f"{base}/readings", json.dumps(reading)),
                (f"{base}/readings", json.dumps(reading)),  # the same reading again: dropped
                (f"{base}/readings", b"{not json"),
                (f"{base}/readings", json.dumps({"readings": [{"quantity": "wind", "value": 1}]})),
                (f"{root}/{gauge.town_id}/NO-SUCH-POINT/heartbeat", b""),
                (f"{base}/firmware", b"{}"),
                (f"{base}/readings", json.dumps({"readings": [{"quantity": "rainfall", "value": 0.5}]})),
            ],
        )
        stats = subscriber.run(until=time.monotonic() + 15, max_messages=8)
    finally:
        subscriber.stop()
        publisher.loop_stop()
    assert stats.received == 8
    assert stats.rejected_total == 4
    assert stats.rejected["not json"] == stats.rejected["unknown point"] == stats.rejected["topic"] == 1
    assert stats.rejected_total == 4  # and the unknown quantity, refused with its own message
    stored = sorted(Reading.objects.unrestricted("test").filter(point=gauge).values_list("quantity", "value"))
    assert stored == [("rainfall", 0.5), ("water_level", 312.5)]
    assert Point.objects.unrestricted("test").get(pk=gauge.pk).status == PointStatus.ONLINE


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_mosquitto(port, tmp_path):
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n")
    process = subprocess.Popen(
        [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(50):
        if _broker_answers("127.0.0.1", port):
            return process
        time.sleep(0.1)
    process.kill()
    raise AssertionError("the private mosquitto did not start")


def test_the_subscriber_reconnects_after_a_broker_restart(gauge, tmp_path):
    require_system_part("/usr/sbin/mosquitto", "the mosquitto broker (Debian package mosquitto)")
    port = _free_port()
    process = _start_mosquitto(port, tmp_path)
    root = "xiangzhi"
    subscriber = _subscriber("127.0.0.1", port, root)
    base = f"{root}/{gauge.town_id}/{gauge.code}/readings"
    try:
        # the broker goes away and comes back on the same port
        process.terminate()
        process.wait(5)
        time.sleep(1)
        assert not subscriber.connected.is_set() or not _broker_answers("127.0.0.1", port)
        process = _start_mosquitto(port, tmp_path)
        assert subscriber.connected.wait(40), "the subscriber did not reconnect"
        time.sleep(0.3)
        publisher = _publisher("127.0.0.1", port)
        _publish_all(publisher, [(base, json.dumps({"readings": [{"quantity": "rainfall", "value": 3.0}]}))])
        publisher.loop_stop()
        stats = subscriber.run(until=time.monotonic() + 10, max_messages=1)
    finally:
        subscriber.stop()
        process.terminate()
        process.wait(5)
    assert stats.stored_readings == 1
    assert Reading.objects.unrestricted("test").filter(point=gauge, quantity="rainfall").count() == 1
