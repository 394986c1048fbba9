"""Every dashboard figure opens its list, and the resident list: filters that combine, held in the URL, scoped,
counted, sorted, exported (masked and audited); its query count does not grow with the page."""

import csv
import datetime
import io
import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from xiangzhi.core.models import AuditEntry
from xiangzhi.registry import services
from xiangzhi.registry.filtersets import born_by
from xiangzhi.registry.models import FlagType, Resident
from xiangzhi.registry.tests.factories import HouseholdFactory, ResidentFactory, make_id

pytestmark = pytest.mark.django_db

TILE = re.compile(r'<a class="card stat" href="([^"]+)">[^<]*<b>(\d+)</b></a>')
BAR = re.compile(r'<a href="([^"]+)"><div class="[mf]" [^>]*></div><span class="muted">(\d+)</span></a>')
COUNT = re.compile(r'data-count="(\d+)"')


def _flag(town, code):
    return FlagType.objects.get(town=town, code=code)


@pytest.fixture
def town_data(admin_user, household_a, household_b, group_a1, group_a2):
    """Besides A-001 (group 1) and B-001: in group 2 of village A a 低保 household with a child, a migrant and a
    member with no birth date on record."""
    today = datetime.date.today()
    h = HouseholdFactory(actor=admin_user, group=group_a2, number="A-201")
    dibao = [services.FlagInput(flag=_flag(h.town, "dibao"))]
    ResidentFactory(
        actor=admin_user,
        household=h,
        relationship="head",
        name="刘一",
        id_number=make_id(datetime.date(1958, 4, 4), "M", 7),
        flags=dibao,
        phones=[services.PhoneInput(number="13711112222")],
    )
    ResidentFactory(
        actor=admin_user,
        household=h,
        relationship="granddaughter",
        name="刘小",
        id_number=None,
        no_id_reason="未满16岁",
        sex="F",
        birth_date=today.replace(year=today.year - 5),
        flags=dibao,
    )
    ResidentFactory(
        actor=admin_user,
        household=h,
        relationship="son",
        name="刘二",
        id_number=make_id(datetime.date(1990, 7, 7), "M", 8),
        residence_status="migrant",
    )
    ResidentFactory(
        actor=admin_user,
        household=h,
        relationship="daughter",
        name="刘三",
        id_number=None,
        no_id_reason="不详",
        sex="F",
    )
    return h


def _tiles(client, **params):
    html = client.get(reverse("registry:home"), params).content.decode()
    return [(unescape(url), n) for url, n in TILE.findall(html) + BAR.findall(html)]


@pytest.mark.parametrize("who", ["alice", "grid", "admin_user"])
def test_every_dashboard_figure_opens_a_list_of_that_many(client, town_data, who, request):
    client.force_login(request.getfixturevalue(who))
    tiles = _tiles(client)
    assert len(tiles) >= 2 + 3 + 5 + 14  # households, residents, three statuses, the flags, 7 bands × 2 sexes
    nonzero = 0
    for url, number in tiles:
        page = client.get(url)
        assert page.status_code == 200, url
        assert COUNT.findall(page.content.decode()) == [number], url
        nonzero += number != "0"
    assert nonzero >= 4


def test_a_village_dashboard_links_to_that_villages_lists(client, alice, town_data, group_a2):
    client.force_login(alice)
    for url, number in _tiles(client, group=group_a2.pk):
        assert f"group={group_a2.pk}" in url
        assert COUNT.findall(client.get(url).content.decode()) == [number], url
    residents = [n for u, n in _tiles(client, group=group_a2.pk) if u.endswith("residence_status=living")]
    assert residents == ["4"]  # 刘一, 刘小, 刘二, 刘三


def _names(client, **params):
    response = client.get(reverse("registry:residents"), params)
    assert response.status_code == 200
    return {row for row in re.findall(r"<strong>([^<]+)</strong>", response.content.decode())}


def test_filters_combine(client, alice, town_data, village_a, group_a2, household_a):
    client.force_login(alice)
    everyone = _names(client)
    assert {"张三", "王秀英", "刘一", "刘小", "刘三"} <= everyone and "赵四" not in everyone  # B is not hers
    assert _names(client, flag="dibao") == {"刘一", "刘小"}
    assert _names(client, flag="dibao", sex="F") == {"刘小"}
    assert _names(client, flag="dibao", age_max=17) == {"刘小"}
    assert _names(client, flag="disabled", level=2) == {"王秀英"}
    assert _names(client, flag="disabled", level=1) == set()
    assert _names(client, residence_status="migrant") == {"张小明", "刘二"}
    assert _names(client, residence_status="migrant", group=group_a2.pk) == {"刘二"}
    assert _names(client, head="true", village=village_a.pk) == {"张三", "刘一"}
    assert _names(client, head="true", age_min=60) == {"刘一"}  # 张三 is 56 (born 1970)
    assert _names(client, age_min=80) == {"王秀英"}
    assert "刘三" not in _names(client, age_min=0)  # no birth date: in no age range
    assert _names(client, q="刘") == {"刘一", "刘小", "刘二", "刘三"}
    assert _names(client, q="A-0") == {"张三", "李四妹", "张小明", "王秀英"}
    assert _names(client, household=household_a.pk, sex="F") == {"李四妹", "王秀英"}


