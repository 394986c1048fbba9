"""Outsiders never reach a record outside their part of the town: it answers 404, as if it did not exist.

Three outsiders, each with a target household they must never reach and a household of their own to reach out
from:
  * charlie, cadre of village B → household A-001 of village A;
  * the administrator of another town → household A-001 (same town fixture, other tenant);
  * the grid worker of group A1 → household A-201 in group A2 of the *same* village.
"""

import csv
import datetime
import io
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from xiangzhi.areas.tests.factories import VillageFactory, VillageGroupFactory
from xiangzhi.core.models import AuditEntry
from xiangzhi.registry import permissions as perms
from xiangzhi.registry import services
from xiangzhi.registry.models import ContactPhone, Household, Resident, SearchToken
from xiangzhi.registry.tests.factories import make_id

pytestmark = pytest.mark.django_db

API = "/api/v1/registry"


@pytest.fixture
def household_a2(admin_user, group_a2):
    """钱六's household in group 2 of village A: outside the grid worker of group 1."""
    h = services.household_create(
        actor=admin_user, group=group_a2, number="A-201", address="玉峰村2组8号", house_number="8号"
    )
    services.resident_add(
        start_reason="registered",
        actor=admin_user,
        household=h,
        relationship="head",
        name="钱六",
        id_number=make_id(datetime.date(1980, 4, 4), "M", 6),
        phones=[services.PhoneInput(number="13688887777")],
    )
    services.resident_add(
        start_reason="registered",
        actor=admin_user,
        household=h,
        relationship="spouse",
        name="孙七梅",
        id_number=make_id(datetime.date(1982, 7, 7), "F", 7),
        phones=[services.PhoneInput(number="13566664444")],
    )
    h.refresh_from_db()
    return h


@pytest.fixture
def other_town_household(other_town_admin):
    village = VillageFactory(actor=other_town_admin, name="龙水村")
    group = VillageGroupFactory(actor=other_town_admin, village=village, number=1)
    h = services.household_create(
        actor=other_town_admin, group=group, number="L-001", address="龙水村1组1号", house_number="1号"
    )
    services.resident_add(
        start_reason="registered",
        actor=other_town_admin,
        household=h,
        relationship="head",
        name="周八",
        id_number=make_id(datetime.date(1975, 5, 5), "M", 8),
        phones=[services.PhoneInput(number="13977776666")],
    )
    h.refresh_from_db()
    return h


@dataclass
class Scenario:
    outsider: object
    target: Household  # never reachable
    own: Household  # reachable: the place the outsider reaches out from
    foreign_village: bool  # is the target's whole village outside the outsider's area?

    @property
    def members(self) -> list[Resident]:
        return list(self.target.residents.order_by("pk"))

    @property
    def phones(self) -> list[ContactPhone]:
        return list(ContactPhone.objects.filter(resident__household=self.target).order_by("pk"))


SCENARIOS = {
    "cadre-of-village-B": ("charlie", "household_a", "household_b", True),
    "admin-of-another-town": ("other_town_admin", "household_a", "other_town_household", True),
    "grid-of-group-A1": ("grid", "household_a2", "household_a", False),
}


@pytest.fixture(params=list(SCENARIOS))
def scenario(request):
    outsider, target, own, foreign_village = SCENARIOS[request.param]
    return Scenario(
        outsider=request.getfixturevalue(outsider),
        target=request.getfixturevalue(target),
        own=request.getfixturevalue(own),
        foreign_village=foreign_village,
    )


@pytest.fixture
def outsider_client(scenario):
    client = Client()
    client.force_login(scenario.outsider)
    return client


