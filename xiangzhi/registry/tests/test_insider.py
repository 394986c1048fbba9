"""A curious insider, scripted: no combination of what a user is shown — masked values, other fields, validation
answers — yields a full ID number they could not reveal with a logged reveal (issue: privacy against an insider).

Each test performs an attack the way a script would, against the real pages and API, and asserts it fails.
"""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from xiangzhi.core.masking import mask_id_number
from xiangzhi.core.models import AuditEntry
from xiangzhi.registry import services
from xiangzhi.registry.idnumber import check_character
from xiangzhi.registry.models import Resident
from xiangzhi.registry.tests.factories import make_id

pytestmark = pytest.mark.django_db

VIEWERS = ["admin_user", "alice", "grid", "duty", "clerk"]


def _date_spellings(day: datetime.date) -> list[str]:
    return [f"{day:%Y-%m-%d}", f"{day:%Y/%m/%d}", f"{day.year}年{day.month}月{day.day}日", f"{day:%Y%m%d}"]


def _everything_shown(user, household, auditor) -> str:
    """Every page and API answer about the household a user may open, and the audit log an auditor reads."""
    page, api = Client(), APIClient()
    page.force_login(user)
    api.force_authenticate(user)
    head = household.head
    texts = [
        page.get(reverse("registry:household", args=[household.pk])).content.decode(),
        page.get(reverse("registry:resident_edit", args=[head.pk])).content.decode(),
        page.get(reverse("registry:search"), {"q": head.name}).content.decode(),
        api.get(f"/api/v1/registry/households/{household.pk}/").content.decode(),
        api.get("/api/v1/registry/residents/", {"household": household.pk}).content.decode(),
        api.get(f"/api/v1/registry/residents/{head.pk}/").content.decode(),
        api.get("/api/v1/registry/search/", {"q": head.name}).content.decode(),
    ]
    audit = Client()
    audit.force_login(auditor)
    texts.append(audit.get(reverse("core:audit")).content.decode())
    audit_api = APIClient()
    audit_api.force_authenticate(auditor)
    texts.append(audit_api.get("/api/v1/audit/").content.decode())
    return "\n".join(texts)


@pytest.mark.parametrize("viewer", VIEWERS)
def test_a_masked_id_is_never_shown_beside_the_birth_date_it_hides(
    request, viewer, household_a, auditor, admin_user
):
    # given a registry that has been edited (audit rows with before and after) and the head's ID number
    head = household_a.head
    services.resident_update(
        actor=admin_user,
        resident=head,
        name=head.name,
        sex=head.sex,
        birth_date=None,
        id_number=None,
        residence_status=head.residence_status,
        notes="换了门牌",
    )
    user = request.getfixturevalue(viewer)
    # when the attacker collects everything shown to them (and to the auditor)
    shown = _everything_shown(user, household_a, auditor)
    # then no birth date of a resident with an ID number appears, in any spelling
    for resident in Resident.objects.filter(household=household_a, id_status="present"):
        for spelling in _date_spellings(resident.birth_date):
            assert spelling not in shown, (viewer, spelling)
    # while residents without an ID number still show theirs (it completes nothing)
    assert "age" in shown or "岁" in shown


def _candidates(masked: str, age: int, today: datetime.date) -> list[str]:
    """Every ID number consistent with what a page shows: the mask (area and last four) and the age, which for a
    resident with an ID number counts from the birth year."""
    area, tail = masked[:6], masked[-4:]
    found = []
    day = datetime.date(today.year - age, 1, 1)
    while day.year == today.year - age:
        body = f"{area}{day:%Y%m%d}{tail[:3]}"
        if check_character(body) == tail[3]:
            found.append(body + tail[3])
        day += datetime.timedelta(days=1)
    return found


@settings(max_examples=60, deadline=None)
@given(
    birth=st.dates(min_value=datetime.date(1930, 1, 1), max_value=datetime.date(2020, 12, 31)),
    seq=st.integers(min_value=0, max_value=999),
)
def test_the_mask_and_the_age_never_determine_the_number(birth, seq):
    """Property: what a role with the ID right sees of a number (its mask) and of the person (the age) leaves
    many numbers possible; the real one among them, never alone."""
    today = datetime.date(2026, 11, 29)
    body = f"500111{birth:%Y%m%d}{seq:03d}"
    number = body + check_character(body)
    age = today.year - birth.year  # as Resident.age shows it beside an ID number
    candidates = _candidates(mask_id_number(number), age, today)
    assert number in candidates
    assert len(candidates) >= 10


