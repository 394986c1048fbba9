"""The outbox: text messages queued in the sender's transaction, delivered by the worker with retries, their
state and the gateway's answer kept; in-app messages; the administrator's outbox page."""

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from xiangzhi.core.models import AuditEntry
from xiangzhi.messaging import services, texts
from xiangzhi.messaging.models import Message, State
from xiangzhi.messaging.senders import HttpGatewaySender, clean_answer
from xiangzhi.tests.helpers import run_tasks

PHONE = "13812345678"


def _send(town, key=None):
    return services.sms_send(
        town=town, phone=PHONE, kind=texts.TEST, context={"town": town.name, "time": "09:30"}, key=key
    )


def _due_later():
    DBTaskResult.objects.filter(status="READY").update(
        run_after=timezone.now() - datetime.timedelta(seconds=1)
    )


class Gateway(BaseHTTPRequestHandler):
    answers: list = []
    received: list = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        Gateway.received.append((self.headers.get("Authorization"), json.loads(self.rfile.read(length))))
        status, body = Gateway.answers.pop(0) if Gateway.answers else (200, '{"ok": true}')
        self.send_response(status)
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = HTTPServer(("127.0.0.1", 0), Gateway)
    Gateway.answers, Gateway.received = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.XIANGZHI_SMS_SENDER = "xiangzhi.messaging.senders.HttpGatewaySender"
    settings.XIANGZHI_SMS_GATEWAY_URL = f"http://127.0.0.1:{server.server_port}/send"
    settings.XIANGZHI_SMS_GATEWAY_TOKEN = "gateway-token"
    yield Gateway
    server.shutdown()


def test_without_a_gateway_a_text_is_kept_in_the_outbox_and_marked_sent(town):
    message = _send(town)
    assert message.state == State.QUEUED
    assert message.body.startswith(f"【{town.name}】") or message.body.startswith(f"[{town.name}]")
    assert run_tasks() == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.SENT, 1)
    assert "no SMS gateway" in message.answer


def test_the_body_is_written_in_chinese_whatever_the_sender_reads(town, settings):
    from django.utils import translation

    with translation.override("en"):
        message = _send(town)
    assert "测试短信" in message.body


def test_a_text_is_queued_with_the_write_it_follows_and_not_without_it(town):
    with pytest.raises(RuntimeError), transaction.atomic():
        _send(town)
        raise RuntimeError("the write that sent it failed")
    assert not Message.objects.unrestricted("test").exists()
    assert not DBTaskResult.objects.exists()


def test_the_same_key_sends_once(town):
    first = _send(town, key="alarm-7-household-3")
    again = _send(town, key="alarm-7-household-3")
    assert again.pk == first.pk
    assert DBTaskResult.objects.count() == 1


def test_the_http_gateway_gets_the_text_and_its_answer_is_kept(town, gateway):
    message = _send(town)
    run_tasks()
    message.refresh_from_db()
    assert message.state == State.SENT
    assert message.answer == '{"ok": true}'
    [(auth, body)] = gateway.received
    assert auth == "Bearer gateway-token"
    assert body == {"id": message.pk, "to": PHONE, "text": message.body}


def test_a_refusing_gateway_is_retried_then_the_message_fails_without_the_number_in_its_answer(town, gateway):
    gateway.answers = [(503, f"busy, try later {PHONE}")] * 5
    message = _send(town)
    run_tasks()
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.QUEUED, 1)  # waiting for its retry
    assert PHONE not in message.answer and "HTTP 503" in message.answer
    for _ in range(4):
        _due_later()
        run_tasks()
    message.refresh_from_db()
    assert (message.state, message.attempts) == (State.FAILED, 5)
    assert len(gateway.received) == 5
    assert not DBTaskResult.objects.filter(status="READY").exists()
    assert all(PHONE not in r.traceback for r in DBTaskResult.objects.all())


def test_an_unreachable_gateway_is_a_send_error(town, settings):
    settings.XIANGZHI_SMS_GATEWAY_URL = "http://127.0.0.1:9/send"
    message = _send(town)
    with pytest.raises(Exception, match="gateway unreachable"):
        HttpGatewaySender(timeout=2).send(message)


def test_a_delivered_message_is_never_sent_twice(town, gateway):
    message = _send(town)
    run_tasks()
    from xiangzhi.messaging.tasks import deliver

    assert deliver.call(message.pk) == State.SENT
    assert len(gateway.received) == 1


@pytest.mark.parametrize(
    ("answer", "kept"),
    [("bad number 138 1234 5678", "bad number …"), ("ok id=12", "ok id=12"), ("to +8613812345678", "to +…")],
)
def test_gateway_answers_lose_the_numbers_they_echo(answer, kept):
    assert clean_answer(answer) == kept


def test_an_in_app_message_is_delivered_when_written(town, alice):
    message = services.in_app_send(
        recipient=alice, kind=texts.TEST, context={"town": town.name, "time": "10:00"}
    )
    assert message.state == State.SENT
    assert not DBTaskResult.objects.exists()


def test_the_administrator_reads_the_outbox_masked_and_sends_a_test(client, admin_user, town):
    client.force_login(admin_user)
    response = client.post("/messages/", {"phone": "139 1234 0000"})
    assert response.status_code == 302
    message = Message.objects.unrestricted("test").get()
    assert message.phone == "13912340000"
    assert AuditEntry.objects.filter(action="messaging.test.send").count() == 1
    page = client.get("/messages/").content.decode()
    assert "139****0000" in page and "13912340000" not in page
    run_tasks()
    assert "已发送" in client.get("/messages/?state=sent", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


def test_a_wrong_test_number_is_refused_with_a_message(client, admin_user):
    client.force_login(admin_user)
    response = client.post("/messages/", {"phone": "12345"})
    assert response.status_code == 200
    assert "11" in response.content.decode()
    assert not Message.objects.unrestricted("test").exists()


def test_a_failed_message_can_be_sent_again(client, admin_user, town, gateway):
    gateway.answers = [(500, "down")] * 5
    message = _send(town)
    for _ in range(5):
        _due_later()
        run_tasks()
    message.refresh_from_db()
    assert message.state == State.FAILED
    client.force_login(admin_user)
    assert client.post(f"/messages/{message.pk}/resend/").status_code == 302
    run_tasks()
    message.refresh_from_db()
    assert message.state == State.SENT
    assert AuditEntry.objects.filter(action="messaging.message.resend").count() == 1
