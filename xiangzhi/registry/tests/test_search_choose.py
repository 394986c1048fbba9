"""Search that helps choose: address forms cadres type, hits naming the head and relationship with the matched part
highlighted (never a digit the mask hides), a count with a link to all results, the households opened lately,
and a placeholder that says what each role may type."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from xiangzhi.accounts.services import RoleInput
from xiangzhi.accounts.tests.factories import UserFactory
from xiangzhi.areas.choices import VillageKind
from xiangzhi.areas.tests.factories import VillageFactory, VillageGroupFactory
from xiangzhi.core.models import AuditEntry
from xiangzhi.core.permissions import Role
from xiangzhi.registry import search as search_module
from xiangzhi.registry import selectors, services
from xiangzhi.registry.models import RecentHousehold
from xiangzhi.registry.search import NUMBER_SEARCH, find, search
from xiangzhi.registry.tests.factories import HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("registry:search")


def numbers(hits) -> set[str]:
    return {hit.household.number for hit in hits}


def fragment(client, query: str, **extra) -> str:
    """The results as the search box swaps them in while typing (htmx)."""
    response = client.get(SEARCH, {"q": query, **extra}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return response.content.decode()


def text_of(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


# ---------------------------------------------------------------------------------------------- address forms


@pytest.fixture
def community(admin_user):
    """宝兴社区 as the demo town writes its addresses (`demo.Generator.household`): village + group + house."""
    village = VillageFactory(
        actor=admin_user, name="宝兴社区", kind=VillageKind.COMMUNITY, code="500111108009"
    )
    groups = {n: VillageGroupFactory(actor=admin_user, village=village, number=n) for n in (1, 8, 18)}
    for group, house in ((8, 1), (8, 10), (8, 11), (18, 1), (1, 1)):
        HouseholdFactory(
            actor=admin_user,
            group=groups[group],
            number=f"BX-{group}-{house}",
            address=f"宝兴社区{group}组{house}号",
            house_number=f"{house}号",
        )
    # the address a cadre typed without its group: the group and house number find it all the same
    HouseholdFactory(
        actor=admin_user, group=groups[8], number="BX-8-5", address="宝兴路5号", house_number="5号"
    )
    return village


@pytest.fixture
def yufeng_8_1(admin_user, village_a):
    group = VillageGroupFactory(actor=admin_user, village=village_a, number=8)
    return HouseholdFactory(
        actor=admin_user, group=group, number="YF-8-1", address="玉峰村8组1号", house_number="1号"
    )


@pytest.fixture
def community_cadre(town, community):
    return UserFactory(username="bx_cadre", town=town, roles=[RoleInput(Role.CADRE, village=community)])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("8组1号", {"BX-8-1"}),
        ("8组 1号", {"BX-8-1"}),
        ("8组", {"BX-8-1", "BX-8-10", "BX-8-11", "BX-8-5"}),
        ("宝兴社区8组", {"BX-8-1", "BX-8-10", "BX-8-11"}),
        ("宝兴社区8组1号", {"BX-8-1"}),
        ("1号", {"BX-8-1", "BX-18-1", "BX-1-1"}),
        ("8组5号", {"BX-8-5"}),
        ("18组1号", {"BX-18-1"}),
    ],
)
def test_each_address_form_finds_its_households_and_no_other(community_cadre, yufeng_8_1, query, expected):
    assert numbers(search(community_cadre, query)) == expected


def test_address_forms_reach_every_village_of_a_town_wide_user(admin_user, community, yufeng_8_1):
    assert numbers(search(admin_user, "8组1号")) == {"BX-8-1", "YF-8-1"}
    assert numbers(search(admin_user, "宝兴社区8组1号")) == {"BX-8-1"}
    assert "YF-8-1" not in numbers(search(admin_user, "宝兴社区8组"))


def test_the_exact_house_number_ranks_before_longer_ones(admin_user, community):
    hits = search(admin_user, "8组1")  # typing on: 8组1号, 8组10号, 8组11号
    assert numbers(hits) == {"BX-8-1", "BX-8-10", "BX-8-11"}


# ------------------------------------------------------------------------------------ what a hit shows


def test_a_member_hit_names_the_head_and_the_relationship(client, alice, household_a):
    hit = next(h for h in search(alice, "李四妹") if h.resident)
    assert (hit.relationship, hit.head_name) == ("spouse", "张三")
    head = next(h for h in search(alice, "张三") if h.resident)
    assert head.relationship == "head"
    client.force_login(alice)
    html = text_of(fragment(client, "李四妹"))
    assert "配偶" in html and "户主 张三" in html and "12号" in html and "A-001" in html


def test_a_household_hit_names_its_head(client, alice, household_a):
    client.force_login(alice)
    html = fragment(client, "1组12号")
    assert "张三" in html and "户主" in html


@pytest.mark.parametrize(
    ("query", "marked"),
    [
        ("四妹", "李<mark>四妹</mark>"),
        ("李四妹", "<mark>李四妹</mark>"),
        ("xiaoming", "张<mark>小明</mark>"),
        ("zhangxiaom", "<mark>张小明</mark>"),
        ("zxm", "<mark>张小明</mark>"),
        ("wxy", "<mark>王秀英</mark>"),
        ("12号", "<mark>12号</mark>"),
        ("1组12号", "玉峰村<mark>1组12号</mark>"),
        ("A-00", "<mark>A-00</mark>1"),
    ],
)
def test_the_matched_part_is_highlighted(client, alice, household_a, query, marked):
    client.force_login(alice)
    assert marked in fragment(client, query)


def test_highlighting_escapes_what_it_shows(client, admin_user, group_a1):
    household = HouseholdFactory(
        actor=admin_user, group=group_a1, number="X-1", address="<b>村</b>1组9号", house_number="9号"
    )
    ResidentFactory(
        actor=admin_user, household=household, name="张<i>", id_number=None, no_id_reason="x", sex="M"
    )
    client.force_login(admin_user)
    html = fragment(client, "1组9号")
    assert "<b>" not in html and "&lt;b&gt;" in html


def _digit_runs(html: str) -> set[str]:
    return set(re.findall(r"[0-9Xx]{4,}", text_of(html)))


def _hidden_parts(number: str, shown: int) -> set[str]:
    """Every run of `shown + 1` characters of a number: a page showing any of them shows more than the mask."""
    return {number[i : i + shown + 1] for i in range(len(number) - shown)}


@pytest.mark.parametrize("role", ["admin", "cadre", "grid", "duty", "clerk"])
def test_a_highlighted_phone_tail_shows_no_more_digits_than_the_mask(client, users, household_a, role):
    client.force_login(users[role])
    html = fragment(client, "5678")
    assert "<mark>5678</mark>" in html
    phones = [p.number for r in household_a.residents.all() for p in r.phones.all()]
    ids = [r.id_number for r in household_a.residents.all()]
    shown = _digit_runs(html)
    for number in phones + ids:
        # nothing longer than the four characters the mask shows at the end, and no other part of the number
        assert not any(part in run for run in shown for part in _hidden_parts(number, 4)), (number, shown)


def test_a_highlighted_id_tail_shows_the_typed_characters_only(client, alice, clerk, household_a):
    number = household_a.head.id_number
    client.force_login(alice)
    html = fragment(client, number[-4:])
    assert f"<mark>{number[-4:]}</mark>" in html
    assert number[:6] not in html and number[6:14] not in html
    client.force_login(clerk)  # may not search ID numbers: no ID line, no hit from one
    html = fragment(client, number[-4:])
    assert "身份证" not in html and "张三" not in html


def test_a_whole_number_shows_masked(client, alice, household_a):
    client.force_login(alice)
    html = client.get(SEARCH, {"q": "13812345678"}).content.decode()  # submitted: checked and recorded
    assert "<mark>138****5678</mark>" in html
    results = html[html.index('id="results"') :]
    assert "13812345678" not in results


@pytest.mark.parametrize("length", [5, 6, 8])
def test_longer_tails_answer_the_same_page_whatever_the_hidden_digit(client, alice, household_a, length):
    # the attack of test_search_numbers, on the page with its count: every guess of the next hidden digit gets
    # the same answer
    client.force_login(alice)
    known = "13812345678"[-(length - 1) :]
    answers = {fragment(client, digit + known) for digit in "0123456789"}
    assert len(answers) == 1, answers


# --------------------------------------------------------------------------------------- count and "all"


@pytest.fixture
def many_zhang(admin_user, group_a1):
    for i in range(30):
        household = HouseholdFactory(actor=admin_user, group=group_a1, number=f"Z-{i:02d}")
        name = f"张{'一二三四五六七八九十'[i % 10]}{i}"
        ResidentFactory(
            actor=admin_user, household=household, name=name, id_number=None, no_id_reason="x", sex="M"
        )


def test_the_count_and_a_link_to_all_results(client, alice, household_a, many_zhang):
    found = find(alice, "张")
    assert (found.total, len(found.hits), found.capped, found.more) == (32, 20, False, True)
    client.force_login(alice)
    html = fragment(client, "张")
    assert "共 32 个结果，显示前 20 个" in text_of(html)
    link = re.search(r'href="([^"]*all=1[^"]*)"', html).group(1).replace("&amp;", "&")
    everything = client.get(link).content.decode()
    assert everything.count('<li><a href="/registry/households/') == 32
    assert "查看全部" not in everything and "共 32 个结果" in text_of(everything)


def test_no_link_when_every_hit_is_shown(client, alice, household_a):
    client.force_login(alice)
    html = text_of(fragment(client, "张三"))
    assert "共 1 个结果" in html and "查看全部" not in html


def test_a_count_cut_short_by_the_scan_says_at_least(alice, household_a, many_zhang, monkeypatch, client):
    monkeypatch.setattr(search_module, "PER_SCAN", 5)
    found = find(alice, "张", 1)
    assert (found.total, found.capped, found.more) == (5, True, True)
    client.force_login(alice)
    monkeypatch.setattr(search_module, "SCAN_PER_SHOWN", 1)
    monkeypatch.setattr(search_module, "PER_SCAN", 25)
    assert "至少 25 个结果，显示前 20 个 · 查看全部" in text_of(fragment(client, "张"))


def test_the_count_costs_no_statement(alice, household_a, many_zhang):
    assert alice.role_assignments  # read once per request, before
    for limit in (20, search_module.ALL_LIMIT):
        with CaptureQueriesContext(connection) as ctx:
            found = find(alice, "张", limit)
        assert found.total == 32 and len(ctx) == 2, [q["sql"][:80] for q in ctx.captured_queries]


def test_a_whole_number_is_counted_only_once_checked(client, alice, household_a, settings):
    client.force_login(alice)
    live = fragment(client, "13812345678")  # typing: nothing checked, nothing counted
    assert "个结果" not in live and not AuditEntry.objects.filter(action=NUMBER_SEARCH).exists()
    settings.XIANGZHI_NUMBER_SEARCHES_PER_HOUR = 1
    first = client.get(SEARCH, {"q": "13812345678"}).content.decode()
    assert "共 1 个结果" in text_of(first)
    assert AuditEntry.objects.filter(action=NUMBER_SEARCH).count() == 1
    refused = client.get(SEARCH, {"q": "13812345678", "all": "1"}).content.decode()
    assert "个结果" not in text_of(refused) and "张三" not in refused


# ------------------------------------------------------------------------------------- recently opened


def open_card(client, household) -> None:
    assert client.get(reverse("registry:household", args=[household.pk])).status_code == 200


@pytest.fixture
def households(admin_user, group_a1):
    return [HouseholdFactory(actor=admin_user, group=group_a1, number=f"R-{i:02d}") for i in range(12)]


def recent_numbers(user) -> list[str]:
    return [h.number for h in selectors.recent_households(user=user)]


def test_opening_a_card_puts_it_first_on_the_empty_search_page(client, alice, households):
    client.force_login(alice)
    for household in (households[0], households[1], households[0]):
        open_card(client, household)
    assert recent_numbers(alice) == ["R-00", "R-01"]
    page = text_of(client.get(SEARCH).content.decode())
    assert "最近查看" in page and page.index("R-00") < page.index("R-01")
    assert "最近查看" in text_of(fragment(client, ""))  # the box emptied while typing
    assert "最近查看" not in text_of(fragment(client, "张"))
    assert "R-00" in text_of(client.get(reverse("registry:home")).content.decode())


def test_at_most_eight_newest_first_and_a_bounded_history(client, admin_user, alice, households):
    client.force_login(alice)
    for household in households:
        open_card(client, household)
    assert recent_numbers(alice) == [f"R-{i:02d}" for i in range(11, 3, -1)]
    more = HouseholdFactory.create_batch(services.RECENT_KEPT, actor=admin_user, group=households[0].group)
    for household in more:
        open_card(client, household)
    assert RecentHousehold.objects.unrestricted("test").filter(user=alice).count() == services.RECENT_KEPT


def test_recording_an_opening_is_two_statements(alice, households):
    services.household_opened(actor=alice, household=households[0])
    with CaptureQueriesContext(connection) as ctx:
        services.household_opened(actor=alice, household=households[1])
    assert len(ctx) == 2


def test_each_user_has_their_own_list(client, alice, bob, households):
    client.force_login(alice)
    open_card(client, households[0])
    assert recent_numbers(bob) == []


def test_a_household_that_left_the_users_area_drops_out(client, admin_user, grid, households, group_a2):
    client.force_login(grid)  # a grid worker of group 1
    open_card(client, households[0])
    open_card(client, households[1])
    services.household_update(actor=admin_user, household=households[0], group=group_a2)
    assert recent_numbers(grid) == ["R-01"]
    assert "R-00" not in text_of(client.get(SEARCH).content.decode())


def test_an_outsider_opening_nothing_records_nothing(client, charlie, households):
    client.force_login(charlie)
    assert client.get(reverse("registry:household", args=[households[0].pk])).status_code == 404
    assert not RecentHousehold.objects.unrestricted("test").exists()


# ------------------------------------------------------------------------------------------ placeholder


def placeholder(client, user) -> str:
    client.force_login(user)
    html = client.get(SEARCH).content.decode()
    return re.search(r'placeholder="([^"]*)"', html).group(1)


@pytest.mark.parametrize(
    ("role", "ids"), [("admin", True), ("cadre", True), ("grid", False), ("duty", False), ("clerk", False)]
)
def test_the_placeholder_mentions_id_numbers_only_for_who_may_search_them(client, users, role, ids):
    text = placeholder(client, users[role])
    assert "姓名" in text and "拼音" in text and "门牌号" in text and "电话" in text
    assert ("身份证" in text) is ids


def test_the_api_names_the_head_and_the_relationship(alice, household_a):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(alice)
    hits = api.get("/api/v1/registry/search/", {"q": "李四妹"}).json()
    hit = next(h for h in hits if h["resident_name"] == "李四妹")
    assert (hit["relationship"], hit["head_name"]) == ("spouse", "张三")
