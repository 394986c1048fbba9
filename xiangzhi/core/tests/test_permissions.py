"""The permissions registry, the reach of several roles at once, the start-up check and the schema check."""

from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder

from xiangzhi.core import checks, permissions
from xiangzhi.core.permissions import Assignment, Level, Role
from xiangzhi.registry.models import Household, Resident


def test_an_action_must_be_namespaced_and_registered_once():
    with pytest.raises(ValueError):
        permissions.register("view", "x", grants={})
    with pytest.raises(ValueError):
        permissions.register("registry.view", "x", grants={Role.CLERK: Level.VILLAGE})
    with pytest.raises(LookupError):
        permissions.get_action("registry.nothing")


def test_the_table_has_a_row_per_action_and_a_column_per_role():
    rows = dict((a.name, grants) for a, grants in permissions.table())
    assert rows["registry.reveal_id"][Role.CADRE] is Level.VILLAGE
    assert rows["registry.reveal_id"][Role.CLERK] is None
    assert rows["core.view_audit"][Role.AUDITOR] is Level.TOWN
    assert {"areas.configure", "accounts.manage_users", "registry.view"} <= set(rows)


@dataclass
class Principal:
    """Anything that acts: a user, or a device pushing data. restrict() needs only these four attributes."""

    town_id: int
    role_assignments: list
    is_authenticated: bool = True
    is_active: bool = True


@pytest.mark.django_db
def test_two_roles_reach_the_union_of_their_scopes(household_a, household_b, group_a1, village_b):
    # given a grid worker of village A group 1 who is also the cadre of village B
    both = Principal(
        household_a.town_id,
        [
            Assignment(
                Role.GRID,
                group_ids=frozenset({group_a1.pk}),
                group_village_ids=frozenset({group_a1.village_id}),
            ),
            Assignment(Role.CADRE, village_id=village_b.pk),
        ],
    )
    # then each role's part of the town is reached, and only each role's actions there
    assert set(Household.objects.restrict(both, "registry.view")) == {household_a, household_b}
    assert set(Resident.objects.restrict(both, "registry.reveal_id")) == set(household_b.residents.all())
    grid_only = Principal(household_a.town_id, both.role_assignments[:1])
    assert set(Household.objects.restrict(grid_only, "registry.view")) == {household_a}
    assert not Resident.objects.restrict(grid_only, "registry.reveal_id").exists()


@pytest.mark.django_db
def test_a_household_level_reaches_one_household(household_a, household_b):
    """The level a resident's account will hold (the live-data issue): their own household, nothing else."""
    resident = Principal(household_a.town_id, [Assignment(Role.RESIDENT, object_id=household_a.pk)])
    permissions.register(
        "tests.own_household", "x", grants={Role.RESIDENT: Level.HOUSEHOLD}, models=("registry.Household",)
    )
    try:
        assert list(Household.objects.restrict(resident, "tests.own_household")) == [household_a]
        assert set(Resident.objects.restrict(resident, "tests.own_household")) == set(
            household_a.residents.all()
        )
        assert not Household.objects.restrict(resident, "registry.view").exists()
    finally:
        del permissions._ACTIONS["tests.own_household"]


@pytest.mark.django_db
def test_an_inactive_or_townless_principal_reaches_nothing(household_a):
    everything = [Assignment(Role.TOWN_ADMIN)]
    assert Household.objects.restrict(Principal(household_a.town_id, everything), "registry.view").exists()
    for principal in (
        Principal(household_a.town_id, everything, is_active=False),
        Principal(0, everything),
        None,
    ):
        assert not Household.objects.restrict(principal, "registry.view").exists()


def test_the_start_up_check_passes_and_catches_a_level_a_model_cannot_scope():
    assert checks.check_scopes() == []
    # a grant at the shop level on households, which have no shop: the check names the gap
    permissions.register(
        "tests.shop_households", "x", grants={Role.CLERK: Level.SHOP}, models=("registry.Household",)
    )
    try:
        ids = [e.id for e in checks.check_scopes()]
        assert ids == ["xiangzhi.E004"]
    finally:
        del permissions._ACTIONS["tests.shop_households"]


def test_the_start_up_check_catches_a_lookup_that_does_not_resolve(monkeypatch):
    from xiangzhi.core.scoping import Scope

    monkeypatch.setattr(Household, "scope", Scope(town="town", village="villige"))
    assert "xiangzhi.E003" in [e.id for e in checks.check_scopes()]


@pytest.mark.django_db
def test_a_database_of_an_older_layout_is_refused_with_what_to_do():
    call_command("check_schema")  # the test database is current
    MigrationRecorder(connection).record_applied("registry", "0002_search_collation_and_flags")
    with pytest.raises(CommandError) as exc:
        call_command("check_schema")
    assert "older version" in str(exc.value) and "var/" in str(exc.value)


def test_the_documented_table_is_the_registered_one():
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[3] / "docs" / "architecture.md").read_text()
    assert permissions.markdown_table() in docs, (
        "run `manage.py permissions_table` and paste it into the docs"
    )
