"""Search by number confirms no digit the mask hides: the attack a script would run, for every role that views the
registry, and the audit row and hourly limit of a search by a whole number."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from xiangzhi.core.masking import mask_id_number, mask_phone
from xiangzhi.core.models import AuditEntry
from xiangzhi.registry.search import NUMBER_SEARCH, NumberSearchLimit, search

pytestmark = pytest.mark.django_db

SEARCH_API = "/api/v1/registry/search/"
PHONE = "13812345678"  # 张三's, shown as 138****5678
VIEWERS = ["admin", "cadre", "grid", "duty", "clerk"]  # every role that views 张三's household
ID_VIEWERS = ["admin", "cadre"]  # the roles that may search ID numbers


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def found(client, query: str) -> list[tuple[str, int]]:
    """What a script reads back: (resident name, household id) of every hit."""
    response = client.get(SEARCH_API, {"q": query})
    assert response.status_code == 200, (query, response.content)
    return [(hit["resident_name"], hit["household"]["id"]) for hit in response.json()]


def assert_no_digit_confirmed(client, number: str, longest: int) -> None:
    """The attack: from the last four characters the mask shows, guess one more digit to the left, ten queries a
    digit, and keep the one that answers differently. Every guess must answer the same — nothing — so no digit is
    confirmed. The test knows the number, so it goes on as if each digit had been confirmed: every longer tail is
    tried too."""
    for length in range(5, longest + 1):
        known = number[-(length - 1) :]
        answers = {digit: found(client, digit + known) for digit in "0123456789"}
        assert len({tuple(a) for a in answers.values()}) == 1, (length, answers)
        assert all(name != "张三" for a in answers.values() for name, _ in a), (length, answers)


@pytest.fixture
def head_id(household_a):
    return household_a.head.id_number


@pytest.mark.parametrize("role", VIEWERS)
def test_a_phone_tail_longer_than_the_mask_shows_confirms_no_digit(role, users, household_a):
    client = api_for(users[role])
    assert "张三" in [name for name, _ in found(client, PHONE[-4:])]  # what the mask shows finds him
    # 5 to 10 digits: with the first three the mask shows, 8 would complete the number
    assert_no_digit_confirmed(client, PHONE, 10)
    assert not AuditEntry.objects.filter(action=NUMBER_SEARCH).exists()  # nothing was a whole number


@pytest.mark.parametrize("role", ID_VIEWERS)
def test_an_id_tail_longer_than_the_mask_shows_confirms_no_digit(role, users, head_id):
    client = api_for(users[role])
    assert "张三" in [name for name, _ in found(client, head_id[-4:])]
    # the mask shows the first 6 and the last 4: the 8 between are the birth date; go two past them
    assert_no_digit_confirmed(client, head_id, 14)


@pytest.mark.parametrize("role", ["grid", "duty", "clerk"])
def test_roles_that_see_no_id_number_find_nobody_by_one(role, users, head_id):
    client = api_for(users[role])
    for query in (head_id[-4:], head_id[-6:], head_id[:17], head_id):
        assert "张三" not in [name for name, _ in found(client, query)], query
    assert not AuditEntry.objects.filter(action=NUMBER_SEARCH).exists()


# ------------------------------------------------------------------------------------- whole numbers: audited


def test_a_whole_phone_number_is_audited_masked(alice, household_a):
    assert [h.resident.name for h in search(alice, PHONE)] == ["张三"]
    row = AuditEntry.objects.get(action=NUMBER_SEARCH)
    assert row.actor == alice and row.town_id == alice.town_id
    assert row.after == {"phone": mask_phone(PHONE)} == {"phone": "138****5678"}
    assert "12345678" not in str(row.after) + row.target_repr


@pytest.mark.parametrize("form", ["18", "17", "15"])
def test_a_whole_id_number_is_audited_masked(alice, head_id, form):
    query = {"18": head_id, "17": head_id[:17], "15": head_id[:6] + head_id[8:17]}[form]
    assert [h.resident.name for h in search(alice, query)] == ["张三"]
    row = AuditEntry.objects.get(action=NUMBER_SEARCH)
    assert row.after == {"id_number": mask_id_number(head_id)}
    assert head_id[6:14] not in str(row.after)


def test_a_tail_is_neither_audited_nor_limited(alice, household_a, settings):
    settings.XIANGZHI_NUMBER_SEARCHES_PER_HOUR = 1
    for _ in range(5):
        assert "张三" in [h.resident.name for h in search(alice, PHONE[-4:])]
    assert not AuditEntry.objects.filter(action=NUMBER_SEARCH).exists()


# ------------------------------------------------------------------------------------- whole numbers: limited


def test_the_21st_whole_number_in_an_hour_gets_429_through_the_api(alice, household_a, settings):
    assert settings.XIANGZHI_NUMBER_SEARCHES_PER_HOUR == 20
    client = api_for(alice)
    # Given 20 guesses at the hidden middle of 138****5678, all wrong
    for guess in range(20):
        assert found(client, f"138{guess:04d}5678") == []
    # When the 21st is the right number
    response = client.get(SEARCH_API, {"q": PHONE})
    # Then it is refused, says why, and finds nothing
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "number_search_limit" and "20" in body["detail"]
    assert 0 < int(response["Retry-After"]) <= 3600
    assert "张三" not in response.content.decode()
    # every attempt was audited, the refused one too
    assert AuditEntry.objects.filter(actor=alice, action=NUMBER_SEARCH).count() == 21
    # the tail the mask shows still works, and so does a name
    assert "张三" in [name for name, _ in found(client, PHONE[-4:])]
    assert "张三" in [name for name, _ in found(client, "张三")]


def test_the_page_says_the_limit_is_reached(client, alice, household_a, settings):
    settings.XIANGZHI_NUMBER_SEARCHES_PER_HOUR = 2
    client.force_login(alice)
    url = reverse("registry:search")
    for _ in range(2):
        assert "张三" in client.get(url, {"q": PHONE}).content.decode()
    response = client.get(url, {"q": PHONE})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in html and "每小时最多 2 次" in html
    assert "张三" not in html


def test_the_limit_is_per_user_and_per_hour(alice, bob, household_a, settings, monkeypatch):
    settings.XIANGZHI_NUMBER_SEARCHES_PER_HOUR = 2
    search(alice, PHONE)
    search(alice, PHONE)
    with pytest.raises(NumberSearchLimit) as refused:
        search(alice, PHONE)
    assert 55 * 60 < refused.value.retry_after_seconds <= 3600
    assert search(bob, PHONE)  # a colleague has a limit of his own
    # an hour later the checks have aged out
    later = timezone.now() + datetime.timedelta(minutes=61)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert [h.resident.name for h in search(alice, PHONE)] == ["张三"]


def test_typing_a_whole_number_checks_nothing_until_it_is_submitted(client, alice, household_a):
    """A pause while typing an ID number (at 11, 15 or 17 digits) is no lookup: the live search asks for Enter;
    the submitted search looks the number up, audited."""
    client.force_login(alice)
    url = reverse("registry:search")
    live = client.get(url, {"q": "13812345678"}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert "press Enter" in live.content.decode() and "张三" not in live.content.decode()
    assert not AuditEntry.objects.filter(action="registry.search.number").exists()
    submitted = client.get(url, {"q": "13812345678"})
    assert "张三" in submitted.content.decode()
    assert AuditEntry.objects.filter(action="registry.search.number").count() == 1
