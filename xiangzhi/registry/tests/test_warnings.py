"""Warning lists (预警名单): a flag's residents in the user's area, by village group, phones in call order, who
has been reached today; the dashboard's flag tiles open them; a fixed number of queries."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xiangzhi.core.models import AuditEntry
from xiangzhi.registry import selectors, services
from xiangzhi.registry.models import FlagType
from xiangzhi.registry.tests.factories import HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db

URL = reverse("registry:warnings")


def _alone(town) -> FlagType:
    return FlagType.objects.get(town=town, code="elderly_alone")


def _elder(admin, group, number, name, phones=()):
    household = HouseholdFactory(actor=admin, group=group, number=number, house_number=f"{number[-1]}号")
    return ResidentFactory(
        actor=admin,
        household=household,
        relationship="head",
        name=name,
        birth=datetime.date(1938, 5, 5),
        flags=[services.FlagInput(flag=_alone(group.town))],
        phones=[services.PhoneInput(number=n, priority=i) for i, n in enumerate(phones, 1)],
    )


@pytest.fixture
def elders(admin_user, group_a1, group_a2, group_b1):
    """独居老人: two in group A2 (one with two phones), one in A1, one in village B, one who moved away."""
    gone = _elder(admin_user, group_a2, "A-203", "郑爷爷")
    services.membership_end(actor=admin_user, resident=gone, reason="moved_out")
    return {
        "a2_first": _elder(admin_user, group_a2, "A-201", "刘婆婆", ["13500001111", "13500002222"]),
        "a2_second": _elder(admin_user, group_a2, "A-202", "陈爷爷", ["13500003333"]),
        "a1": _elder(admin_user, group_a1, "A-101", "周奶奶"),
        "b": _elder(admin_user, group_b1, "B-101", "吴爷爷", ["13500004444"]),
    }


def _names(html: str) -> list[str]:
    return re.findall(r"<strong>(.+?)</strong>", html)


def test_the_list_groups_living_residents_by_village_group_in_scope(client, alice, elders):
    client.force_login(alice)
    html = client.get(URL, {"flag": "elderly_alone"}).content.decode()
    # village A only (alice's), the living only, group 1 before group 2, then by household number
    assert _names(html) == ["周奶奶", "刘婆婆", "陈爷爷"]
    assert "A-201" in html and "1号" in html
    assert 'data-count="3"' in html


def test_phones_come_in_call_order_masked(client, alice, elders):
    client.force_login(alice)
    html = client.get(URL, {"flag": "elderly_alone"}).content.decode()
    first, second = html.index("135****1111"), html.index("135****2222")
    assert first < second
    assert html.index("第一联系人", html.index("刘婆婆")) < first < html.index("第二联系人", first)
    assert "13500001111" not in html
    # each number is a call button that reveals (logged) and records the outcome for this list
    phone = elders["a2_first"].phones.get(priority=1)
    assert (
        f"{reverse('registry:reveal_phone', args=[phone.pk])}?call=1&amp;purpose=warnings%3Aelderly_alone"
        in html
    )


def test_a_group_narrows_the_list(client, alice, elders, group_a2):
    client.force_login(alice)
    html = client.get(URL, {"flag": "elderly_alone", "group": group_a2.pk}).content.decode()
    assert _names(html) == ["刘婆婆", "陈爷爷"]


def test_out_of_scope_area_or_unknown_flag_is_404(client, alice, grid, elders, village_b, group_a2):
    client.force_login(alice)
    assert client.get(URL, {"flag": "elderly_alone", "village": village_b.pk}).status_code == 404
    assert client.get(URL, {"flag": "no-such-flag"}).status_code == 404
    client.force_login(grid)  # group A1 only
    assert client.get(URL, {"flag": "elderly_alone", "group": group_a2.pk}).status_code == 404
    assert _names(client.get(URL, {"flag": "elderly_alone"}).content.decode()) == ["周奶奶"]


def test_duty_officer_sees_the_town_and_who_is_reached_today(client, duty, elders):
    # given 刘婆婆 reached on her second phone today, 陈爷爷 not answering, 吴爷爷 reached yesterday
    a2_first = elders["a2_first"].phones.get(priority=2)
    services.call_record(actor=duty, phone=elders["a2_first"].phones.get(priority=1), outcome="no_answer")
    services.call_record(actor=duty, phone=a2_first, outcome="reached")
    services.call_record(actor=duty, phone=elders["a2_second"].phones.get(), outcome="no_answer")
    old = services.call_record(actor=duty, phone=elders["b"].phones.get(), outcome="reached")
    type(old).objects.filter(pk=old.pk).update(called_at=old.called_at - datetime.timedelta(days=1))
    client.force_login(duty)
    html = client.get(URL, {"flag": "elderly_alone"}).content.decode()
    assert _names(html) == ["周奶奶", "刘婆婆", "陈爷爷", "吴爷爷"]
    assert 'data-reached="1"' in html and 'data-unreached="3"' in html
    assert html.count('class="reached"') == 1
    assert "outcome-no_answer" in html and "outcome-reached" in html


def test_clerk_sees_the_list_masked_without_call_buttons(client, clerk, elders):
    client.force_login(clerk)
    html = client.get(URL, {"flag": "elderly_alone"}).content.decode()
    assert "135****1111" in html and "?call=1" not in html and "data-reached" not in html


def test_query_count_does_not_grow_with_the_list(
    client, duty, admin_user, elders, group_a2, django_assert_num_queries
):
    client.force_login(duty)
    services.call_record(actor=duty, phone=elders["a2_second"].phones.get(), outcome="no_answer")
    client.get(URL, {"flag": "elderly_alone"})
    with CaptureQueriesContext(connection) as small:
        client.get(URL, {"flag": "elderly_alone"})
    for i in range(10):
        r = _elder(admin_user, group_a2, f"A-3{i:02d}", f"老人{i}", [f"1370000{i:04d}", f"1360000{i:04d}"])
        services.call_record(actor=duty, phone=r.phones.get(priority=1), outcome="reached")
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(URL, {"flag": "elderly_alone"})
    assert 'data-count="14"' in response.content.decode()


def test_the_selector_runs_four_queries(duty, elders, django_assert_num_queries):
    flag = _alone(elders["a1"].town)
    with django_assert_num_queries(4):
        roster = selectors.warning_list(user=duty, flag=flag)
    # village A group 1, village A group 2, village B group 1
    assert roster.total == 4 and [len(g.rows) for g in roster.groups] == [1, 2, 1]


def test_without_a_flag_the_flags_to_choose_from(client, alice, elders):
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert "?flag=elderly_alone" in html and "独居老人" in html


def test_dashboard_flag_tile_opens_its_warning_list_in_two_taps(client, alice, elders, group_a2):
    # tap 1: the dashboard (narrowed to group A2) → its 独居老人 tile; tap 2: the call button on the list
    client.force_login(alice)
    home = client.get(reverse("registry:home"), {"village": group_a2.village_id, "group": group_a2.pk})
    html = home.content.decode()
    tile = re.search(r'href="([^"]*flag=elderly_alone[^"]*)"', html).group(1).replace("&amp;", "&")
    assert tile.startswith(URL) and f"group={group_a2.pk}" in tile
    listing = client.get(tile).content.decode()
    assert _names(listing) == ["刘婆婆", "陈爷爷"]
    # the resident list stays one link away
    assert "/registry/residents/?" in listing and "flag=elderly_alone" in listing
    phone = elders["a2_first"].phones.get(priority=1)
    call = client.post(reverse("registry:reveal_phone", args=[phone.pk]) + "?call=1", HTTP_HX_REQUEST="true")
    assert "13500001111" in call.content.decode()
    assert AuditEntry.objects.filter(action="registry.phone.call", actor=alice).count() == 1


def test_the_list_prints(client, alice, elders):
    client.force_login(alice)
    html = client.get(URL, {"flag": "elderly_alone"}).content.decode()
    assert "window.print()" in html and 'class="actions no-print"' in html


def test_the_flags_page_opens_each_flags_warning_list(client, admin_user, elders):
    client.force_login(admin_user)
    html = client.get(reverse("registry:flags")).content.decode()
    assert f'href="{URL}?flag=elderly_alone"' in html


def test_a_list_without_phones_reads_no_calls_in_error(duty, admin_user, group_a1):
    _elder(admin_user, group_a1, "A-109", "孤老甲")
    roster = selectors.warning_list(user=duty, flag=_alone(group_a1.town))
    assert roster.total == 1 and roster.reached_today == 0 and roster.groups[0].rows[0].phones == []
