"""The outbox: text messages queued in the sender's transaction, delivered by the worker with retries, their
state and the gateway's answer kept; in-app messages; the administrator's outbox page."""

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from xiangzhi.core.background import failed_tasks
from xiangzhi.core.models import AuditEntry
from xiangzhi.messaging import services, texts
from xiangzhi.messaging.models import Message, State
from xiangzhi.messaging.senders import HttpGatewaySender, clean_answer
from xiangzhi.messaging.tasks import LEASE, claim, deliver, deliver_batch
from xiangzhi.tests.helpers import at_the_same_moment, run_tasks

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


# A fan-out: the same text to many numbers (a notice to every household head), queued in a few statements and
# delivered a batch per task.


def _recipients(count, prefix="fan"):
    return [
        services.Recipient(key=f"{prefix}:{i}", phone=f"138{i:08d}", name=f"户主{i}") for i in range(count)
    ]


def _fan_out(town, recipients):
    return services.sms_send_many(
        town=town, kind=texts.TEST, context={"town": town.name, "time": "09:30"}, recipients=recipients
    )


def _batches():
    return sorted(
        (r.args_kwargs["args"][0] for r in DBTaskResult.objects.filter(task_path=deliver_batch.module_path)),
        key=len,
        reverse=True,
    )


def test_a_fan_out_is_delivered_a_batch_per_task_each_text_sent(town):
    assert _fan_out(town, _recipients(450)) == 450
    assert [len(ids) for ids in _batches()] == [200, 200, 50]
    assert not DBTaskResult.objects.filter(task_path=deliver.module_path).exists()
    assert run_tasks() == 3
    messages = Message.objects.unrestricted("test")
    assert messages.count() == 450
    assert set(messages.values_list("state", "attempts", "answer")) == {
        (State.SENT, 1, "no SMS gateway configured: kept in the outbox")
    }
    assert not messages.filter(sent_at__isnull=True).exists()
    assert messages.get(key="fan:7").phone == "13800000007"


# the statements of a fan-out do not grow with the town: the same six for 3 households and for 60 (the keys read,
# the rows written, their ids read, one task per 200 texts, a savepoint); past that, one INSERT per 500 texts (per
# 66 on SQLite, whose driver limits bound parameters) and one task per 200
@pytest.mark.parametrize(("households", "statements"), [(3, 6), (60, 6), (450, 16)])
def test_a_fan_out_takes_a_few_statements_however_many_households(
    town, households, statements, django_assert_max_num_queries
):
    recipients = _recipients(households)
    with django_assert_max_num_queries(statements):
        _fan_out(town, recipients)
    with django_assert_max_num_queries(3):  # and again: the keys read, nothing written
        assert _fan_out(town, recipients) == 0
    first = _batches()[0]
    with django_assert_max_num_queries(4):  # claim, read, one UPDATE marks the batch sent, hand back the rest
        assert deliver_batch.call(first)["sent"] == len(first)


def test_a_fan_out_run_again_sends_nothing_twice(town):
    assert _fan_out(town, _recipients(200)) == 200
    run_tasks()
    assert _fan_out(town, _recipients(250)) == 50  # 200 known keys skipped, 50 new
    assert [len(ids) for ids in _batches()] == [200, 50]
    run_tasks()
    assert _fan_out(town, _recipients(250)) == 0
    assert DBTaskResult.objects.filter(task_path=deliver_batch.module_path).count() == 2
    messages = Message.objects.unrestricted("test")
    assert messages.count() == 250
    assert set(messages.values_list("state", "attempts")) == {(State.SENT, 1)}
    # a batch task run again (a retry of the task, a second worker) sends nothing either
    assert deliver_batch.call(_batches()[0])["not_claimed"] == 200


