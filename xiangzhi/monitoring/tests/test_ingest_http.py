"""The signed HTTP endpoint: a device sends heartbeats and readings for its own point; unsigned, wrongly signed,
stale and replayed requests are refused, bad bodies are a 400 that stores nothing, duplicates are dropped."""

import json
import time

import pytest
from django.test import Client

from xiangzhi.core.audit import AuditEntry
from xiangzhi.monitoring import services
from xiangzhi.monitoring.choices import PointKind, PointStatus, Quantity
from xiangzhi.monitoring.ingest import DevicePrincipal, sign
from xiangzhi.monitoring.models import DeviceKey, Point, PointStatusChange, Reading

from .factories import PointFactory

URL = "/api/v1/monitoring/ingest/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def gauge(admin_user, village_a):
    return PointFactory.create(actor=admin_user, village=village_a, kind=PointKind.WATER_LEVEL)


@pytest.fixture
def key(admin_user, gauge):
    key, secret = services.device_key_rotate(actor=admin_user, point=gauge)
    return key.key_id, secret


def _post(client, key, payload, *, timestamp=None, secret=None, body=None):
    key_id, real_secret = key
    body = body if body is not None else json.dumps(payload).encode()
    timestamp = str(timestamp if timestamp is not None else int(time.time()))
    return client.post(
        URL,
        data=body,
        content_type="application/json",
        headers={
            "X-Device-Id": key_id,
            "X-Timestamp": timestamp,
            "X-Signature": sign(secret or real_secret, timestamp, body),
        },
    )


def _readings(point):
    return list(
        Reading.objects.unrestricted("test")
        .filter(point=point)
        .order_by("at")
        .values_list("quantity", "value")
    )


def test_a_signed_batch_is_stored_and_the_point_comes_online(gauge, key):
    client = Client()
    answer = _post(
        client,
        key,
        [
            {"heartbeat": True},
            {
                "readings": [
                    {"quantity": "water_level", "value": 312.41, "at": "2026-11-29T08:00:00+08:00"},
                    {"quantity": "water_level", "value": 312.45, "at": "2026-11-29T08:01:00+08:00"},
                ]
            },
        ],
    )
    assert answer.status_code == 202, answer.content
    assert answer.json() == {"messages": 2, "readings": 2}
    assert _readings(gauge) == [(Quantity.WATER_LEVEL, 312.41), (Quantity.WATER_LEVEL, 312.45)]
    point = Point.objects.unrestricted("test").get(pk=gauge.pk)
    assert point.status == PointStatus.ONLINE
    assert PointStatusChange.objects.unrestricted("test").filter(point=gauge).count() == 1
    assert DeviceKey.objects.unrestricted("test").get(point=gauge).last_used_at is not None


def test_the_same_readings_again_are_dropped_not_doubled(gauge, key):
    client = Client()
    payload = {"readings": [{"quantity": "rainfall", "value": 1.5, "at": "2026-11-29T08:00:00+08:00"}]}
    assert _post(client, key, payload).status_code == 202
    # a new request (new time, so a new signature) carrying the same reading
    assert _post(client, key, payload, timestamp=int(time.time()) + 1).status_code == 202
    assert _readings(gauge) == [(Quantity.RAINFALL, 1.5)]


def test_a_replayed_request_is_refused(gauge, key):
    client = Client()
    body = json.dumps({"heartbeat": True}).encode()
    timestamp = int(time.time())
    assert _post(client, key, None, body=body, timestamp=timestamp).status_code == 202
    again = _post(client, key, None, body=body, timestamp=timestamp)
    assert again.status_code == 409
    assert "已收到" in again.json()["detail"]


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"secret": "not-the-key"}, 401, "签名不符"),
        ({"timestamp": int(time.time()) - 3600}, 401, "时钟"),
        ({"timestamp": "yesterday"}, 401, "X-Timestamp"),
    ],
)
def test_bad_signatures_and_stale_times_are_refused(gauge, key, change, status, words):
    answer = _post(Client(), key, {"heartbeat": True}, **change)
    assert answer.status_code == status
    assert words in answer.json()["detail"]
    assert Point.objects.unrestricted("test").get(pk=gauge.pk).status == PointStatus.NEVER_SEEN