def _state(household: Household):
    """Everything an outsider's write could have changed, and the newest audit row."""
    household.refresh_from_db()
    return (
        AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first(),
        [
            (f, str(getattr(household, f)))
            for f in ("group_id", "address", "head_id", "status", "confirmed_at", "updated_at")
        ],
        sorted(household.memberships.values_list("resident_id", "relationship", "ended_at", "end_reason")),
        sorted(
            Resident.objects.filter(household=household).values_list(
                "pk", "name", "residence_status", "notes"
            )
        ),
        sorted(ContactPhone.objects.filter(resident__household=household).values_list("pk", "blind")),
    )


def _assert_404(response, label):
    assert response.status_code == 404, f"{label}: {response.status_code} {response.content[:200]!r}"


def _assert_untouched(scenario, before):
    """The target is as it was, and no audit row was written (no write, no reveal)."""
    assert _state(scenario.target) == before


# --- the pages -------------------------------------------------------------------------------------------------


def test_every_page_of_the_target_household_is_404(scenario, outsider_client):
    # given the target household, its members and their phones
    target, own = scenario.target, scenario.own
    before = _state(target)
    c = outsider_client

    # when the outsider opens or posts every page about them
    household_pages = {
        "registry:household": None,
        "registry:household_edit": {"group": own.group_id, "address": "改了"},
        "registry:household_change_head": {"new_head": scenario.members[-1].pk},
        "registry:resident_add": {
            "name": "外人",
            "relationship": "son",
            "start_reason": "registered",
            "sex": "M",
            "no_id_reason": "x",
            "residence_status": "at_home",
        },
        "registry:household_split": {
            "number": "Z-1",
            "members": [scenario.members[-1].pk],
            "new_head": scenario.members[-1].pk,
        },
        "registry:household_merge": {"source_number": own.number},
    }
    for name, body in household_pages.items():
        url = reverse(name, args=[target.pk])
        _assert_404(c.get(url), f"GET {name}")
        if body is not None:
            _assert_404(c.post(url, body), f"POST {name}")
    _assert_404(c.post(reverse("registry:household_confirm", args=[target.pk])), "confirm")

    for resident in scenario.members:
        resident_pages = {
            "registry:resident_edit": {"name": "改名", "sex": resident.sex, "residence_status": "at_home"},
            "registry:resident_end": {"reason": "deceased", "date": "2026-01-02", "confirmed": "1"},
            "registry:resident_move": {"household_number": own.number, "relationship": "other"},
        }
        for name, body in resident_pages.items():
            url = reverse(name, args=[resident.pk])
            _assert_404(c.get(url), f"GET {name} {resident.name}")
            _assert_404(c.post(url, body), f"POST {name} {resident.name}")
        _assert_404(c.post(reverse("registry:reveal_id", args=[resident.pk])), "reveal id")
        _assert_404(
            c.post(reverse("registry:reveal_id", args=[resident.pk]), HTTP_HX_REQUEST="true"),
            "reveal id htmx",
        )
    for phone in scenario.phones:
        url = reverse("registry:reveal_phone", args=[phone.pk])
        _assert_404(c.post(url), "reveal phone")
        _assert_404(c.post(url + "?call=1", HTTP_HX_REQUEST="true"), "tap to call")

    # then nothing changed and nothing was revealed
    _assert_untouched(scenario, before)


# --- the API ---------------------------------------------------------------------------------------------------


