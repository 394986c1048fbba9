"""Keeping the registry fresh: residents and visits confirm; campaigns with progress and reminders; the share
confirmed by area and grid worker; life-event prompts that never date a birth beside an ID mask."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from xiangzhi.core.models import AuditEntry
from xiangzhi.freshness import selectors, services
from xiangzhi.messaging.models import Message
from xiangzhi.registry.models import Household
from xiangzhi.tests.helpers import run_tasks

TODAY = timezone.localdate()


def _age(household, days: int):
    Household.objects.unrestricted("test").filter(pk=household.pk).update(
        confirmed_at=timezone.now() - datetime.timedelta(days=days)
    )


def test_a_resident_confirms_their_household_in_one_tap(resident, household_a):
    _age(household_a, 400)
    client = Client()
    client.force_login(resident)
    assert client.post("/r/confirm/")["Location"] == "/r/home/"
    household_a.refresh_from_db()
    assert timezone.localtime(household_a.confirmed_at).date() == TODAY
    after = AuditEntry.objects.filter(action="registry.household.confirm").latest("pk").after
    assert after == {"via": "resident"}


def test_a_visit_confirms_the_household(grid, household_a):
    from xiangzhi.visits.services import visit_log

    _age(household_a, 400)
    visit_log(actor=grid, household=household_a, visited_on=TODAY)
    household_a.refresh_from_db()
    assert timezone.localtime(household_a.confirmed_at).date() == TODAY


def test_the_share_confirmed_by_village_group_and_grid_worker(admin_user, grid, household_a, household_b):
    _age(household_b, 500)
    fresh = selectors.freshness(user=admin_user)
    assert (fresh["total"].households, fresh["total"].confirmed) == (2, 1)
    assert {s.label: s.percent for s in fresh["villages"]} == {
        household_a.village.name: 100,
        household_b.village.name: 0,
    }
    assert {s.label: s.percent for s in fresh["workers"]} == {"grid": 100, "": 0}
    assert fresh["oldest"][0] == household_b


def test_freshness_stays_in_the_readers_area(charlie, household_a, household_b):
    fresh = selectors.freshness(user=charlie)
    assert fresh["total"].households == 1 and [h.number for h in fresh["oldest"]] == ["B-001"]


def test_a_campaign_shows_progress_and_reminds_who_has_not_confirmed(alice, village_a, household_a, client):
    _age(household_a, 10)  # confirmed before the campaign began: not done for it
    campaign = services.campaign_start(
        actor=alice,
        name="2026年度核查",
        village=village_a,
        starts_on=TODAY,
        ends_on=TODAY + datetime.timedelta(days=30),
    )
    [progress] = selectors.campaigns(user=alice)
    assert (progress.households, progress.confirmed) == (1, 0)
    client.force_login(alice)
    page = client.get(f"/freshness/campaigns/{campaign.pk}/").content.decode()
    assert "A-001" in page
    assert client.post(f"/freshness/campaigns/{campaign.pk}/remind/").status_code == 302
    run_tasks()
    [text] = Message.objects.unrestricted("test").filter(kind="freshness.reminder")
    assert text.phone == "13812345678" and "2026年度核查" in text.body
    client.post(f"/freshness/campaigns/{campaign.pk}/remind/")  # the same day again: no second text
    run_tasks()
    assert Message.objects.unrestricted("test").filter(kind="freshness.reminder").count() == 1
    # the household confirms: done
    from xiangzhi.registry.services import household_confirm

    household_confirm(actor=alice, household=household_a)
    [progress] = selectors.campaigns(user=alice)
    assert progress.confirmed == 1


def test_a_campaign_stays_in_the_cadres_village(alice, village_b):
    from xiangzhi.core.exceptions import NotInScope

    with pytest.raises(NotInScope):
        services.campaign_start(actor=alice, name="x", village=village_b, starts_on=TODAY, ends_on=TODAY)
    with pytest.raises(ValidationError):
        services.campaign_start(
            actor=alice,
            name="x",
            village=alice.roles.get().village,
            starts_on=TODAY,
            ends_on=TODAY - datetime.timedelta(days=1),
        )


def test_birthday_prompts_go_to_grid_workers_never_beside_an_id_mask(grid, alice, household_a, admin_user):
    from xiangzhi.registry.tests.factories import ResidentFactory, make_id

    born = TODAY.replace(year=TODAY.year - 16) + datetime.timedelta(days=10)
    ResidentFactory(
        actor=admin_user,
        household=household_a,
        relationship="grandson",
        start_reason="birth",
        name="张十六",
        id_number=make_id(born, "M", 77),
    )
    prompts = selectors.life_events(user=grid)
    assert [(p.resident.name, p.kind) for p in prompts if p.kind == "16"] == [("张十六", "16")]
    # a cadre sees ID numbers masked: no birthday beside them
    assert [p for p in selectors.life_events(user=alice) if p.kind != "stale"] == []


def test_stale_records_are_prompted(alice, household_a):
    _age(household_a, 400)
    assert [(p.resident.name, p.kind) for p in selectors.life_events(user=alice)] == [("张三", "stale")]


def test_open_change_requests_are_counted_by_village_with_the_oldest(alice, charlie, household_a, admin_user):
    from xiangzhi.livedata.models import ChangeRequest

    assert selectors.pending_requests(user=alice) == []
    zhang = household_a.residents.unrestricted("test").get(name="张三")
    ChangeRequest.objects.create(
        town=household_a.town,
        kind="phone",
        household=household_a,
        resident=zhang,
        state="pending",
        filed_by=admin_user,
        asked_by=zhang,
        created_at=timezone.now() - datetime.timedelta(days=9),
    )
    [row] = selectors.pending_requests(user=alice)
    assert (row.village, row.count, row.oldest_days) == (household_a.village.name, 1, 9)
    assert selectors.pending_requests(user=charlie) == []  # village B's cadre
