"""Idempotency keys (core.idempotency): API retries replay, page double-submits write once, concurrent retries
write once on PostgreSQL, old keys are purged."""

import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from xiangzhi.core import idempotency
from xiangzhi.core.models import IdempotencyRecord
from xiangzhi.registry.models import Household
from xiangzhi.tests.helpers import at_the_same_moment

URL = "/api/v1/registry/households/"


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


def _create(api, number, key, **extra):
    return api.post(URL, {"number": number, **extra}, format="json", HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_a_retry_replays_the_first_answer_and_writes_once(api, group_a1):
    first = _create(api, "A-300", "k-1", group=group_a1.pk)
    again = _create(api, "A-300", "k-1", group=group_a1.pk)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and not first.has_header("Idempotent-Replayed")
    assert Household.objects.filter(number="A-300").count() == 1
    record = IdempotencyRecord.objects.get(key="k-1")
    assert (record.method, record.path, record.status_code) == ("POST", URL, 201)
    assert len(record.request_hash) == 64


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_a_422(api, group_a1):
    _create(api, "A-301", "k-2", group=group_a1.pk)
    other = _create(api, "A-302", "k-2", group=group_a1.pk)
    assert other.status_code == 422
    assert other.json()["detail"] == "该 Idempotency-Key 已用于内容不同的请求。"
    assert not Household.objects.filter(number="A-302").exists()


@pytest.mark.django_db
def test_the_same_key_on_another_endpoint_is_a_422(api, group_a1, household_a):
    first = _create(api, "A-303", "k-3", group=group_a1.pk)
    other = api.post(
        f"{URL}{household_a.pk}/confirm/", {"number": "A-303", "group": group_a1.pk}, format="json",
        HTTP_IDEMPOTENCY_KEY="k-3",
    )  # fmt: skip
    assert first.status_code == 201 and other.status_code == 422
    assert other.json()["detail"] == "该 Idempotency-Key 已用于另一个请求。"


@pytest.mark.django_db
def test_a_failed_request_keeps_nothing_so_the_corrected_retry_goes_ahead(api, group_a1):
    # given a create refused for a missing group
    refused = _create(api, "A-304", "k-4")
    assert refused.status_code == 400
    assert not IdempotencyRecord.objects.filter(key="k-4").exists()
    # when the client corrects it under the same key, it is written
    fixed = _create(api, "A-304", "k-4", group=group_a1.pk)
    assert fixed.status_code == 201 and not fixed.has_header("Idempotent-Replayed")
    assert Household.objects.filter(number="A-304").count() == 1


@pytest.mark.django_db
def test_a_service_claims_inside_its_transaction(alice):
    scope = idempotency.Scope("CALL", "points.debit")
    with transaction.atomic():
        assert idempotency.idempotency_claim(user=alice, key="d-1", scope=scope, request_hash="h") is None
        # the same key seen while its first use has not finished: 409, never a second write
        with pytest.raises(idempotency.IdempotencyInFlight) as busy:
            idempotency.idempotency_claim(user=alice, key="d-1", scope=scope, request_hash="h")
        assert busy.value.status_code == 409
        idempotency.idempotency_complete(user=alice, key="d-1", status_code=200, body={"entry": 7})
    with transaction.atomic():
        stored = idempotency.idempotency_claim(user=alice, key="d-1", scope=scope, request_hash="h")
    assert stored == idempotency.StoredResult(200, {"entry": 7})
    with transaction.atomic(), pytest.raises(idempotency.IdempotencyKeyReused):
        idempotency.idempotency_claim(user=alice, key="d-1", scope=scope, request_hash="other")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_claim_outside_a_transaction_is_refused(alice):
    with pytest.raises(transaction.TransactionManagementError):
        idempotency.idempotency_claim(
            user=alice, key="d-2", scope=idempotency.Scope("CALL", "x"), request_hash="h"
        )


def _token(response) -> str:
    found = re.search(r'name="idempotency_token" value="([^"]+)"', response.content.decode())
    assert found, "the form carries its one-time token"
    return found.group(1)


@pytest.mark.django_db
def test_a_page_form_sent_twice_writes_once(client, alice, group_a1):
    # given the new-household form with its one-time token
    client.force_login(alice)
    url = reverse("registry:household_create")
    token = _token(client.get(url))
    data = {"group": group_a1.pk, "number": "00101305", "idempotency_token": token}
    # when it is sent twice (a double click, a resend after a lost answer)
    first = client.post(url, data)
    again = client.post(url, data, follow=True)
    # then one household, and the second submit lands where the first went
    household = Household.objects.get(number="00101305")
    assert first.status_code == 302
    assert first["Location"] == reverse("registry:resident_add", args=[household.pk])
    assert again.redirect_chain[0] == (first["Location"], 302)
    assert "此表单已经保存过" in again.content.decode()
    assert Household.objects.filter(number="00101305").count() == 1


@pytest.mark.django_db
def test_a_page_form_shown_again_with_errors_keeps_its_token_usable(client, alice, group_a1, household_a):
    client.force_login(alice)
    url = reverse("registry:resident_add", args=[household_a.pk])
    token = _token(client.get(url))
    data = {
        "relationship": "son",
        "start_reason": "registered",
        "residence_status": "at_home",
        "no_id_reason": "新生儿",
        "sex": "M",
    }
    data["idempotency_token"] = token
    assert client.post(url, data).status_code == 200  # no name: shown again with the error
    assert client.post(url, {**data, "name": "张补"}).status_code == 302
    assert client.post(url, {**data, "name": "张补"}).status_code == 302
    assert household_a.residents.filter(name="张补").count() == 1


@pytest.mark.django_db
def test_purge_forgets_keys_older_than_the_retention(api, group_a1):
    _create(api, "A-306", "old", group=group_a1.pk)
    _create(api, "A-307", "new", group=group_a1.pk)
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    assert idempotency.idempotency_purge() == 1
    assert set(IdempotencyRecord.objects.values_list("key", flat=True)) == {"new"}
    out = io.StringIO()
    call_command("purge_idempotency_keys", "--hours", "0", stdout=out)
    assert out.getvalue().startswith("1 ")
    assert not IdempotencyRecord.objects.exists()
    # a purged key is a new request again
    assert _create(api, "A-306", "old", group=group_a1.pk).status_code == 400  # the number is taken now


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent transactions")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_concurrent_retries_write_once(alice, group_a1):
    # given 20 clients sending the same create with the same key at the same moment
    threads_count = 20
    answers = []

    def send():
        client = APIClient()
        client.force_authenticate(alice)
        answers.append(_create(client, "A-400", "burst", group=group_a1.pk))

    at_the_same_moment(threads_count, send)

    # then one household is written, and the 19 others replay its answer
    assert Household.objects.filter(number="A-400").count() == 1
    assert len(answers) == threads_count
    assert {a.status_code for a in answers} == {201}
    replayed = [a for a in answers if a.has_header("Idempotent-Replayed")]
    assert len(replayed) == threads_count - 1
    assert all(a.json() == answers[0].json() for a in answers)  # equal, if not in key order (jsonb sorts)