def test_two_claimers_never_get_the_same_message(town, gateway):
    _fan_out(town, _recipients(10))
    ids = _batches()[0]
    _, first = claim(ids[:6])
    _, second = claim(ids)
    assert [m.pk for m in first] == ids[:6]
    assert [m.pk for m in second] == ids[6:]
    assert claim(ids)[1] == []
    outcome = deliver_batch.call(ids)  # every message in other hands: nothing sent
    assert (outcome["sent"], outcome["not_claimed"]) == (0, 10)
    assert gateway.received == []
    # a claim older than the lease is a run that died: its messages are taken again
    Message.objects.unrestricted("test").filter(pk__in=ids[:6]).update(
        claimed_at=timezone.now() - LEASE - datetime.timedelta(seconds=1)
    )
    assert deliver_batch.call(ids)["sent"] == 6
    assert len(gateway.received) == 6


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent transactions")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_claimers_at_the_same_moment_share_a_batch_without_overlap(town):
    _fan_out(town, _recipients(300))
    ids = [i for batch in _batches() for i in batch]
    won: list[int] = []
    lock = threading.Lock()

    def take():
        _, messages = claim(ids)
        with lock:
            won.extend(m.pk for m in messages)

    at_the_same_moment(6, take)
    assert sorted(won) == sorted(ids)  # each message claimed exactly once


def test_a_refused_text_in_a_batch_is_retried_alone(town, gateway):
    gateway.answers = [(200, '{"ok": 1}'), (503, "busy"), (200, '{"ok": 3}')]
    _fan_out(town, _recipients(3))
    [ids] = _batches()
    assert run_tasks() == 1
    first, refused, third = (Message.objects.unrestricted("test").get(pk=pk) for pk in ids)
    assert (first.state, first.answer, third.state, third.answer) == (
        State.SENT,
        '{"ok": 1}',
        State.SENT,
        '{"ok": 3}',
    )
    assert (refused.state, refused.attempts, refused.answer, refused.claimed_by) == (
        State.QUEUED,
        1,
        "HTTP 503: busy",
        "",
    )
    [retry] = DBTaskResult.objects.filter(status="READY")
    assert retry.args_kwargs["args"] == [[refused.pk]]
    assert retry.run_after > timezone.now() + datetime.timedelta(seconds=20)  # after the backoff
    assert run_tasks() == 0
    _due_later()
    assert run_tasks() == 1
    refused.refresh_from_db()
    assert (refused.state, refused.attempts) == (State.SENT, 2)
    assert [body["id"] for _, body in gateway.received] == [*ids, refused.pk]
    assert not DBTaskResult.objects.filter(status="FAILED").exists()


def test_a_text_refused_five_times_fails_and_its_batch_task_says_so(town, gateway):
    gateway.answers = [(200, "ok")] + [(500, f"down {PHONE}")] * 5
    _fan_out(town, _recipients(2))
    for _ in range(5):
        _due_later()
        run_tasks()
    ok, refused = Message.objects.unrestricted("test").order_by("pk")
    assert (ok.state, ok.attempts) == (State.SENT, 1)
    assert (refused.state, refused.attempts) == (State.FAILED, 5)
    assert PHONE not in refused.answer
    assert not DBTaskResult.objects.filter(status="READY").exists()
    [final] = failed_tasks(final_only=True)
    assert "1 of 1 messages not delivered" in final.error


def test_a_run_near_the_end_of_its_lease_hands_the_rest_to_a_new_task(town, monkeypatch):
    from xiangzhi.messaging import tasks

    _fan_out(town, _recipients(5))
    [ids] = _batches()
    monkeypatch.setattr(tasks, "LEASE", datetime.timedelta(0))  # half of it is over before the first text
    assert deliver_batch.call(ids)["handed_back"] == 5
    messages = Message.objects.unrestricted("test")
    assert set(messages.values_list("state", "claimed_by")) == {(State.QUEUED, "")}
    monkeypatch.undo()
    assert run_tasks() == 2  # the first task, then the one it handed the rest to
    assert set(messages.values_list("state", "attempts")) == {(State.SENT, 1)}


def test_an_error_of_ours_mid_batch_frees_its_claims_for_the_retry(town, monkeypatch):
    from xiangzhi.messaging.senders import OutboxOnlySender

    _fan_out(town, _recipients(4))
    real, calls = OutboxOnlySender.send, []

    def broken(self, message):
        calls.append(message.pk)
        if len(calls) == 2:
            raise RuntimeError("a bug, not the gateway")
        return real(self, message)

    monkeypatch.setattr(OutboxOnlySender, "send", broken)
    assert run_tasks() == 1
    messages = Message.objects.unrestricted("test")
    assert set(messages.values_list("state", "claimed_by", "attempts")) == {(State.QUEUED, "", 0)}
    _due_later()
    assert run_tasks() == 1  # the task's retry sends the whole batch
    assert set(messages.values_list("state", "attempts")) == {(State.SENT, 1)}