def test_an_unsigned_request_and_an_unknown_device_get_the_same_answer(gauge, key):
    client = Client()
    assert client.post(URL, data="{}", content_type="application/json").status_code == 401
    unknown = _post(client, ("d0-000000000000", key[1]), {"heartbeat": True})
    wrong = _post(client, key, {"heartbeat": True}, secret="x")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{not json", "JSON"),
        (b"[[[" * 5000 + b"]]]" * 5000, "JSON"),
        (b"[]", "为空"),
        (b'"heartbeat"', "JSON 对象"),
        (b'{"readings": [{"quantity": "wind", "value": 1}]}', "wind"),
        (b'{"readings": [{"quantity": "rainfall", "value": "a lot"}]}', "数字"),
        (b'{"readings": [{"quantity": "rainfall", "value": 1, "at": "2999-01-01T00:00:00Z"}]}', "将来"),
        (b'{"readings": [{"quantity": "rainfall", "value": 1, "at": "noon"}]}', "2026-11-29T08:00:00+08:00"),
        (b"{}", "既没有心跳"),
    ],
)
def test_a_bad_body_is_a_400_and_stores_nothing(gauge, key, body, words):
    # one good reading beside the bad part of a batch: refused whole
    if body.startswith(b"{") and b"readings" in body:
        body = b'[{"readings": [{"quantity": "rainfall", "value": 2}]}, ' + body + b"]"
    answer = _post(Client(), key, None, body=body)
    assert answer.status_code == 400, answer.content
    assert words in answer.json()["detail"]
    assert _readings(gauge) == []


def test_a_rotated_key_stops_the_old_one_and_is_audited(admin_user, gauge, key):
    new_key, new_secret = services.device_key_rotate(actor=admin_user, point=gauge)
    assert _post(Client(), key, {"heartbeat": True}).status_code == 401
    assert _post(Client(), (new_key.key_id, new_secret), {"heartbeat": True}).status_code == 202
    actions = list(
        AuditEntry.objects.unrestricted("test")
        .filter(action__startswith="monitoring.device_key")
        .values_list("action", flat=True)
    )
    assert sorted(actions) == ["monitoring.device_key.create", "monitoring.device_key.rotate"]
    # the secret is in no audit row
    assert not AuditEntry.objects.unrestricted("test").filter(after__icontains=new_secret).exists()


def test_only_the_town_administrator_makes_keys(alice, duty, gauge):
    from xiangzhi.core.exceptions import NotInScope

    for user in (alice, duty):
        with pytest.raises(NotInScope):
            services.device_key_rotate(actor=user, point=gauge)


def test_a_device_reaches_its_own_point_and_nothing_else(admin_user, village_a, gauge):
    other = PointFactory.create(actor=admin_user, village=village_a, kind=PointKind.RAIN)
    device = DevicePrincipal.for_point(gauge)
    from xiangzhi.monitoring import permissions as perms

    assert list(Point.objects.restrict(device, perms.INGEST).values_list("pk", flat=True)) == [gauge.pk]
    assert not Point.objects.restrict(device, perms.VIEW).exists()
    assert other.pk not in Point.objects.restrict(device, perms.INGEST).values_list("pk", flat=True)


def test_the_administrator_makes_a_key_on_the_points_page_and_sees_the_secret_once(admin_user, gauge):
    client = Client()
    client.force_login(admin_user)
    page = client.get(f"/monitoring/points/{gauge.pk}/device-key/")
    assert "还没有密钥" in page.content.decode()
    made = client.post(f"/monitoring/points/{gauge.pk}/device-key/")
    key = DeviceKey.objects.unrestricted("test").get(point=gauge)
    assert key.secret in made.content.decode()
    again = client.get(f"/monitoring/points/{gauge.pk}/device-key/").content.decode()
    assert key.key_id in again
    assert key.secret not in again
    assert f"xiangzhi/{gauge.town_id}/{gauge.code}/readings" in again


def test_a_cadre_cannot_reach_the_key_page(alice, gauge):
    client = Client()
    client.force_login(alice)
    assert client.get(f"/monitoring/points/{gauge.pk}/device-key/").status_code == 404
    assert client.post(f"/monitoring/points/{gauge.pk}/device-key/").status_code == 404
    assert not DeviceKey.objects.unrestricted("test").exists()
