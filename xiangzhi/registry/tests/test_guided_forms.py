"""Forms that guide (issue 8 §4): sections, required marks, no dangerous defaults, a confirmation with the
person's name, household numbers in the town's pattern, and an error summary on every form of the platform."""

import datetime
import pathlib
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.urls import reverse
from django.utils import timezone, translation

from xiangzhi.registry import services
from xiangzhi.registry.models import Household, Membership, Resident
from xiangzhi.registry.tests.factories import ResidentFactory, make_id
from xiangzhi.tests.helpers import at_the_same_moment

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today


@pytest.fixture
def cadre_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def zh():
    with translation.override("zh-hans"):
        yield


def _html(response) -> str:
    return response.content.decode()


# ------------------------------------------------------------------------------------------- the member form


def test_the_member_form_is_drawn_in_sections_with_required_marks(cadre_client, household_a, zh):
    html = _html(cadre_client.get(reverse("registry:resident_add", args=[household_a.pk])))
    legends = re.findall(r'<fieldset class="section"[^>]*><legend>([^<]+)</legend>', html)
    assert legends == ["身份信息", "居住情况", "联系电话", "标签"]
    sections = html.split('<fieldset class="section"')
    assert 'name="id_number"' in sections[1] and 'name="residence_status"' in sections[2]
    assert 'name="phone_1"' in sections[3] and 'name="flags"' in sections[4]
    # the phone slots: one row each, with the button label for the script that reveals them one at a time
    assert 'data-more="添加电话"' in sections[3]
    assert sections[3].count('class="row grouped"') == 3
    # required fields carry the mark and the form says what it means; optional ones carry none
    assert '带 <abbr class="req">*</abbr> 的为必填项' in html
    name_label = re.search(r'<label for="id_name"[^>]*>(.*?)</label>', html, re.S).group(1)
    notes_label = re.search(r'<label for="id_notes"[^>]*>(.*?)</label>', html, re.S).group(1)
    assert 'class="req"' in name_label and 'class="req"' not in notes_label


def test_a_field_named_in_no_section_lands_in_the_residence_section(alice):
    from django import forms as django_forms

    from xiangzhi.registry.forms import ResidentForm

    class WithReason(ResidentForm):
        start_reason = django_forms.CharField(label="why they join")

    fieldsets = WithReason(user=alice).fieldsets()
    residence = fieldsets[1]
    assert "start_reason" in [f.name for row in residence.rows for f in row.fields]


def test_disability_level_shows_only_with_a_flag_that_has_a_level(cadre_client, household_a, town):
    from xiangzhi.registry.models import FlagType

    level_flags = {
        str(pk)
        for pk in FlagType.objects.unrestricted("test")
        .filter(town=town, has_level=True)
        .values_list("pk", flat=True)
    }
    assert level_flags
    html = _html(cadre_client.get(reverse("registry:resident_add", args=[household_a.pk])))
    row = re.search(
        r'<div class="row" data-show-when="flags" data-show-values="([^"]*)">\s*<div class="field[^"]*">\s*<label for="id_disability_level"',
        html,
    )
    assert row and set(row.group(1).split()) == level_flags


def test_a_new_members_relationship_has_no_default(cadre_client, household_a):
    response = cadre_client.get(reverse("registry:resident_add", args=[household_a.pk]))
    assert not response.context["form"]["relationship"].value()
    assert re.search(r'<option value="" selected>', _html(response))
    # and saving without one is refused on the field
    data = {"name": "张新", "no_id_reason": "newborn", "residence_status": "at_home"}
    response = cadre_client.post(reverse("registry:resident_add", args=[household_a.pk]), data)
    assert response.status_code == 200 and "relationship" in response.context["form"].errors


def test_the_id_number_field_carries_what_the_script_needs(cadre_client, household_a, zh):
    html = _html(cadre_client.get(reverse("registry:resident_add", args=[household_a.pk])))
    field = re.search(r"<input[^>]*name=\"id_number\"[^>]*>", html).group(0)
    assert 'data-sex-field="id_sex"' in field and 'data-birth-field="id_birth_date"' in field
    assert 'data-mismatch="出生日期与身份证号不一致。"' in field


