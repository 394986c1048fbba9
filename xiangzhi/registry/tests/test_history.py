"""A household's history, read from its memberships: every service that starts or ends one says why."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from xiangzhi.registry import services
from xiangzhi.registry.models import Household, Membership, Resident
from xiangzhi.registry.tests.factories import make_id

pytestmark = pytest.mark.django_db


def _joined(resident, household):
    return Membership.objects.get(resident=resident, household=household).start_reason


def test_adding_a_member_needs_why_they_join(alice, household_a):
    base = {"actor": alice, "household": household_a, "relationship": "grandson", "name": "张新", "sex": "M"}
    with pytest.raises(TypeError):
        services.resident_add(**base, no_id_reason="新生儿")  # no default
    for wrong in ("", "moved", "split", "nonsense"):
        with pytest.raises(ValidationError) as exc:
            services.resident_add(**base, no_id_reason="新生儿", start_reason=wrong)
        assert "start_reason" in exc.value.message_dict
    assert not Resident.objects.filter(name="张新").exists()
    for reason in ("birth", "marriage", "moved_in", "registered"):
        resident = services.resident_add(**base, no_id_reason="新生儿", start_reason=reason)
        assert _joined(resident, household_a) == reason


def test_a_move_within_the_town_ends_and_starts_as_a_move(admin_user, household_a, household_b):
    son = household_a.residents.get(name="张小明")
    services.resident_move(actor=admin_user, resident=son, household=household_b, relationship="other")
    assert Membership.objects.get(resident=son, household=household_a).end_reason == "moved"
    assert _joined(son, household_b) == "moved"


def test_one_who_left_the_town_and_comes_back_moved_in(admin_user, household_a, household_b):
    son = household_a.residents.get(name="张小明")
    services.membership_end(actor=admin_user, resident=son, reason="moved_out")
    son.refresh_from_db()
    services.resident_move(actor=admin_user, resident=son, household=household_b, relationship="other")
    assert _joined(son, household_b) == "moved_in"


def test_a_split_names_where_the_household_came_from(alice, household_a):
    son = household_a.residents.get(name="张小明")
    new = services.household_split(actor=alice, household=household_a, members={son.pk: "head"}, number="A-9")
    assert new.split_from == household_a
    assert list(household_a.split_off.all()) == [new]
    assert Membership.objects.get(resident=son, household=household_a).end_reason == "split"
    assert _joined(son, new) == "split"


def test_a_merge_starts_as_a_merge(admin_user, household_a, household_b):
    zhao = household_b.head
    services.household_merge(
        actor=admin_user, source=household_b, target=household_a, relationships={zhao.pk: "other"}
    )
    assert _joined(zhao, household_a) == "merged"
    assert Membership.objects.get(resident=zhao, household=household_b).end_reason == "merged"


def test_a_new_household_is_split_from_nothing(admin_user, group_a1):
    household = services.household_create(actor=admin_user, group=group_a1, number="A-77")
    assert Household.objects.get(pk=household.pk).split_from is None


def test_the_add_member_page_asks_why_with_no_default(client, alice, household_a):
    client.force_login(alice)
    url = reverse("registry:resident_add", args=[household_a.pk])
    page = client.get(url).content.decode()
    choices = page.split('name="start_reason"')[1].split("</select>")[0]
    assert '<option value="" selected>' in choices and choices.count("selected") == 1
    payload = {"name": "张新", "relationship": "grandson", "residence_status": "at_home", "sex": "M"}
    payload |= {"no_id_reason": "新生儿"}
    response = client.post(url, payload)
    assert response.status_code == 200 and not Resident.objects.filter(name="张新").exists()
    response = client.post(url, payload | {"start_reason": "birth"})
    assert response.status_code == 302
    assert _joined(Resident.objects.get(name="张新"), household_a) == "birth"


def test_the_api_needs_why_they_join(alice, household_a):
    api = APIClient()
    api.force_authenticate(alice)
    url = f"/api/v1/registry/households/{household_a.pk}/members/"
    body = {"name": "张新", "relationship": "grandson", "sex": "M", "no_id_reason": "新生儿"}
    response = api.post(url, body, format="json")
    assert response.status_code == 400 and "start_reason" in response.json()
    assert api.post(url, body | {"start_reason": "moved"}, format="json").status_code == 400
    response = api.post(url, body | {"start_reason": "marriage"}, format="json")
    assert response.status_code == 201, response.content
    assert _joined(Resident.objects.get(name="张新"), household_a) == "marriage"


def _card(client, user, household):
    client.force_login(user)
    return client.get(reverse("registry:household", args=[household.pk])).content.decode()


def test_the_card_tells_the_history_to_who_keeps_the_registry(
    client, admin_user, alice, duty, household_a, household_b
):
    # given: a birth, a death, a split and a move to a household of another village
    household_a.refresh_from_db()
    services.resident_add(
        actor=admin_user,
        household=household_a,
        relationship="grandson",
        start_reason="birth",
        name="张宝宝",
        sex="M",
        no_id_reason="新生儿",
    )
    mother = household_a.residents.get(name="王秀英")
    services.membership_end(actor=admin_user, resident=mother, reason="deceased")
    son = household_a.residents.get(name="张小明")
    new = services.household_split(
        actor=admin_user, household=household_a, members={son.pk: "head"}, number="A-9"
    )
    wife = household_a.residents.get(name="李四妹")
    services.resident_move(actor=admin_user, resident=wife, household=household_b, relationship="other")
    # then: the cadre of village A sees every event, the split linked, the other village's household unnamed
    page = _card(client, alice, household_a)
    history = page.split('id="history-h"')[1].split("</section>")[0]
    for text in (
        '"joined birth"><time',
        "张宝宝",
        '"left deceased"><time',
        "王秀英",
        '"left split"><time',
        "张小明",
        '"left moved"><time',
        "李四妹",
        "您管辖范围以外",
    ):
        assert text in history, text
    assert f'href="{reverse("registry:household", args=[new.pk])}">A-9</a>' in history
    assert "B-001" not in history
    # the administrator may view village B: the move names it
    assert ">B-001</a>" in _card(client, admin_user, household_a)
    # the new household says where it came from
    assert ">A-001</a>" in _card(client, alice, new).split('id="history-h"')[1]
    # a duty officer (view only) sees no history
    assert 'id="history-h"' not in _card(client, duty, household_a)


def test_a_birth_shows_its_year_only_to_who_may_not_reveal_ids(client, admin_user, grid, household_a):
    baby = services.resident_add(
        actor=admin_user,
        household=household_a,
        relationship="grandson",
        start_reason="birth",
        name="张宝宝",
        id_number=make_id(datetime.date(2025, 3, 4), "M", 7),
    )
    day = timezone.localtime(Membership.objects.get(resident=baby).started_at)
    history = _card(client, grid, household_a).split('id="history-h"')[1].split("</section>")[0]
    assert "张宝宝" in history and f"{day:%Y-%m-%d}" not in history.split("张宝宝")[0].rsplit("<li", 1)[1]
    history = _card(client, admin_user, household_a).split('id="history-h"')[1]
    assert f"{day:%Y-%m-%d}" in history.split("张宝宝")[0].rsplit("<li", 1)[1]


def test_the_history_costs_a_fixed_number_of_queries(
    client, admin_user, household_a, django_assert_max_num_queries
):
    client.force_login(admin_user)
    url = reverse("registry:household", args=[household_a.pk])
    son = household_a.residents.get(name="张小明")
    services.household_split(actor=admin_user, household=household_a, members={son.pk: "head"}, number="A-9")
    client.get(url)
    with django_assert_max_num_queries(14) as few:
        client.get(url)
    for name in ("李四妹", "王秀英"):
        r = household_a.residents.get(name=name)
        services.household_split(
            actor=admin_user, household=household_a, members={r.pk: "head"}, number=f"A-{r.pk}"
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
