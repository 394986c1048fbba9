"""A household number is unique in its village: a clash in another village is no answer to give a cadre, and a
number held in two villages is never looked up ambiguously."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from xiangzhi.registry import services
from xiangzhi.registry.models import Household, Resident

pytestmark = pytest.mark.django_db


def test_a_number_used_in_another_village_is_no_clash_for_a_cadre(alice, group_a1, household_b):
    # household_b ("B-001") is in village B, out of alice's scope: nothing may tell her it exists
    household = services.household_create(actor=alice, group=group_a1, number="B-001")
    assert household.village_id == group_a1.village_id
    assert Household.objects.unrestricted("test").filter(number="B-001").count() == 2


def test_the_api_answers_the_same(alice, group_a1, household_b):
    api = APIClient()
    api.force_authenticate(alice)
    response = api.post(
        "/api/v1/registry/households/", {"group": group_a1.pk, "number": "B-001"}, format="json"
    )
    assert response.status_code == 201, response.content


def test_a_number_used_in_the_same_village_is_refused(alice, group_a2, household_a):
    with pytest.raises(ValidationError) as exc:
        services.household_create(actor=alice, group=group_a2, number="A-001")
    assert set(exc.value.message_dict) == {"number"}


def test_moving_to_a_village_where_the_number_is_taken_is_refused(admin_user, household_a, group_b1):
    services.household_create(actor=admin_user, group=group_b1, number="A-001")
    with pytest.raises(ValidationError) as exc:
        services.household_update(actor=admin_user, household=household_a, group=group_b1)
    assert set(exc.value.message_dict) == {"group"}


@pytest.fixture
def twin(admin_user, group_b1, household_a):
    """A household numbered A-001 in village B, beside household_a (A-001 in village A)."""
    return services.household_create(actor=admin_user, group=group_b1, number="A-001")


def test_a_number_in_two_villages_asks_for_the_village(client, admin_user, household_a, household_b, twin):
    client.force_login(admin_user)
    url = reverse("registry:resident_move", args=[household_b.head_id])
    response = client.post(url, {"household_number": "A-001", "relationship": "other"})
    assert response.status_code == 200
    assert response.context["form"].errors["village"]
    response = client.post(
        url, {"household_number": "A-001", "village": twin.village_id, "relationship": "other"}
    )
    assert response.status_code == 302
    assert Resident.objects.unrestricted("test").get(pk=household_b.head_id).household_id == twin.pk


def test_a_cadre_finds_her_own_household_by_number_when_another_village_has_it(
    client, alice, household_a, twin, group_a1
):
    client.force_login(alice)
    other = services.household_create(actor=alice, group=group_a1, number="A-002")
    response = client.post(
        reverse("registry:household_merge", args=[household_a.pk]), {"source_number": "A-002"}
    )
    assert response.status_code == 302
    assert Household.objects.unrestricted("test").get(pk=other.pk).status == "closed"
    # the twin in village B is out of her scope: no village field, no trace of it
    page = client.get(reverse("registry:household_merge", args=[household_a.pk]))
    assert "village" not in page.context["form"].fields
