"""An account holds any number of roles, each with its own scope; the administrator sees and edits them."""

import pytest
from django.urls import reverse

from xiangzhi.accounts import services
from xiangzhi.accounts.models import User
from xiangzhi.core.exceptions import NotInScope
from xiangzhi.core.models import AuditEntry
from xiangzhi.core.permissions import Role

pytestmark = pytest.mark.django_db


def _page(user):
    return reverse("accounts:user", args=[user.pk])


def test_the_account_page_shows_a_grid_workers_groups(client, admin_user, grid, group_a1):
    client.force_login(admin_user)
    html = client.get(_page(grid), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "网格员" in html and f"{group_a1.village.name}{group_a1.name}" in html


def test_the_admin_gives_a_grid_worker_the_duty_roster_too(client, admin_user, grid, group_a1, household_b):
    # given a grid worker of village A group 1, who cannot see village B
    client.force_login(admin_user)
    # when the administrator adds the duty officer role on the account page
    response = client.post(
        _page(grid), {"action": "roles", "roles": ["grid", "duty"], "groups": [group_a1.pk]}
    )
    assert response.status_code == 302
    # then the account holds both, and reaches the whole town for what a duty officer does
    grid = User.objects.get(pk=grid.pk)
    assert sorted(grid.role_names) == ["duty", "grid"]
    from xiangzhi.registry.models import Household

    assert household_b in Household.objects.restrict(grid, "registry.view")
    assert not Household.objects.restrict(grid, "registry.change").filter(pk=household_b.pk).exists()
    entry = AuditEntry.objects.get(action="accounts.user.set_roles")
    assert entry.before is not None and entry.after is not None
    assert [r["role"] for r in entry.before["roles"]] == ["grid"]
    assert sorted(r["role"] for r in entry.after["roles"]) == ["duty", "grid"]


def test_a_cadre_moves_to_another_village(admin_user, alice, village_b):
    services.user_set_roles(
        actor=admin_user, user=alice, roles=[services.RoleInput(Role.CADRE, village=village_b)]
    )
    alice = User.objects.get(pk=alice.pk)
    assert alice.role_assignments[0].village_id == village_b.pk


def test_a_role_needs_its_scope_and_the_form_says_so(client, admin_user, grid):
    client.force_login(admin_user)
    response = client.post(_page(grid), {"action": "roles", "roles": ["cadre"]}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "A village cadre needs a village." in response.content.decode()
    assert User.objects.get(pk=grid.pk).role_names == ["grid"]


def test_a_new_account_has_no_role_until_one_is_chosen(client, admin_user):
    client.force_login(admin_user)
    form = client.get(reverse("accounts:users")).context["form"]
    assert form.fields["roles"].required and not form.initial.get("roles")
    response = client.post(
        reverse("accounts:users"),
        {"username": "nobody", "password": "Initial-pass-2024"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "Choose at least one role." in response.content.decode()
    assert not User.objects.filter(username="nobody").exists()


def test_the_admin_keeps_its_own_admin_role(admin_user):
    with pytest.raises(Exception) as exc:
        services.user_set_roles(actor=admin_user, user=admin_user, roles=[services.RoleInput(Role.DUTY)])
    assert "roles" in str(exc.value)
    assert User.objects.get(pk=admin_user.pk).role_names == ["town_admin"]


def test_another_towns_groups_cannot_be_given(admin_user, other_town_admin, grid, group_a1):
    with pytest.raises(NotInScope):
        services.user_set_roles(
            actor=other_town_admin, user=grid, roles=[services.RoleInput(Role.GRID, groups=(group_a1,))]
        )
    theirs = User.objects.create_user(
        username="theirs", password="pw-for-tests-123", town=other_town_admin.town
    )
    with pytest.raises(Exception) as exc:
        services.user_set_roles(
            actor=other_town_admin, user=theirs, roles=[services.RoleInput(Role.GRID, groups=(group_a1,))]
        )
    assert "groups" in str(exc.value)
