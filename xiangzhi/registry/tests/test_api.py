"""Registry API: the same services as the pages; errors are 400 with field names; out of scope is 404."""

import datetime
import re

import pytest
from rest_framework.test import APIClient

from xiangzhi.core.models import AuditEntry
from xiangzhi.registry.models import Household, Resident
from xiangzhi.registry.tests.factories import make_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


def test_household_card_payload_is_masked(api, household_a):
    data = api.get(f"/api/v1/registry/households/{household_a.pk}/").json()
    names = {m["resident"]["name"] for m in data["members"]}
    assert names == {"张三", "李四妹", "张小明", "王秀英"}
    head = next(m["resident"] for m in data["members"] if m["relationship"] == "head")
    assert head["id_number"].startswith("500111********")
    assert head["phones"][0]["number"] == "138****5678"
    assert [c["resident_name"] for c in data["call_list"]][-1] == "张小明"


def test_token_authentication(alice, household_a):
    from rest_framework.authtoken.models import Token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + Token.objects.create(user=alice).key)
    assert client.get("/api/v1/registry/search/", {"q": "zs"}).status_code == 200


def test_search_api(api, household_a):
    hits = api.get("/api/v1/registry/search/", {"q": "zs"}).json()
    assert hits[0]["resident_name"] == "张三"
    assert hits[0]["household"]["number"] == "A-001"


