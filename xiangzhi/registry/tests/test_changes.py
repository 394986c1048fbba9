"""Population changes (人口变动): births, deaths, arrivals and departures, new and split-off households per month,
counted from the memberships in a few aggregate queries, scoped, each figure the list behind it."""

import datetime
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from xiangzhi.registry import selectors, services
from xiangzhi.registry.models import Household, Membership
from xiangzhi.registry.selectors import month_start
from xiangzhi.registry.tests.factories import HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db

COUNT = re.compile(r'data-count="(\d+)"')
CELL = re.compile(r'<td><a href="([^"]+)"[^>]*>(\d+)</a></td>')


def _at(months_back: int, day: int = 10) -> datetime.datetime:
    first = month_start(timezone.localdate(), months_back)
    return timezone.make_aware(datetime.datetime.combine(first.replace(day=day), datetime.time(12)))


def _born(actor, household, name, when):
    baby = ResidentFactory(
        actor=actor,
        household=household,
        relationship="grandson",
        start_reason="birth",
        name=name,
        id_number=None,
        no_id_reason="新生儿",
        sex="M",
    )
    Membership.objects.unrestricted("test").filter(resident=baby).update(started_at=when)
    return baby


@pytest.fixture
def events(admin_user, household_a, household_b, group_a2):
    """This month (0) and two months ago (2) in village A group 1 (A-001), group 2 (A-201) and village B."""
    long_ago = _at(24)
    Household.objects.unrestricted("test").filter(pk__in=[household_a.pk, household_b.pk]).update(
        created_at=long_ago
    )
    Membership.objects.unrestricted("test").update(started_at=long_ago)
    _born(admin_user, household_a, "张一", timezone.now())
    _born(admin_user, household_a, "张二", _at(2))
    _born(admin_user, household_a, "张老", _at(13))  # beyond the 12 months
    _born(admin_user, household_b, "赵一", timezone.now())
    mother = household_a.residents.get(name="王秀英")
    services.membership_end(actor=admin_user, resident=mother, reason="deceased")
    Membership.objects.unrestricted("test").filter(resident=mother).update(ended_at=_at(2, 20))
    son = household_a.residents.get(name="张小明")
    services.membership_end(actor=admin_user, resident=son, reason="moved_out")
    new = HouseholdFactory(actor=admin_user, group=group_a2, number="A-201")
    arrival = ResidentFactory(actor=admin_user, household=new, start_reason="moved_in", name="刘来")
    Membership.objects.unrestricted("test").filter(resident=arrival).update(started_at=_at(2))
    household_a.refresh_from_db()
    services.household_split(
        actor=admin_user,
        household=household_a,
        members={household_a.residents.get(name="张一").pk: "head"},
        number="A-9",
    )
    # a move within the town changes no one's figures
    wife = household_a.residents.get(name="李四妹")
    services.resident_move(actor=admin_user, resident=wife, household=household_b, relationship="other")
    return new


def _table(rows):
    return {
        row["month"]: {k: v for k, v in row.items() if k != "month" and v}
        for row in rows
        if any(v for k, v in row.items() if k != "month")
    }


def test_the_changes_are_counted_by_month_in_three_queries(admin_user, events, django_assert_num_queries):
    this, two_ago = month_start(timezone.localdate()), month_start(timezone.localdate(), 2)
    selectors.population_changes(user=admin_user)
    with django_assert_num_queries(3):
        rows = selectors.population_changes(user=admin_user)
    assert len(rows) == 12 and rows[0]["month"] == this
    assert _table(rows) == {
        this: {"births": 2, "moved_out": 1, "new_households": 1, "split_households": 1},
        two_ago: {"births": 1, "deaths": 1, "moved_in": 1},
    }


def test_the_changes_are_scoped_and_filtered_by_area(
    admin_user, alice, grid, events, village_b, group_a1, group_a2
):
    this, two_ago = month_start(timezone.localdate()), month_start(timezone.localdate(), 2)
    assert _table(selectors.population_changes(user=alice)) == {
        this: {"births": 1, "moved_out": 1, "new_households": 1, "split_households": 1},
        two_ago: {"births": 1, "deaths": 1, "moved_in": 1},
    }
    # a grid worker of group 1 counts group 1 only
    assert _table(selectors.population_changes(user=grid)) == {
        this: {"births": 1, "moved_out": 1, "split_households": 1},
        two_ago: {"births": 1, "deaths": 1},
    }
    assert _table(selectors.population_changes(user=admin_user, village_id=village_b.pk)) == {
        this: {"births": 1}
    }
    assert _table(selectors.population_changes(user=admin_user, group_id=group_a2.pk)) == {
        this: {"new_households": 1},
        two_ago: {"moved_in": 1},
    }


def test_a_birth_recorded_late_counts_in_the_month_of_birth(admin_user, household_a):
    """The cadre records in November a baby born in September: a September birth, and the card's history says so;
    a move into the town is dated the day it is recorded."""
    born = month_start(timezone.localdate(), 2) + datetime.timedelta(days=4)
    baby = ResidentFactory(
        actor=admin_user,
        household=household_a,
        relationship="grandson",
        start_reason="birth",
        name="张小宝",
        id_number=None,
        no_id_reason="新生儿",
        sex="M",
        birth_date=born,
    )
    started = Membership.objects.unrestricted("test").get(resident=baby).started_at
    assert timezone.localtime(started) == timezone.make_aware(
        datetime.datetime.combine(born, datetime.time.min)
    )
    arrival = ResidentFactory(actor=admin_user, household=household_a, start_reason="moved_in", name="刘来")
    assert timezone.localdate(Membership.objects.unrestricted("test").get(resident=arrival).started_at) == (
        timezone.localdate()
    )
    rows = _table(selectors.population_changes(user=admin_user))
    assert rows[month_start(born)]["births"] == 1
    assert "births" not in rows.get(month_start(timezone.localdate()), {})


@pytest.mark.parametrize(
    ("who", "param", "fixture"), [("alice", "village", "village_b"), ("grid", "group", "group_a2")]
)
def test_an_area_out_of_scope_is_404(client, request, events, who, param, fixture):
    client.force_login(request.getfixturevalue(who))
    target = request.getfixturevalue(fixture)
    assert client.get(reverse("registry:changes"), {param: target.pk}).status_code == 404


@pytest.mark.parametrize("who", ["admin_user", "alice", "grid"])
def test_every_figure_opens_a_list_of_that_many(client, request, events, who):
    client.force_login(request.getfixturevalue(who))
    html = client.get(reverse("registry:changes")).content.decode()
    cells = CELL.findall(html)
    assert cells
    for url, n in cells:
        listed = client.get(unescape(url)).content.decode()
        assert COUNT.findall(listed) == [n], url
    assert html.count("<rect ") == 6 * 12  # a bar per month in each figure's chart


def test_the_dashboard_links_to_the_changes(client, alice, village_a):
    client.force_login(alice)
    html = client.get(reverse("registry:home"), {"village": village_a.pk}).content.decode()
    assert f'href="{reverse("registry:changes")}?village={village_a.pk}"' in html
