"""The flags residents carry (低保, 残疾 …): each town keeps its own list, set up by its administrator.
Each change is audited; other roles and other towns get 404; a refused change writes nothing."""

import pytest
from django.urls import reverse

from xiangzhi.core.exceptions import NotInScope
from xiangzhi.core.models import AuditEntry
from xiangzhi.registry import selectors, services
from xiangzhi.registry.forms import ResidentForm
from xiangzhi.registry.models import FlagType

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    client.post("/i18n/setlang/", {"language": "en"})
    return client


def test_flags_are_added_and_changed_and_reach_the_resident_form(admin_client, admin_user, household_a):
    response = admin_client.post(
        reverse("registry:flags"),
        {"code": "oxygen", "name": "居家吸氧", "emergency": "on", "sort": 5},
    )
    assert response.status_code == 302
    flag = FlagType.objects.get(town=admin_user.town, code="oxygen")
    assert flag.emergency and not flag.has_level
    assert flag in ResidentForm(user=admin_user).fields["flags"].queryset

    response = admin_client.post(
        reverse("registry:flag_edit", args=[flag.pk]), {"name": "居家吸氧", "sort": 5}
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert not flag.emergency and flag.code == "oxygen"
    assert {"registry.flag.create", "registry.flag.update"} <= set(
        AuditEntry.objects.values_list("action", flat=True)
    )

    disabled = next(f for f in selectors.flag_types_counted(user=admin_user) if f.code == "disabled")
    assert disabled.residents == 1  # 王秀英


@pytest.mark.parametrize(("code", "words"), [("dibao", "taken"), ("has space", "valid"), ("", "required")])
def test_a_bad_flag_code_is_a_form_error(admin_client, code, words):
    before = FlagType.objects.count()
    response = admin_client.post(reverse("registry:flags"), {"code": code, "name": "某标记", "sort": 1})
    assert response.status_code == 200
    assert words in response.content.decode()
    assert FlagType.objects.count() == before


def test_other_roles_cannot_set_up_flags(alice):
    with pytest.raises(NotInScope):
        services.flag_type_save(actor=alice, code="x", name="x")


def test_one_town_cannot_change_another_towns_flags(client, admin_user, other_town_admin):
    """An administrator of town B once renamed town A's 低保 flag, and the audit row landed in town B."""
    # given town A's 低保 flag, and the administrator of town B
    ours = FlagType.objects.get(town=admin_user.town, code="dibao")
    client.force_login(other_town_admin)
    # when town B's administrator opens or posts town A's flag, then it does not exist for them
    assert client.get(reverse("registry:flag_edit", args=[ours.pk])).status_code == 404
    assert (
        client.post(reverse("registry:flag_edit", args=[ours.pk]), {"name": "改名", "sort": 1}).status_code
        == 404
    )
    with pytest.raises(NotInScope):
        services.flag_type_save(actor=other_town_admin, flag=ours, name="改名")
    ours.refresh_from_db()
    assert ours.name == "低保"
    # and town B keeps its own flags, with the same codes
    theirs = FlagType.objects.get(town=other_town_admin.town, code="dibao")
    services.flag_type_save(actor=other_town_admin, flag=theirs, name="低保户")
    theirs.refresh_from_db()
    ours.refresh_from_db()
    assert (theirs.name, ours.name) == ("低保户", "低保")
    entry = AuditEntry.objects.get(action="registry.flag.update")
    assert entry.town_id == other_town_admin.town_id


def test_a_flag_of_another_town_cannot_be_given_to_a_resident(admin_user, other_town_admin, household_a):
    theirs = FlagType.objects.get(town=other_town_admin.town, code="dibao")
    head = household_a.head
    with pytest.raises(Exception) as exc:
        services.resident_update(
            actor=admin_user,
            resident=head,
            name=head.name,
            sex=head.sex,
            birth_date=None,
            id_number=None,
            no_id_reason="",
            residence_status=head.residence_status,
            flags=[services.FlagInput(flag=theirs)],
        )
    assert "flags" in str(exc.value)