def test_every_api_endpoint_of_the_target_household_is_404(scenario, outsider_client):
    target, own = scenario.target, scenario.own
    members = scenario.members
    before = _state(target)
    c = outsider_client

    def post(url, body=None, **extra):
        return c.post(url, body or {}, content_type="application/json", **extra)

    url = f"{API}/households/{target.pk}/"
    _assert_404(c.get(url), "household detail")
    actions = {
        "confirm": {},
        "members": {
            "name": "外人",
            "relationship": "son",
            "start_reason": "registered",
            "sex": "M",
            "no_id_reason": "x",
        },
        "change-head": {
            "new_head": members[-1].pk,
            "relationships": {str(m.pk): "other" for m in members[:-1]},
        },
        "split": {"members": {str(members[-1].pk): "head"}, "number": "Z-1"},
        "merge": {"source": own.pk, "relationships": {str(r.pk): "other" for r in own.residents.all()}},
    }
    for action, body in actions.items():
        _assert_404(post(url + f"{action}/", body), f"household {action}")
        _assert_404(post(url + f"{action}/", body, HTTP_IDEMPOTENCY_KEY=f"k-{action}"), f"{action} (key)")

    for resident in members:
        url = f"{API}/residents/{resident.pk}/"
        _assert_404(c.get(url), "resident detail")
        body = {"name": "改名", "sex": resident.sex, "residence_status": "at_home", "phones": []}
        _assert_404(c.put(url, body, content_type="application/json"), "resident update")
        _assert_404(post(url + "end/", {"reason": "deceased"}), "resident end")
        _assert_404(post(url + "move/", {"household": own.pk, "relationship": "other"}), "resident move")
        _assert_404(post(url + "reveal-id/"), "reveal id")
    for phone in scenario.phones:
        _assert_404(post(f"{API}/phones/{phone.pk}/reveal/"), "reveal phone")

    _assert_untouched(scenario, before)


