"""Field visits: the town's policies, visits logged from the card with findings applied to the registry, overdue
lists by area and grid worker, the dashboard tile."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from xiangzhi.core.models import AuditEntry
from xiangzhi.registry.models import FlagType
from xiangzhi.visits import selectors, services
from xiangzhi.visits.models import Visit

TODAY = timezone.localdate()


@pytest.fixture
def policy(admin_user, town, household_a):
    disabled = FlagType.objects.get(town=town, code="disabled")  # 王秀英 of A-001 carries it
    return services.policy_set(actor=admin_user, flag=disabled, every_days=30)


def _mother(household):
    return household.residents.unrestricted("test").get(name="王秀英")


def test_a_flagged_resident_never_visited_is_overdue_and_a_visit_clears_it(policy, grid, household_a):
    rows = selectors.overdue(user=grid)
    assert [(r.flag.resident.name, r.last_visit) for r in rows] == [("王秀英", None)]
    services.visit_log(actor=grid, household=household_a, visited_on=TODAY - datetime.timedelta(days=3))
    assert selectors.overdue(user=grid) == []
    # 31 days later it is due again
    later = TODAY + datetime.timedelta(days=28)
    [row] = selectors.overdue(user=grid, today=later)
    assert row.days_late == 1


def test_overdue_lists_stay_in_the_readers_area(policy, charlie, alice, household_a):
    assert selectors.overdue(user=charlie) == []  # village B's cadre
    assert len(selectors.overdue(user=alice)) == 1


def test_overdue_costs_one_query_per_policy(policy, admin_user, household_a, household_b):
    with CaptureQueriesContext(connection) as queries:
        selectors.overdue(user=admin_user)
    assert len(queries) == 2  # the policies, then one per policy


def test_overdue_counted_by_grid_worker(policy, admin_user, grid, household_a):
    rows = selectors.overdue(user=admin_user)
    assert selectors.overdue_by_worker(user=admin_user, rows=rows) == [("grid", 1)]


def test_a_visit_applies_its_findings_through_the_registry(policy, grid, household_a, town):
    mother = _mother(household_a)
    alone = FlagType.objects.get(town=town, code="elderly_alone")
    disabled = FlagType.objects.get(town=town, code="disabled")
    services.visit_log(
        actor=grid,
        household=household_a,
        visited_on=TODAY,
        notes="独自居住，儿子在外务工。",
        raised=[(mother, alone, None)],
        cleared=[(mother, disabled)],
    )
    assert {f.flag.code for f in mother.flags.unrestricted("test").select_related("flag")} == {
        "elderly_alone"
    }
    assert AuditEntry.objects.filter(action="registry.resident.update", target_id=str(mother.pk)).count() == 2
    assert AuditEntry.objects.filter(action="visits.visit.log").count() == 1


@pytest.mark.parametrize(("days", "notes"), [(-1, ""), (400, ""), (0, "电话 13812345678")])
def test_a_bad_visit_is_refused_and_nothing_is_written(grid, household_a, days, notes):
    with pytest.raises(ValidationError):
        services.visit_log(
            actor=grid, household=household_a, visited_on=TODAY - datetime.timedelta(days=days), notes=notes
        )
    assert not Visit.objects.unrestricted("test").exists()


def test_a_finding_about_someone_else_is_refused(grid, household_a, household_b, town, admin_user):
    other = household_b.residents.unrestricted("test").first()
    alone = FlagType.objects.get(town=town, code="elderly_alone")
    with pytest.raises(ValidationError):
        services.visit_log(
            actor=admin_user, household=household_a, visited_on=TODAY, raised=[(other, alone, None)]
        )


def test_log_a_visit_from_the_card_in_two_taps(policy, grid, household_a, client):
    client.force_login(grid)
    card = client.get(f"/registry/households/{household_a.pk}/").content.decode()
    assert f"/visits/households/{household_a.pk}/new/" in card
    page = client.get(f"/visits/households/{household_a.pk}/new/")
    assert page.status_code == 200
    response = client.post(
        f"/visits/households/{household_a.pk}/new/", {"visited_on": TODAY.isoformat(), "notes": "一切正常"}
    )
    assert response.status_code == 302
    assert Visit.objects.unrestricted("test").get().notes == "一切正常"


def test_the_dashboard_counts_overdue_visits(policy, alice, household_a, client):
    client.force_login(alice)
    page = client.get("/registry/").content.decode()
    assert "/visits/overdue/" in page


def test_the_town_sets_the_policies_on_a_page(admin_user, town, client):
    client.force_login(admin_user)
    alone = FlagType.objects.get(town=town, code="elderly_alone")
    response = client.post("/visits/policies/", {f"f{alone.pk}-every_days": "30"})
    assert response.status_code == 302
    assert [(p.flag.code, p.every_days) for p in selectors.policies(user=admin_user)] == [
        ("elderly_alone", 30)
    ]
