"""Town set-up by the town administrator: villages and communities and their groups.
Each change is audited; other roles and other towns get 404; a refused change writes nothing."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from xiangzhi.areas import selectors, services
from xiangzhi.areas.models import Village
from xiangzhi.core.exceptions import NotInScope
from xiangzhi.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    client.post("/i18n/setlang/", {"language": "en"})
    return client


def test_the_admin_adds_a_village_then_its_groups(admin_client, admin_user):
    response = admin_client.post(
        reverse("areas:villages"), {"name": "青山村", "kind": "village", "code": "500111108099"}
    )
    assert response.status_code == 302
    village = Village.objects.get(name="青山村")
    assert (village.town_id, village.code) == (admin_user.town_id, "500111108099")

    page = admin_client.get(reverse("areas:village", args=[village.pk])).content.decode()
    assert 'value="1"' in page  # the next group number is offered
    for number in (1, 2):
        response = admin_client.post(
            reverse("areas:village", args=[village.pk]), {"what": "group", "number": number}
        )
        assert response.status_code == 302
    assert list(village.groups.values_list("number", "name")) == [(1, "1组"), (2, "2组")]
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"areas.village.create", "areas.group.create"} <= actions
    listing = admin_client.get(reverse("areas:villages")).content.decode()
    assert "青山村" in listing and "2组" in listing


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"name": "玉峰村", "kind": "village"}, "name", "already has a village"),
        ({"name": "新村", "kind": "village", "code": "5001"}, "code", "12 digits"),
        ({"name": "新村", "kind": "village", "code": "50011110809X"}, "code", "12 digits"),
        ({"name": "新村", "kind": "castle"}, "kind", "valid choice"),
        ({"name": "", "kind": "village"}, "name", "required"),
    ],
)
def test_a_bad_village_is_a_form_error_and_nothing_is_written(admin_client, village_a, data, field, words):
    before = Village.objects.count()
    response = admin_client.post(reverse("areas:villages"), data)
    assert response.status_code == 200
    assert words in response.content.decode()
    assert Village.objects.count() == before


def test_renaming_a_village_and_a_group(admin_client, village_a, group_a1):
    response = admin_client.post(
        reverse("areas:village", args=[village_a.pk]),
        {"what": "village", "name": "玉峰社区", "kind": "community", "code": ""},
    )
    assert response.status_code == 302
    village_a.refresh_from_db()
    assert (village_a.name, village_a.kind) == ("玉峰社区", "community")
    response = admin_client.post(reverse("areas:group", args=[group_a1.pk]), {"number": 7, "name": "七组"})
    assert response.status_code == 302
    group_a1.refresh_from_db()
    assert (group_a1.number, group_a1.name, group_a1.village_id) == (7, "七组", village_a.pk)
    entry = AuditEntry.objects.get(action="areas.village.update")
    assert entry.before is not None and entry.after is not None
    assert entry.before["name"] == "玉峰村" and entry.after["name"] == "玉峰社区"


def test_a_group_number_is_unique_in_its_village(admin_client, admin_user, group_a1, group_a2):
    response = admin_client.post(reverse("areas:group", args=[group_a2.pk]), {"number": group_a1.number})
    assert response.status_code == 200
    assert "already has a group with this number" in response.content.decode()
    group_a2.refresh_from_db()
    assert group_a2.number != group_a1.number


def test_the_area_tree_runs_two_queries_whatever_the_size(
    admin_user, village_a, village_b, django_assert_num_queries
):
    for n in range(3, 8):
        services.group_save(actor=admin_user, village=village_a, number=n)
    with django_assert_num_queries(2):
        tree = selectors.area_tree(user=admin_user)
    assert {v.name for v in tree} >= {"玉峰村", "高峰村"}


def test_the_service_names_the_field(admin_user, village_a):
    with pytest.raises(ValidationError) as exc:
        services.village_save(actor=admin_user, name="玉峰村", kind="village")
    assert "name" in exc.value.error_dict
    assert Village.objects.filter(name="玉峰村").count() == 1


def test_other_roles_and_towns_cannot_set_up(client, alice, other_town_admin, village_a, group_a1):
    for user in (alice, other_town_admin):
        client.force_login(user)
        assert client.get(reverse("areas:village", args=[village_a.pk])).status_code == 404
        assert client.post(reverse("areas:group", args=[group_a1.pk]), {"number": 9}).status_code == 404
    with pytest.raises(NotInScope):
        services.village_save(actor=alice, name="私建村", kind="village")
    with pytest.raises(NotInScope):
        services.village_save(actor=other_town_admin, village=village_a, name="改名", kind="village")
    village_a.refresh_from_db()
    group_a1.refresh_from_db()
    assert village_a.name == "玉峰村" and group_a1.number == 1