@pytest.mark.parametrize("url", ["registry:residents", "registry:households"])
def test_the_folded_filters_say_what_the_list_holds(client, alice, town_data, village_a, group_a2, url):
    """Opened from a tile or a warning list, the filters are folded: their summary names each one applied (in
    words, the flag's name rather than its code), so the cadre knows whom the list and its export hold."""
    client.force_login(alice)
    query = {"village": village_a.pk, "group": group_a2.pk, "flag": "dibao", "sort": "name", "page": "1"}
    html = client.get(reverse(url), query, headers={"accept-language": "zh-hans"}).content.decode()
    summary = re.search(r"<summary>(.*?)</summary>", html, re.S).group(1)
    assert re.findall(r'<span class="tag">(.*?)</span>', summary) == [
        "村：玉峰村",
        "村民小组：2组",
        "标签：低保",
    ]
    bare = client.get(reverse(url), headers={"accept-language": "zh-hans"}).content.decode()
    assert 'class="tag"' not in re.search(r"<summary>(.*?)</summary>", bare, re.S).group(1)


def test_sort_orders_the_list(client, alice, town_data):
    client.force_login(alice)

    def order(sort):
        html = client.get(reverse("registry:residents"), {"sort": sort, "age_min": 0}).content.decode()
        return re.findall(r"<strong>([^<]+)</strong>", html)

    assert order("-age")[0] == "王秀英" and order("age")[0] == "刘小"
    names = order("name")
    assert names == sorted(names)


@pytest.mark.parametrize(
    ("who", "param", "fixture"),
    [
        ("alice", "village", "village_b"),
        ("alice", "group", "group_b1"),
        ("grid", "group", "group_a2"),
        ("grid", "household", "town_data"),
    ],
)
def test_an_area_out_of_scope_is_404(client, town_data, request, who, param, fixture):
    client.force_login(request.getfixturevalue(who))
    target = request.getfixturevalue(fixture)
    for name in ("registry:residents", "registry:resident_export"):
        assert client.get(reverse(name), {param: target.pk}).status_code == 404
    assert client.get(reverse("registry:residents"), {"village": "x"}).status_code == 404


def _export(client, **params):
    response = client.get(reverse("registry:resident_export"), params)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_export_is_masked_scoped_formula_safe_and_audited(client, alice, admin_user, town_data, household_a):
    services.resident_add(
        start_reason="registered",
        actor=admin_user,
        household=household_a,
        relationship="son",
        name="=HYPERLINK(1)",
        sex="M",
        no_id_reason="x",
    )
    client.force_login(alice)
    rows = _export(client, flag="disabled", q="13812345678")
    assert [r[0] for r in rows[1:]] == []  # a phone number is no name: nothing matches
    rows = _export(client, household=household_a.pk)
    text = "\n".join(",".join(r) for r in rows)
    assert "'=HYPERLINK(1)" in text
    assert "138****5678" in text and "13812345678" not in text
    assert "500111********" in text and "1970-03-05" not in text and "19700305" not in text
    head = next(r for r in rows if r[0] == "张三")
    assert str(Resident.objects.get(name="张三").age) in head
    entries = AuditEntry.objects.filter(action="registry.residents.export", actor_name="alice").order_by("pk")
    assert entries.count() == 2
    first, second = (e.after for e in entries)
    assert first["filters"]["q"] == "…" and "13812345678" not in str(first)  # the number is not kept
    assert first["rows"] == 0 and second == {"rows": 5, "filters": {"household": household_a.pk}}


def test_grid_worker_export_and_list_carry_no_id_numbers(client, grid, town_data):
    client.force_login(grid)
    rows = _export(client)
    assert {r[0] for r in rows[1:]} == {"张三", "李四妹", "张小明", "王秀英"}
    assert "身份证号" not in rows[0] and "ID number" not in rows[0]
    assert not any("********" in cell for row in rows for cell in row)
    html = client.get(reverse("registry:residents")).content.decode()
    assert "********" not in html


def test_list_shows_the_age_never_a_birth_date_beside_a_masked_id(client, alice, town_data, household_a):
    client.force_login(alice)
    html = client.get(reverse("registry:residents"), {"household": household_a.pk}).content.decode()
    assert "500111********" in html
    for born in ("1970-03-05", "1970年3月5日", "19700305", "1940-09-09"):
        assert born not in html