def test_create_household_and_add_member(api, group_a1):
    response = api.post(
        "/api/v1/registry/households/", {"group": group_a1.pk, "number": "A-100"}, format="json"
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    member = {
        "name": "刘备",
        "relationship": "head",
        "start_reason": "registered",
        "id_number": make_id(datetime.date(1961, 7, 1), "M", 31),
        "phones": [{"number": "13511112222", "holder": "self", "priority": 1}],
        "flags": [{"code": "disabled", "level": 3}],
    }
    response = api.post(f"/api/v1/registry/households/{pk}/members/", member, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    # the birth date comes from the ID number; beside its mask the API shows the age, not the date
    assert body["sex"] == "M" and body["birth_date"] is None and body["age"] >= 65
    assert body["phones"][0]["number"] == "135****2222"
    assert body["flags"] == [{"code": "disabled", "name": "残疾", "emergency": True, "level": 3}]
    assert Household.objects.get(pk=pk).head.name == "刘备"


@pytest.mark.parametrize(
    ("id_number", "code_word"),
    [
        ("500111196107010", "birth date"),
        ("50011119610701031", "18"),
        ("500111196107010310", "check character"),
    ],
)
def test_invalid_id_number_is_a_400_naming_the_problem(api, household_a, id_number, code_word):
    response = api.post(
        f"/api/v1/registry/households/{household_a.pk}/members/",
        {"name": "坏号", "relationship": "son", "start_reason": "registered", "id_number": id_number},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert code_word in " ".join(response.json()["id_number"])
    assert not Resident.objects.filter(name="坏号").exists()


def test_malformed_and_wrong_types_are_4xx(api, household_a):
    url = f"/api/v1/registry/households/{household_a.pk}/members/"
    assert api.post(url, "{not json", content_type="application/json").status_code == 400
    assert api.post(url, {"name": ["x"], "relationship": "nope"}, format="json").status_code == 400
    assert api.post(url, {"name": "x" * 500, "relationship": "son"}, format="json").status_code == 400


def test_update_resident(api, household_a):
    head = household_a.head
    response = api.put(
        f"/api/v1/registry/residents/{head.pk}/",
        {"name": "张三", "sex": "M", "residence_status": "migrant", "notes": "在重庆打工"},
        format="json",
    )
    assert response.status_code == 200, response.content
    head.refresh_from_db()
    assert head.residence_status == "migrant" and head.id_number  # ID kept
    assert head.phones.count() == 1  # phones untouched when not sent


def test_operations(api, household_a, admin_user, household_b):
    son = household_a.residents.get(name="张小明")
    r = api.post(
        f"/api/v1/registry/households/{household_a.pk}/split/",
        {"members": {str(son.pk): "head"}, "number": "A-200"},
        format="json",
    )
    assert r.status_code == 201, r.content
    new_pk = r.json()["id"]
    mother = household_a.residents.get(name="王秀英")
    r = api.post(
        f"/api/v1/registry/residents/{mother.pk}/move/",
        {"household": new_pk, "relationship": "mother"},
        format="json",
    )
    assert r.status_code == 200, r.content
    r = api.post(f"/api/v1/registry/residents/{mother.pk}/end/", {"reason": "deceased"}, format="json")
    assert r.json()["residence_status"] == "deceased"
    wife = household_a.residents.get(name="李四妹")
    r = api.post(
        f"/api/v1/registry/households/{household_a.pk}/change-head/",
        {"new_head": wife.pk, "relationships": {str(household_a.head_id): "spouse"}},
        format="json",
    )
    assert r.status_code == 200, r.content
    r = api.post(
        f"/api/v1/registry/households/{household_a.pk}/merge/",
        {"source": new_pk, "relationships": {str(son.pk): "son"}},
        format="json",
    )
    assert r.status_code == 200, r.content
    assert (
        api.post(
            f"/api/v1/registry/households/{household_a.pk}/merge/",
            {"source": household_b.pk, "relationships": {}},
            format="json",
        ).status_code
        == 404
    )
    assert AuditEntry.objects.filter(action__startswith="registry.household.").count() >= 4


def test_reveal_over_api_is_logged(api, household_a):
    head = household_a.head
    r = api.post(f"/api/v1/registry/residents/{head.pk}/reveal-id/")
    assert r.json()["value"] == head.id_number
    phone = head.phones.get()
    assert api.post(f"/api/v1/registry/phones/{phone.pk}/reveal/").json()["value"] == "13812345678"
    assert set(AuditEntry.objects.filter(actor_name="alice").values_list("action", flat=True)) >= {
        "registry.resident.reveal_id",
        "registry.phone.reveal",
    }
    # a number fetched for the dialer is a call, not a look
    api.post(f"/api/v1/registry/phones/{phone.pk}/reveal/?call=1")
    assert AuditEntry.objects.filter(action="registry.phone.call", actor_name="alice").count() == 1


def test_dashboard_api(api, household_a, household_b):
    data = api.get("/api/v1/registry/dashboard/").json()
    assert data["households"] == 1 and data["residents"] == 4
    assert {f["code"]: f["count"] for f in data["flags"]}["disabled"] == 1


def test_schema_and_docs_are_served_locally(api):
    assert api.get("/api/schema/").status_code == 200
    docs = api.get("/api/docs/").content.decode()
    # every script, style and image the page loads is the server's own (a CSRF token may spell "cdn" by chance)
    loaded = re.findall(r"""(?:src|href)=["']([^"']*)["']""", docs)
    assert loaded and all(url.startswith("/") or url.startswith("#") for url in loaded), loaded


def test_a_retried_write_with_the_same_idempotency_key_writes_once(api, household_a):
    url = f"/api/v1/registry/households/{household_a.pk}/members/"
    body = {
        "name": "张重试",
        "relationship": "son",
        "start_reason": "registered",
        "sex": "M",
        "no_id_reason": "新生儿",
    }
    first = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-123")
    again = api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-123")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Resident.objects.filter(name="张重试").count() == 1
    other_url = api.post(
        "/api/v1/registry/households/", {"number": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k-123"
    )
    assert other_url.status_code == 422
    api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k-456")
    assert Resident.objects.filter(name="张重试").count() == 2


def test_duplicate_id_number_is_a_400_with_the_holders_household(api, household_a, admin_user, group_a1):
    other = api.post("/api/v1/registry/households/", {"group": group_a1.pk, "number": "A-101"}, format="json")
    member = {
        "name": "冒名",
        "relationship": "head",
        "start_reason": "registered",
        "id_number": household_a.head.id_number,
    }
    response = api.post(f"/api/v1/registry/households/{other.json()['id']}/members/", member, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["id_number"] and body["existing_household"].endswith(
        f"/api/v1/registry/households/{household_a.pk}/"
    )
    assert not Resident.objects.filter(name="冒名").exists()


def test_duplicate_held_out_of_scope_gives_no_link(charlie, household_a, household_b):
    client = APIClient()
    client.force_authenticate(charlie)
    member = {
        "name": "冒名",
        "relationship": "son",
        "start_reason": "registered",
        "id_number": household_a.head.id_number,
    }
    response = client.post(f"/api/v1/registry/households/{household_b.pk}/members/", member, format="json")
    assert response.status_code == 400
    assert "existing_household" not in response.json()


def test_an_endpoint_that_forgets_its_check_answers_404_when_the_service_refuses(
    duty, household_a, monkeypatch
):
    # given an endpoint whose role check is lost, and the duty officer who may view households but not change them
    from xiangzhi.registry.api import views

    monkeypatch.setattr(views.HouseholdViewSet, "permissions", {"*": "registry.view"})  # "confirm" forgotten
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(duty)
    response = client.post(f"/api/v1/registry/households/{household_a.pk}/confirm/")
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(action="registry.household.confirm").exists()