def test_a_birth_date_that_disagrees_with_the_id_number_is_refused(cadre_client, household_a, zh):
    data = {
        "name": "张新",
        "relationship": "grandson",
        "start_reason": "birth",
        "id_number": make_id(datetime.date(2001, 2, 3), "M", 40),
        "sex": "M",
        "birth_date": "2001-02-04",
        "residence_status": "at_home",
    }
    response = cadre_client.post(reverse("registry:resident_add", args=[household_a.pk]), data)
    assert response.status_code == 200
    assert response.context["form"].errors["birth_date"] == ["出生日期与身份证号不一致。"]
    assert not Resident.objects.unrestricted("test").filter(name="张新").exists()
    # the same number with its own date and sex is saved; a sex that disagrees is refused too
    response = cadre_client.post(
        reverse("registry:resident_add", args=[household_a.pk]), {**data, "sex": "F", "birth_date": ""}
    )
    assert "sex" in response.context["form"].errors
    response = cadre_client.post(
        reverse("registry:resident_add", args=[household_a.pk]), {**data, "birth_date": "2001-02-03"}
    )
    assert response.status_code == 302


# ---------------------------------------------------------------------------------------------- error summary


def _assert_error_summary(html: str, field_id: str) -> None:
    summary = re.search(
        r'<div class="error-summary" role="alert" tabindex="-1" data-error-summary>(.*?)</div>', html, re.S
    )
    assert summary, "no error summary"
    assert f'href="#{field_id}"' in summary.group(1)
    field = re.search(rf'<(?:input|select|textarea)[^>]*id="{field_id}"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field
    assert f'aria-describedby="{field_id}_error"' in field or f"{field_id}_error" in field
    assert f'id="{field_id}_error"' in html
    # the message sits in the field's own block, under its label and before the input
    block = html[html.index(f'<label for="{field_id}"') :]
    assert block.index(f'id="{field_id}_error"') < block.index(f'id="{field_id}"')


def test_a_failed_registry_form_has_a_linked_error_summary(cadre_client, household_a):
    response = cadre_client.post(reverse("registry:resident_add", args=[household_a.pk]), {"name": ""})
    html = _html(response)
    _assert_error_summary(html, "id_name")
    _assert_error_summary(html, "id_relationship")
    assert "has-error" in html


def test_a_failed_areas_form_has_a_linked_error_summary(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("areas:villages"), {"name": "", "kind": "village", "code": ""})
    assert response.status_code == 200
    _assert_error_summary(_html(response), "id_name")
    # an error the service finds lands the same way
    response = client.post(reverse("areas:villages"), {"name": "青山村", "kind": "village", "code": "123"})
    _assert_error_summary(_html(response), "id_code")


def test_a_failed_account_form_has_a_linked_error_summary(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("accounts:users"), {"username": ""})
    assert response.status_code == 200
    _assert_error_summary(_html(response), "id_username")


def test_an_unfailed_form_has_no_summary(cadre_client, household_a):
    html = _html(cadre_client.get(reverse("registry:resident_add", args=[household_a.pk])))
    assert "error-summary" not in html and "aria-invalid" not in html


def test_the_summary_script_is_served(client):
    from django.contrib.staticfiles import finders

    script = pathlib.Path(finders.find("core/forms.js")).read_text(encoding="utf-8")
    assert "[data-error-summary]" in script and ".focus(" in script


# ------------------------------------------------------------------------------------------ ending a membership


def test_the_end_form_has_no_default_reason_and_requires_a_date(cadre_client, household_a):
    mother = household_a.residents.get(name="王秀英")
    url = reverse("registry:resident_end", args=[mother.pk])
    form = cadre_client.get(url).context["form"]
    assert form["reason"].value() in (None, "")
    response = cadre_client.post(url, {"reason": "deceased", "date": "", "confirmed": "1"})
    assert response.status_code == 200 and "date" in response.context["form"].errors
    response = cadre_client.post(url, {"date": TODAY().isoformat(), "confirmed": "1"})
    assert "reason" in response.context["form"].errors
    future = (TODAY() + datetime.timedelta(days=1)).isoformat()
    response = cadre_client.post(url, {"reason": "deceased", "date": future, "confirmed": "1"})
    assert "date" in response.context["form"].errors
    mother.refresh_from_db()
    assert mother.residence_status != "deceased"


def test_the_end_is_confirmed_with_the_persons_name_before_anything_is_saved(cadre_client, household_a, zh):
    mother = household_a.residents.get(name="王秀英")
    url = reverse("registry:resident_end", args=[mother.pk])
    day = TODAY() - datetime.timedelta(days=3)
    Membership.objects.unrestricted("test").filter(resident=mother).update(
        started_at=timezone.now() - datetime.timedelta(days=3650)
    )
    response = cadre_client.post(url, {"reason": "deceased", "date": day.isoformat()})
    assert response.status_code == 200
    assert f"确认：王秀英 死亡，日期 {day.isoformat()}" in _html(response)
    mother.refresh_from_db()
    assert mother.residence_status == "at_home"
    # back to change: the form again, filled in, nothing saved
    response = cadre_client.post(
        url, {"reason": "deceased", "date": day.isoformat(), "confirmed": "1", "back": "1"}
    )
    assert response.status_code == 200 and response.context["form"]["reason"].value() == "deceased"
    mother.refresh_from_db()
    assert mother.residence_status == "at_home"
    response = cadre_client.post(url, {"reason": "deceased", "date": day.isoformat(), "confirmed": "1"})
    assert response.status_code == 302
    mother.refresh_from_db()
    assert mother.residence_status == "deceased"
    ended = Membership.objects.unrestricted("test").get(resident=mother, household=household_a)
    assert timezone.localdate(ended.ended_at) == day


def test_the_service_refuses_a_date_in_the_future_or_before_the_membership(alice, household_a):
    son = household_a.residents.get(name="张小明")
    with pytest.raises(ValidationError) as exc:
        services.membership_end(
            actor=alice, resident=son, reason="moved_out", date=TODAY() + datetime.timedelta(days=1)
        )
    assert set(exc.value.message_dict) == {"date"}
    with pytest.raises(ValidationError) as exc:
        services.membership_end(actor=alice, resident=son, reason="moved_out", date=datetime.date(2000, 1, 1))
    assert set(exc.value.message_dict) == {"date"}


# --------------------------------------------------------------------------------------------- household numbers


def test_a_household_without_a_number_gets_the_groups_next_free_one(alice, group_a1):
    # village 玉峰村 has the code 500111108001 (village part 001); group 1 → prefix 00101
    first = services.household_create(actor=alice, group=group_a1)
    second = services.household_create(actor=alice, group=group_a1)
    assert (first.number, second.number) == ("00101001", "00101002")
    services.household_create(actor=alice, group=group_a1, number="00101007")
    assert services.household_number_next(group=group_a1) == "00101008"


def test_numbers_of_other_forms_do_not_count_and_groups_count_apart(alice, group_a1, group_a2, household_a):
    # household_a is "A-001": not of the pattern, no effect on the sequence
    assert services.household_number_next(group=group_a1) == "00101001"
    services.household_create(actor=alice, group=group_a2)
    assert services.household_number_next(group=group_a2) == "00102002"
    assert services.household_number_next(group=group_a1) == "00101001"


def test_a_typed_number_must_fit_the_pattern(alice, group_a1):
    services.household_number_check(group=group_a1, number="00101015")
    for wrong in ("00102015", "0010115", "001010150", "00101000", "A-001", "00101O15"):
        with pytest.raises(ValidationError) as exc:
            services.household_number_check(group=group_a1, number=wrong)
        assert "00101001" in exc.value.message_dict["number"][0]


def test_a_clash_is_refused_with_the_number(alice, group_a1):
    services.household_create(actor=alice, group=group_a1, number="00101003")
    with pytest.raises(ValidationError) as exc:
        services.household_create(actor=alice, group=group_a1, number="00101003")
    assert "00101003" in exc.value.message_dict["number"][0]


def test_a_generated_number_taken_by_another_write_meanwhile_is_retried(alice, group_a1, monkeypatch):
    # Given another transaction took the proposed number between the proposal and the insert
    from xiangzhi.registry.services import households

    real_next = households.household_number_next
    calls = []

    def racing_next(*, group):
        number = real_next(group=group)
        if not calls:
            Household.objects.create(
                town_id=group.town_id, village_id=group.village_id, group=group, number=number
            )
        calls.append(number)
        return number

    monkeypatch.setattr(households, "household_number_next", racing_next)
    household = services.household_create(actor=alice, group=group_a1)
    assert calls == ["00101001", "00101002"] and household.number == "00101002"


def test_the_unique_constraint_backs_the_check(group_a1):
    Household.objects.create(
        town_id=group_a1.town_id, village_id=group_a1.village_id, group=group_a1, number="00101001"
    )
    with pytest.raises(IntegrityError):
        Household.objects.create(
            town_id=group_a1.town_id, village_id=group_a1.village_id, group=group_a1, number="00101001"
        )


def test_the_household_page_generates_or_checks_the_number(cadre_client, group_a1, zh):
    url = reverse("registry:household_create")
    response = cadre_client.post(url, {"group": group_a1.pk, "number": ""})
    assert response.status_code == 302
    assert Household.objects.unrestricted("test").filter(number="00101001").exists()
    response = cadre_client.post(url, {"group": group_a1.pk, "number": "12345"})
    assert response.status_code == 200
    html = _html(response)
    assert "00101001" in html and "error-summary" in html
    assert not Household.objects.unrestricted("test").filter(number="12345").exists()


# ------------------------------------------------------------------------------------------------------- split


@pytest.fixture
def with_child(admin_user, household_a):
    """household_a with a child of 10 registered first among the leaving candidates."""
    ResidentFactory(
        actor=admin_user,
        household=household_a,
        relationship="grandson",
        name="张小小",
        id_number=make_id(datetime.date(TODAY().year - 10, 1, 2), "M", 9),
    )
    return household_a


def test_the_split_form_names_the_household_lists_members_and_proposes(cadre_client, with_child, zh):
    household = with_child
    response = cadre_client.get(reverse("registry:household_split", args=[household.pk]))
    html = _html(response)
    assert "A-001" in html and "张三" in html  # the source household and its head
    form = response.context["form"]
    labels = dict(form.fields["members"].choices)
    son = household.residents.get(name="张小明")
    relationship = household.memberships.get(resident=son).get_relationship_display()
    assert labels[son.pk] == f"张小明（{TODAY().year - 1996}岁，{relationship}）"
    # an adult who is not the head is proposed as the new head; never the child
    proposed = Resident.objects.unrestricted("test").get(pk=form.fields["new_head"].initial)
    assert proposed == son  # the adult son: not the head, not his wife, not the child
    assert form.fields["number"].initial == "00101001"


def test_a_child_cannot_head_a_split_household(cadre_client, with_child):
    child = with_child.residents.get(name="张小小")
    data = {"members": [child.pk], "new_head": child.pk, "number": "00101001", "proposed_number": "00101001"}
    response = cadre_client.post(reverse("registry:household_split", args=[with_child.pk]), data)
    assert response.status_code == 200 and "new_head" in response.context["form"].errors


def test_the_split_takes_the_proposed_number_afresh_or_checks_a_typed_one(
    cadre_client, admin_user, household_a, group_a1
):
    son = household_a.residents.get(name="张小明")
    url = reverse("registry:household_split", args=[household_a.pk])
    data = {"members": [son.pk], "new_head": son.pk, "number": "00101001", "proposed_number": "00101001"}
    # someone took the proposal meanwhile: the untouched proposal becomes the next free number
    services.household_create(actor=admin_user, group=group_a1)
    response = cadre_client.post(url, {**data, "number": "9999"})
    assert response.status_code == 200 and "00101" in _html(response)
    response = cadre_client.post(url, data)
    assert response.status_code == 302
    assert Resident.objects.unrestricted("test").get(pk=son.pk).household.number == "00101002"


def test_a_bad_phone_is_shown_on_its_own_slot(cadre_client, household_a):
    data = {
        "name": "张新",
        "relationship": "grandson",
        "start_reason": "birth",
        "no_id_reason": "newborn",
        "sex": "M",
        "birth_date": "2025-01-01",
        "residence_status": "at_home",
        "phone_2": "1381234",
    }
    response = cadre_client.post(reverse("registry:resident_add", args=[household_a.pk]), data)
    form = response.context["form"]
    assert set(form.errors) == {"phone_2"}
    _assert_error_summary(_html(response), "id_phone_2")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's concurrent transactions")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_creates_in_one_group_get_distinct_numbers(alice, group_a1):
    # given 8 cadres creating a household in the same group at the same moment, none typing a number
    count = 8
    numbers, failures = [], []

    def create():
        try:
            numbers.append(services.household_create(actor=alice, group=group_a1).number)
        except Exception as exc:
            failures.append(exc)

    at_the_same_moment(count, create)
    # then each gets its own next number, and none fails
    assert not failures
    assert sorted(numbers) == [f"00101{i:03d}" for i in range(1, count + 1)]
