"""A flag listed twice or a key no row could have is an answer to the user (a form error, a 400), never a 500."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from xiangzhi.registry import services
from xiangzhi.registry.models import FlagType, ResidentFlag

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # beyond 64 bits: SQLite raised OverflowError on `pk__in`
NEW_MEMBER = {
    "name": "张小红",
    "relationship": "daughter",
    "start_reason": "registered",
    "sex": "F",
    "no_id_reason": "刚出生，还没上户口",
    "residence_status": "at_home",
}


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


def _disabled(town):
    return FlagType.objects.get(town=town, code="disabled")


def test_the_same_flag_twice_with_one_level_is_kept_once(api, household_a):
    flag = {"code": "disabled", "level": 2}
    response = api.post(
        f"/api/v1/registry/households/{household_a.pk}/members/",
        {**NEW_MEMBER, "flags": [flag, flag]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["flags"] == [{"code": "disabled", "name": "残疾", "emergency": True, "level": 2}]


def test_the_same_flag_twice_with_two_levels_is_a_400_naming_it(api, household_a):
    head = household_a.head
    response = api.put(
        f"/api/v1/registry/residents/{head.pk}/",
        {"name": "张三", "flags": [{"code": "disabled", "level": 2}, {"code": "disabled", "level": 3}]},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "残疾" in response.json()["flags"][0]
    assert not ResidentFlag.objects.filter(resident=head).exists()


def test_the_service_merges_a_flag_given_twice(admin_user, household_a):
    flag = _disabled(household_a.town)
    resident = services.resident_add(
        actor=admin_user,
        household=household_a,
        **NEW_MEMBER,
        flags=[services.FlagInput(flag=flag, level=1), services.FlagInput(flag=flag, level=1)],
    )
    assert list(resident.flags.values_list("flag__code", "level")) == [("disabled", 1)]


@pytest.mark.parametrize("bad", [HUGE, "9" * 5000, "-1", "1.5", "١"])
def test_a_flag_key_no_row_could_have_is_a_form_error(client, alice, household_a, bad):
    client.force_login(alice)
    for url in (
        reverse("registry:resident_add", args=[household_a.pk]),
        reverse("registry:resident_edit", args=[household_a.head_id]),
    ):
        response = client.post(url, {**NEW_MEMBER, "flags": [bad]})
        assert response.status_code == 200
        assert response.context["form"].errors["flags"]


def test_the_same_flag_twice_on_the_page_is_one_flag(client, alice, household_a):
    client.force_login(alice)
    flag = _disabled(household_a.town)
    response = client.post(
        reverse("registry:resident_add", args=[household_a.pk]),
        {**NEW_MEMBER, "flags": [flag.pk, flag.pk], "disability_level": "1"},
    )
    assert response.status_code == 302
    assert ResidentFlag.objects.filter(resident__name="张小红").count() == 1


def test_a_group_key_no_row_could_have_is_a_form_error(client, alice, household_a):
    client.force_login(alice)
    response = client.post(reverse("registry:household_create"), {"group": HUGE, "number": "A-009"})
    assert response.status_code == 200
    assert response.context["form"].errors["group"]