def test_own_records_cannot_reach_into_the_target(scenario, outsider_client):
    """Writes that start from the outsider's own household and name the target (or its group) change nothing."""
    target, own = scenario.target, scenario.own
    before, own_before = _state(target), _state(own)
    mover = own.head
    c = outsider_client

    def post(url, body):
        return c.post(url, body, content_type="application/json")

    # the API: merge the target into their own household, move their resident into the target, split off into
    # the target's group, create a household in the target's group
    _assert_404(
        post(
            f"{API}/households/{own.pk}/merge/",
            {"source": target.pk, "relationships": {str(m.pk): "other" for m in scenario.members}},
        ),
        "merge the target in",
    )
    _assert_404(
        post(f"{API}/residents/{mover.pk}/move/", {"household": target.pk, "relationship": "other"}),
        "move into the target",
    )
    _assert_404(
        post(
            f"{API}/households/{own.pk}/split/",
            {"members": {str(mover.pk): "head"}, "number": "Z-2", "group": target.group_id},
        ),
        "split into the target's group",
    )
    # a group out of scope is refused as an unknown group: the field's error, as for an id that does not exist
    response = post(f"{API}/households/", {"group": target.group_id, "number": "Z-3"})
    assert response.status_code == 400 and list(response.json()) == ["group"]

    # the pages: the forms find no such household or group in the outsider's area
    response = c.post(reverse("registry:household_merge", args=[own.pk]), {"source_number": target.number})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    response = c.post(
        reverse("registry:resident_move", args=[mover.pk]),
        {"household_number": target.number, "relationship": "other"},
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    response = c.post(reverse("registry:household_create"), {"group": target.group_id, "number": "Z-4"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    response = c.post(
        reverse("registry:household_edit", args=[own.pk]), {"group": target.group_id, "address": "x"}
    )
    assert response.status_code == 200 and "errorlist" in response.content.decode()

    # then neither household changed and nothing new appeared in the target's group
    assert _state(target) == before
    assert _state(own) == own_before
    assert not Household.objects.filter(group_id=target.group_id).exclude(pk=target.pk).exists()


# --- search, lists, export -------------------------------------------------------------------------------------


def _queries(scenario) -> list[str]:
    """Every plain search key of the target (names, suffixes, pinyin, initials, address fragments, household
    number), and the tails (the last four, all a search matches short of the whole) and full values of its phone and
    ID numbers."""
    target = scenario.target
    plain = SearchToken.objects.filter(household=target, token__regex=r"^[npia]").values_list(
        "token", flat=True
    )
    queries = {t[1:] for t in plain}
    queries |= {target.number}
    for phone in scenario.phones:
        queries |= {phone.number, phone.number[-4:]}
    for resident in scenario.members:
        if resident.id_number:
            queries |= {resident.id_number, resident.id_number[-4:]}
    return sorted(queries)


def _leaks(html: str, scenario, query: str = "") -> list[str]:
    """Target markers in a page: its card link, its number and its members' names (unless echoed query text)."""
    markers = [reverse("registry:household", args=[scenario.target.pk]), scenario.target.number]
    markers += [r.name for r in scenario.members]
    return [m for m in markers if m in html and m not in query]


def test_search_never_returns_the_target(scenario, outsider_client, admin_user, settings):
    # every whole number below is searched four times; the hourly limit (tested on its own) must not hide a probe
    settings.XIANGZHI_NUMBER_SEARCHES_PER_HOUR = 1000
    target = scenario.target
    member_ids = {r.pk for r in scenario.members}
    insider = Client()
    insider.force_login(admin_user)
    queries = _queries(scenario)
    assert len(queries) > 20

    for q in queries:
        # given a query that finds the target for the town administrator
        found = insider.get(f"{API}/search/", {"q": q}).json()
        assert target.pk in {hit["household"]["id"] for hit in found}, f"the query {q!r} is no probe"

        # when the outsider searches the page, the htmx partial and the API
        page = outsider_client.get(reverse("registry:search"), {"q": q})
        partial = outsider_client.get(reverse("registry:search"), {"q": q}, HTTP_HX_REQUEST="true")
        hits = outsider_client.get(f"{API}/search/", {"q": q}).json()

        # then the target is in none of them
        assert page.status_code == partial.status_code == 200
        assert _leaks(page.content.decode(), scenario, q) == [], q
        assert _leaks(partial.content.decode(), scenario) == [], q
        assert target.pk not in {hit["household"]["id"] for hit in hits}, q
        assert not member_ids & {hit["resident_id"] for hit in hits}, q


def _csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode(
        "utf-8-sig"
    )
    return list(csv.reader(io.StringIO(text)))


def test_export_never_contains_the_target(scenario, outsider_client, admin_user):
    target = scenario.target
    insider = Client()
    insider.force_login(admin_user)
    assert target.number in {row[0] for row in _csv_rows(insider.get(reverse("registry:household_export")))}

    response = outsider_client.get(reverse("registry:household_export"))
    assert response.status_code == 200
    rows = _csv_rows(response)
    text = "\n".join(",".join(row) for row in rows)
    assert scenario.own.number in {row[0] for row in rows}
    assert _leaks(text, scenario) == []
    assert target.address not in text

    # a filter naming the target's area is out of scope: 404, as for a village that does not exist
    url = reverse("registry:household_export")
    _assert_404(outsider_client.get(url, {"group": target.group_id}), "export ?group=")
    if scenario.foreign_village:
        _assert_404(outsider_client.get(url, {"village": target.village_id}), "export ?village=")


def test_lists_and_dashboards_never_include_the_target(scenario, outsider_client):
    target, own = scenario.target, scenario.own
    member_ids = {r.pk for r in scenario.members}
    c = outsider_client

    def ids(url, **params):
        response = c.get(url, params)
        assert response.status_code == 200, (url, params, response.content[:200])
        return {row["id"] for row in response.json()["results"]}

    # pages
    listing = c.get(reverse("registry:households"))
    assert listing.status_code == 200 and own.number in listing.content.decode()
    assert _leaks(listing.content.decode(), scenario) == []
    for name in ("registry:households", "registry:home"):
        _assert_404(c.get(reverse(name), {"group": target.group_id}), f"{name} ?group=")
        if scenario.foreign_village:
            _assert_404(c.get(reverse(name), {"village": target.village_id}), f"{name} ?village=")

    # the API lists, with and without filters naming the target
    assert target.pk not in ids(f"{API}/households/")
    assert own.pk in ids(f"{API}/households/")
    assert target.pk not in ids(f"{API}/households/", number=target.number)
    assert not member_ids & ids(f"{API}/residents/")
    # a filter naming the target is refused as one naming nothing (test_naming_the_target_answers_as_naming_nothing):
    # 404, as on the pages
    _assert_404(c.get(f"{API}/residents/", {"household": target.pk}), "residents ?household=")
    _assert_404(c.get(f"{API}/households/", {"group": target.group_id}), "households ?group=")
    assert target.group_id not in ids("/api/v1/areas/groups/")
    _assert_404(c.get(f"/api/v1/areas/groups/{target.group_id}/"), "group detail")
    if scenario.foreign_village:
        assert target.village_id not in ids("/api/v1/areas/villages/")
        _assert_404(c.get(f"/api/v1/areas/villages/{target.village_id}/"), "village detail")
        _assert_404(c.get("/api/v1/areas/groups/", {"village": target.village_id}), "groups ?village=")

    # the dashboard counts the outsider's area only, and refuses a filter naming the target's
    stats = c.get(f"{API}/dashboard/").json()
    assert stats["households"] == Household.objects.restrict(scenario.outsider, perms.VIEW).count() == 1
    assert stats["residents"] == own.residents.count()
    _assert_404(c.get(f"{API}/dashboard/", {"group": target.group_id}), "dashboard ?group=")
    if scenario.foreign_village:
        _assert_404(c.get(f"{API}/dashboard/", {"village": target.village_id}), "dashboard ?village=")


def test_naming_the_target_answers_as_naming_nothing(scenario, outsider_client):
    """An id out of scope gets the very answer an id that does not exist gets: no existence oracle."""
    target, own = scenario.target, scenario.own
    absent = 999999
    c = outsider_client

    def post(url, body):
        return c.post(url, body, content_type="application/json")

    probes = {
        "households ?group=": lambda pk: c.get(f"{API}/households/", {"group": pk}),
        "residents ?household=": lambda pk: c.get(f"{API}/residents/", {"household": pk}),
        "create in group": lambda pk: post(f"{API}/households/", {"group": pk, "number": "Z-5"}),
        "merge from": lambda pk: post(
            f"{API}/households/{own.pk}/merge/", {"source": pk, "relationships": {}}
        ),
        "move into": lambda pk: post(
            f"{API}/residents/{own.head_id}/move/", {"household": pk, "relationship": "other"}
        ),
        "split into group": lambda pk: post(
            f"{API}/households/{own.pk}/split/",
            {"members": {str(own.head_id): "head"}, "number": "Z-6", "group": pk},
        ),
        "household card": lambda pk: c.get(reverse("registry:household", args=[pk])),
        "households page ?group=": lambda pk: c.get(reverse("registry:households"), {"group": pk}),
        "dashboard ?group=": lambda pk: c.get(f"{API}/dashboard/", {"group": pk}),
    }
    targets = {
        "households ?group=": target.group_id,
        "residents ?household=": target.pk,
        "create in group": target.group_id,
        "merge from": target.pk,
        "move into": target.pk,
        "split into group": target.group_id,
        "household card": target.pk,
        "households page ?group=": target.group_id,
        "dashboard ?group=": target.group_id,
    }
    if scenario.foreign_village:
        probes |= {
            "households ?village=": lambda pk: c.get(f"{API}/households/", {"village": pk}),
            "groups ?village=": lambda pk: c.get("/api/v1/areas/groups/", {"village": pk}),
            "dashboard ?village=": lambda pk: c.get(f"{API}/dashboard/", {"village": pk}),
        }
        targets |= dict.fromkeys(
            ("households ?village=", "groups ?village=", "dashboard ?village="), target.village_id
        )

    answers = {
        label: (probe(targets[label]).status_code, probe(absent).status_code)
        for label, probe in probes.items()
    }
    assert {label: a for label, a in answers.items() if a[0] != a[1]} == {}
    assert all(a[0] >= 400 for a in answers.values()), answers