def test_validation_is_no_oracle_for_a_guessed_id_number(alice, charlie, household_a, household_b, settings):
    """A cadre of village B guessing the ID number of a resident of village A (or another town) by adding a member
    with it: the answer names no household out of scope; a probe that fails on another field learns nothing; each
    refusal is an audit row that outlives the rolled-back write; after the limit no ID number is checked at all."""
    target = household_a.head.id_number
    client = Client()
    client.force_login(charlie)
    url = reverse("registry:resident_add", args=[household_b.pk])
    base = {
        "relationship": "son",
        "start_reason": "registered",
        "name": "试探",
        "residence_status": "at_home",
        "sex": "M",
    }

    # a probe with a bad phone stops at the phone: nothing said about the ID number
    response = client.post(url, {**base, "id_number": target, "phone_1": "12"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "already registered" not in response.content.decode()
    assert not AuditEntry.objects.filter(action="registry.resident.duplicate_id").exists()

    # a complete probe is refused, names no household, and leaves a lasting audit row
    response = client.post(url, {**base, "id_number": target}, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "already registered" in html
    assert f"/registry/households/{household_a.pk}/" not in html and "A-001" not in html
    row = AuditEntry.objects.get(action="registry.resident.duplicate_id")
    assert (
        row.actor == charlie
        and target not in str(row.after)
        and row.after["id_number"] == mask_id_number(target)
    )

    # after the limit, an ID number is not checked at all: the same answer whether registered or not
    settings.XIANGZHI_DUPLICATE_ID_LIMIT = 1
    fresh = make_id(datetime.date(1990, 1, 1), "M", 77)
    answers = set()
    for number in (target, fresh):
        response = client.post(url, {**base, "id_number": number}, HTTP_ACCEPT_LANGUAGE="en")
        answers.add("try again in an hour" in response.content.decode())
    assert answers == {True}
    assert not Resident.objects.filter(name="试探").exists()


def test_the_api_refusal_lasts_even_when_the_request_rolls_back(alice, household_a, charlie, household_b):
    api = APIClient()
    api.force_authenticate(charlie)
    body = {
        "relationship": "son",
        "start_reason": "registered",
        "name": "试探",
        "sex": "M",
        "id_number": household_a.head.id_number,
    }
    response = api.post(
        f"/api/v1/registry/households/{household_b.pk}/members/",
        body,
        format="json",
        HTTP_IDEMPOTENCY_KEY="probe-1",
    )
    assert response.status_code == 400
    assert "existing_household" not in response.json()
    assert AuditEntry.objects.filter(action="registry.resident.duplicate_id", actor=charlie).count() == 1


def test_roles_without_the_id_right_neither_send_nor_receive_id_numbers(grid, household_a):
    api = APIClient()
    api.force_authenticate(grid)
    target = household_a.head.id_number
    body = {
        "relationship": "son",
        "start_reason": "registered",
        "name": "试探",
        "sex": "M",
        "id_number": target,
        "no_id_reason": "新生儿",
    }
    response = api.post(f"/api/v1/registry/households/{household_a.pk}/members/", body, format="json")
    assert response.status_code == 201  # the number was ignored: no duplicate answer at all
    assert response.json()["id_number"] is None
    assert not AuditEntry.objects.filter(action="registry.resident.duplicate_id").exists()
    assert all(
        r["id_number"] is None
        for r in api.get("/api/v1/registry/residents/", {"household": household_a.pk}).json()["results"]
    )


@pytest.mark.parametrize("channel", ["page", "api"])
@pytest.mark.parametrize("viewer", ["alice", "grid", "admin_user"])
def test_an_edit_with_a_guessed_birth_date_learns_nothing(request, channel, viewer, household_a):
    """Saving a resident with a birth date but without typing the ID number once answered "the ID number gives the
    birth date 1970-03-05" — the date the mask hides — and an error or no error confirmed a guess."""
    user = request.getfixturevalue(viewer)
    head = household_a.head
    real = head.birth_date
    answers = []
    for guess in (real, real + datetime.timedelta(days=1)):
        if channel == "api":
            api = APIClient()
            api.force_authenticate(user)
            body = {
                "name": head.name,
                "sex": head.sex,
                "birth_date": f"{guess:%Y-%m-%d}",
                "residence_status": "at_home",
            }
            response = api.put(f"/api/v1/registry/residents/{head.pk}/", body, format="json")
            text = response.content.decode()
        else:
            client = Client()
            client.force_login(user)
            post = {
                "name": head.name,
                "sex": head.sex,
                "birth_date": f"{guess:%Y-%m-%d}",
                "residence_status": "at_home",
            }
            response = client.post(reverse("registry:resident_edit", args=[head.pk]), post)
            text = response.content.decode()
        answers.append(response.status_code)
        for spelling in _date_spellings(real):
            assert spelling not in text
    assert answers[0] == answers[1]  # the same answer for the right and the wrong date
    head.refresh_from_db()
    assert head.birth_date == real


def test_a_bad_flag_list_stops_a_probe_before_the_duplicate_check(charlie, household_a, household_b):
    """Flags listed twice with two levels used to be checked after the ID number: a free number gave only the
    flags error, a registered one the duplicate answer — a free oracle. Now the flags stop it first."""
    from xiangzhi.registry.models import FlagType

    disabled = FlagType.objects.get(town=household_b.town, code="disabled")
    api = APIClient()
    api.force_authenticate(charlie)
    answers = set()
    for number in (household_a.head.id_number, make_id(datetime.date(1991, 2, 3), "M", 55)):
        body = {
            "relationship": "son",
            "start_reason": "registered",
            "name": "试探",
            "sex": "M",
            "id_number": number,
            "flags": [{"code": "disabled", "level": 1}, {"code": "disabled", "level": 2}],
        }
        response = api.post(f"/api/v1/registry/households/{household_b.pk}/members/", body, format="json")
        answers.add((response.status_code, tuple(sorted(response.json()))))
    assert answers == {(400, ("flags",))}
    assert disabled.name and not AuditEntry.objects.filter(action="registry.resident.duplicate_id").exists()