def test_query_count_does_not_grow_with_the_page(
    client, alice, admin_user, town_data, django_assert_num_queries
):
    client.force_login(alice)
    url = reverse("registry:residents")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    h = HouseholdFactory(actor=admin_user, group=town_data.group, number="A-202")
    for i in range(15):
        ResidentFactory(
            actor=admin_user,
            household=h,
            relationship="son" if i else "head",
            birth=datetime.date(1980, 1, 1) + datetime.timedelta(days=i),
            flags=[services.FlagInput(flag=_flag(h.town, "dibao"))],
            phones=[services.PhoneInput(number=f"1370000{i:04d}")],
        )
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert COUNT.findall(response.content.decode()) == [str(8 + 15)]


def test_the_api_takes_the_same_filters(client, alice, town_data, village_b):
    client.force_login(alice)
    api = "/api/v1/registry/residents/"
    names = {r["name"] for r in client.get(api, {"flag": "dibao", "sex": "F"}).json()["results"]}
    assert names == {"刘小"}
    assert client.get(api, {"village": village_b.pk}).status_code == 404
    assert client.get(api, {"flag": "nosuchflag"}).status_code == 400


@given(
    st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)),
    st.dates(datetime.date(1900, 1, 1), datetime.date(2100, 12, 31)),
    st.integers(0, 120),
)
def test_age_range_agrees_with_the_age_to_the_day(birth, today, years):
    resident = Resident(birth_date=birth)
    age = resident.age_on(today)
    if age is None or age < 0 or today.year - years < 1:
        return
    assert (birth <= born_by(today, years)) is (age >= years)


# ----------------------------------------------------------------------------------------------- household list

HOUSEHOLD = re.compile(r'<td class="title"><a href="/registry/households/\d+/">([^<]+)</a>')


def _households(client, **params) -> list[str]:
    response = client.get(reverse("registry:households"), params)
    assert response.status_code == 200
    html = response.content.decode()
    numbers = HOUSEHOLD.findall(html)
    assert COUNT.findall(html) == [str(len(numbers))]
    return numbers


def test_household_filters_combine(client, alice, admin_user, town_data, group_a2, household_a):
    client.force_login(alice)
    assert _households(client) == ["A-001", "A-201"]
    assert _households(client, flag="disabled", level=2) == ["A-001"]
    assert _households(client, flag="disabled", level=3) == []
    assert _households(client, flag="dibao") == ["A-201"]
    assert _households(client, working_away="true") == ["A-001", "A-201"]
    assert _households(client, working_away="true", group=group_a2.pk) == ["A-201"]
    assert _households(client, working_away="false") == []
    assert _households(client, q="刘一") == ["A-201"]
    assert _households(client, q="A-2") == ["A-201"]
    assert _households(client, q="玉峰村1组") == ["A-001"]
    assert _households(client, q="13812345678") == []  # no phone number is matched
    assert _households(client, status="active", sort="head") == [
        "A-201",
        "A-001",
    ]  # 刘 before 张 (code points)
    assert _households(client, status="closed") == []
    # a flag of a member who died is no longer the household's
    services.membership_end(
        actor=admin_user, resident=household_a.residents.get(name="王秀英"), reason="deceased"
    )
    assert _households(client, flag="disabled") == []


def test_household_export_honours_the_filters(client, alice, town_data):
    client.force_login(alice)
    response = client.get(reverse("registry:household_export"), {"flag": "dibao", "working_away": "true"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["A-201"]
    entry = AuditEntry.objects.get(action="registry.households.export")
    flag = _flag(town_data.town, "dibao").pk
    assert entry.after == {"rows": 1, "filters": {"flag": flag, "working_away": "true"}}


@pytest.mark.parametrize(
    ("who", "param", "fixture"), [("alice", "group", "group_b1"), ("grid", "group", "group_a2")]
)
def test_a_household_list_area_out_of_scope_is_404(client, town_data, request, who, param, fixture):
    client.force_login(request.getfixturevalue(who))
    target = request.getfixturevalue(fixture)
    for url in (
        reverse("registry:households"),
        reverse("registry:household_export"),
        "/api/v1/registry/households/",
    ):
        assert client.get(url, {param: target.pk}).status_code == 404, url


def test_the_household_api_takes_the_same_filters(client, alice, town_data, group_a2):
    client.force_login(alice)
    api = "/api/v1/registry/households/"
    for params in (
        {"flag": "disabled", "level": 2},
        {"working_away": "true", "group": group_a2.pk},
        {"q": "刘一"},
        {"sort": "head"},
        {"status": "active", "working_away": "false"},
    ):
        numbers = [h["number"] for h in client.get(api, params).json()["results"]]
        assert numbers == _households(client, **params), params
    assert client.get(api, {"flag": "nosuchflag"}).status_code == 400
    assert client.get(api, {"working_away": "maybe"}).status_code == 400
