"""Registry services: each write is one transaction with its audit row; nothing is deleted; scope is re-checked."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from xiangzhi.core.exceptions import NotInScope
from xiangzhi.core.models import AuditEntry
from xiangzhi.registry import services
from xiangzhi.registry.models import ContactPhone, Household, Membership, Resident, SearchToken
from xiangzhi.registry.tests.factories import make_id
from xiangzhi.registry.tests.helpers import update_resident

pytestmark = pytest.mark.django_db


def current(household):
    return {
        m.resident.name: m.relationship
        for m in Membership.objects.filter(household=household, ended_at__isnull=True).select_related(
            "resident"
        )
    }


def test_resident_add_derives_birth_and_sex_and_audits(alice, household_a):
    # when
    r = services.resident_add(
        start_reason="registered",
        actor=alice,
        household=household_a,
        relationship="grandson",
        name="张小宝",
        id_number=make_id(datetime.date(2020, 5, 6), "M", 9),
    )
    # then
    assert (r.birth_date, r.sex) == (datetime.date(2020, 5, 6), "M")
    entry = AuditEntry.objects.get(action="registry.resident.add", target_id=str(r.pk))
    assert entry.actor == alice
    assert entry.after["id_number"].count("*") == 8  # masked in the audit row
    assert SearchToken.objects.filter(resident=r).exists()


def test_entered_birth_date_and_sex_are_cross_checked(alice, household_a):
    with pytest.raises(ValidationError) as exc:
        services.resident_add(
            start_reason="registered",
            actor=alice,
            household=household_a,
            relationship="son",
            name="张错",
            id_number=make_id(datetime.date(2000, 1, 1), "M", 7),
            sex="F",
            birth_date=datetime.date(2000, 1, 2),
        )
    assert set(exc.value.error_dict) == {"sex", "birth_date"}
    assert not Resident.objects.filter(name="张错").exists()


def test_no_id_number_needs_a_reason(alice, household_a):
    with pytest.raises(ValidationError) as exc:
        services.resident_add(
            start_reason="registered",
            actor=alice,
            household=household_a,
            relationship="son",
            name="张无",
            sex="M",
        )
    assert "id_number" in exc.value.error_dict
    r = services.resident_add(
        start_reason="registered",
        actor=alice,
        household=household_a,
        relationship="son",
        name="张无",
        sex="M",
        no_id_reason="新生儿",
    )
    assert r.id_status == "none" and r.id_number is None


def test_duplicate_id_number_names_the_holder_and_writes_nothing(alice, household_a):
    holder = household_a.head
    before = (Resident.objects.count(), AuditEntry.objects.count())
    with pytest.raises(services.DuplicateIdNumber) as exc:
        services.resident_add(
            start_reason="registered",
            actor=alice,
            household=household_a,
            relationship="son",
            name="张重",
            id_number=holder.id_number,
        )
    assert exc.value.existing == holder
    assert (Resident.objects.count(), AuditEntry.objects.count()) == before


def test_bad_phone_rolls_back_the_whole_resident(alice, household_a):
    before = Resident.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.resident_add(
            start_reason="registered",
            actor=alice,
            household=household_a,
            relationship="son",
            name="张电",
            sex="M",
            no_id_reason="x",
            phones=[services.PhoneInput(number="12345")],
        )
    assert "phones" in exc.value.error_dict
    assert Resident.objects.count() == before


def test_second_head_is_refused(alice, household_a):
    with pytest.raises(ValidationError):
        services.resident_add(
            start_reason="registered",
            actor=alice,
            household=household_a,
            relationship="head",
            name="张二",
            sex="M",
            no_id_reason="x",
        )


def test_services_refuse_out_of_scope_writes(charlie, grid, household_a, household_b):
    with pytest.raises(NotInScope):
        services.resident_add(
            start_reason="registered",
            actor=charlie,
            household=household_a,
            relationship="son",
            name="外人",
            sex="M",
            no_id_reason="x",
        )
    with pytest.raises(NotInScope):
        services.resident_reveal_id(actor=grid, resident=household_a.head)  # grid workers never see IDs
    with pytest.raises(NotInScope):
        services.membership_end(actor=charlie, resident=household_a.head, reason="deceased")


def test_death_ends_membership_keeps_the_resident_and_clears_head(alice, household_a):
    head = household_a.head
    services.membership_end(actor=alice, resident=head, reason="deceased", note="2026-11-01 病故")
    head.refresh_from_db()
    household_a.refresh_from_db()
    assert head.residence_status == "deceased"
    assert household_a.head is None
    assert "张三" not in current(household_a)
    ended = Membership.objects.get(resident=head)
    assert ended.ended_at is not None and ended.end_reason == "deceased"
    assert AuditEntry.objects.filter(
        action="registry.membership.end_deceased", target_id=str(head.pk)
    ).exists()
    with pytest.raises(ValidationError):
        services.membership_end(actor=alice, resident=head, reason="deceased")


def test_change_head_restates_relationships(alice, household_a):
    son = household_a.residents.get(name="张小明")
    others = {
        r.pk: rel
        for r, rel in zip(
            household_a.residents.exclude(pk=son.pk).order_by("pk"),
            ["father", "mother", "grandmother"],
            strict=True,
        )
    }
    services.household_change_head(actor=alice, household=household_a, new_head=son, relationships=others)
    household_a.refresh_from_db()
    assert household_a.head == son
    assert current(household_a) == {
        "张小明": "head",
        "张三": "father",
        "李四妹": "mother",
        "王秀英": "grandmother",
    }


def test_change_head_needs_every_relationship(alice, household_a):
    son = household_a.residents.get(name="张小明")
    with pytest.raises(ValidationError):
        services.household_change_head(actor=alice, household=household_a, new_head=son, relationships={})


def test_split_moves_members_into_a_new_household(alice, household_a):
    son = household_a.residents.get(name="张小明")
    new = services.household_split(
        actor=alice, household=household_a, members={son.pk: "head"}, number="A-002"
    )
    assert new.head == son and new.village_id == household_a.village_id
    assert "张小明" not in current(household_a)
    assert current(new) == {"张小明": "head"}
    assert Membership.objects.get(resident=son, household=household_a).end_reason == "split"
    son.refresh_from_db()
    assert son.household == new


def test_split_needs_someone_to_stay_and_one_head(alice, household_a):
    everyone = {r.pk: "other" for r in household_a.residents.all()}
    with pytest.raises(ValidationError):
        services.household_split(actor=alice, household=household_a, members=everyone, number="A-003")
    son = household_a.residents.get(name="张小明")
    with pytest.raises(ValidationError):
        services.household_split(actor=alice, household=household_a, members={son.pk: "son"}, number="A-003")
    assert not Household.objects.filter(number="A-003").exists()


def test_merge_moves_everyone_and_closes_the_source(admin_user, household_a, household_b):
    zhao = household_b.head
    services.household_merge(
        actor=admin_user, source=household_b, target=household_a, relationships={zhao.pk: "other"}
    )
    household_b.refresh_from_db()
    assert household_b.status == "closed" and household_b.head is None
    assert current(household_a)["赵四"] == "other"
    assert Membership.objects.filter(resident=zhao).count() == 2


def test_move_between_households(admin_user, household_a, household_b):
    son = household_a.residents.get(name="张小明")
    services.resident_move(actor=admin_user, resident=son, household=household_b, relationship="other")
    assert current(household_b)["张小明"] == "other"
    assert AuditEntry.objects.filter(action="registry.resident.move").count() == 1
    with pytest.raises(ValidationError):
        services.resident_move(actor=admin_user, resident=son, household=household_b, relationship="other")


def test_update_keeps_id_when_not_given_and_reindexes(alice, household_a):
    head = household_a.head
    number = head.id_number
    update_resident(alice, head, name="张叁", phones=[services.PhoneInput(number="13700000000")])
    head.refresh_from_db()
    assert head.name == "张叁" and head.id_number == number
    entry = AuditEntry.objects.get(action="registry.resident.update")
    assert entry.before["name"] == "张三" and entry.after["name"] == "张叁"
    from xiangzhi.registry.search import search

    assert [h.resident.name for h in search(alice, "zhangsan") if h.resident] == ["张叁"]
    assert any(h.resident and h.resident.name == "张叁" for h in search(alice, "0000"))


def test_confirm_marks_freshness(alice, household_a):
    household_a.confirmed_at = None
    household_a.save()
    services.household_confirm(actor=alice, household=household_a)
    household_a.refresh_from_db()
    assert household_a.confirmed_at is not None


def test_death_is_not_a_residence_status_edit(alice, household_a):
    with pytest.raises(ValidationError) as exc:
        services.resident_add(
            start_reason="registered",
            actor=alice,
            household=household_a,
            relationship="son",
            name="张死",
            sex="M",
            no_id_reason="x",
            residence_status="deceased",
        )
    assert "residence_status" in exc.value.error_dict


def test_phone_and_flag_changes_are_in_the_audit_row_masked(alice, household_a):
    from xiangzhi.registry.models import FlagType

    mother = household_a.residents.get(name="王秀英")
    update_resident(
        alice,
        mother,
        phones=[services.PhoneInput(number="13566667777", holder="neighbour", holder_name="刘婶")],
        flags=[
            services.FlagInput(flag=FlagType.objects.get(code="disabled"), level=1),
            services.FlagInput(flag=FlagType.objects.get(code="dibao")),
        ],
    )
    entry = AuditEntry.objects.get(action="registry.resident.update", target_id=str(mother.pk))
    assert entry.before["phones"] == [
        {"number": "158****3333", "holder": "child", "holder_name": "张小明", "priority": 1}
    ]
    assert entry.after["phones"][0]["number"] == "135****7777"
    assert entry.before["flags"] == ["disabled:2"]
    assert entry.after["flags"] == ["dibao", "disabled:1"]
    assert "13566667777" not in str(entry.after)


def test_a_user_who_may_not_see_ids_cannot_erase_one(grid, household_a):
    # the grid worker's form has no ID field, but a "no ID because" text must not drop the number on record
    head = household_a.head
    number = head.id_number
    update_resident(grid, head, id_number="110105194912310021", no_id_reason="lost")
    head.refresh_from_db()
    assert (head.id_number, head.id_status, head.no_id_reason) == (number, "present", "")


def test_a_user_who_may_not_see_ids_cannot_enter_one(grid, household_a):
    # the rule lives in the service: whatever a page or the API passes on, a grid worker's ID number is ignored
    r = services.resident_add(
        start_reason="registered",
        actor=grid,
        household=household_a,
        relationship="son",
        name="张小网",
        sex="M",
        birth_date=datetime.date(2001, 5, 1),
        id_number=make_id(datetime.date(2001, 5, 1), seq=31),
        no_id_reason="registered elsewhere",
    )
    r.refresh_from_db()
    assert (r.id_number, r.id_blind, r.id_status, r.no_id_reason) == (
        None,
        None,
        "none",
        "registered elsewhere",
    )


def test_sex_cannot_be_blanked_for_a_resident_without_id(alice, household_a):
    r = services.resident_add(
        start_reason="registered",
        actor=alice,
        household=household_a,
        relationship="grandson",
        name="张无证",
        sex="M",
        no_id_reason="newborn",
    )
    with pytest.raises(ValidationError) as exc:
        update_resident(alice, r, sex="")
    assert "sex" in exc.value.error_dict
    r.refresh_from_db()
    assert r.sex == "M"


def test_removal_from_the_household_is_no_longer_living_here(alice, household_a):
    from xiangzhi.registry.selectors import dashboard

    son = household_a.residents.get(name="张小明")
    before = dashboard(user=alice)["residents"]
    services.membership_end(actor=alice, resident=son, reason="removed", note="registered twice")
    son.refresh_from_db()
    assert son.residence_status == "moved_out"
    assert dashboard(user=alice)["residents"] == before - 1
    assert not Membership.objects.filter(resident=son, ended_at__isnull=True).exists()


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("notes", "儿子电话 138 1234 5678"),
        ("no_id_reason", "旧证 500111197003050012 遗失"),
        ("holder_name", "张小明13900001111"),
    ],
)
def test_a_phone_or_id_number_in_free_text_is_refused_and_nothing_is_written(alice, household_a, field, text):
    kwargs = {"notes": "", "no_id_reason": "newborn", "phones": [services.PhoneInput(number="13700001234")]}
    if field == "holder_name":
        kwargs["phones"] = [services.PhoneInput(number="13700001234", holder="child", holder_name=text)]
    else:
        kwargs[field] = text
    with pytest.raises(ValidationError) as exc:
        services.resident_add(
            start_reason="registered",
            actor=alice,
            household=household_a,
            relationship="grandson",
            name="张小宝",
            sex="M",
            **kwargs,
        )
    assert "Put phone and ID numbers in their own fields" in str(exc.value) or "号码" in str(exc.value)
    assert not Resident.objects.filter(name="张小宝").exists()


def test_dates_and_short_numbers_in_notes_are_fine(alice, household_a):
    r = services.resident_add(
        start_reason="registered",
        actor=alice,
        household=household_a,
        relationship="grandson",
        name="张小宝",
        sex="M",
        no_id_reason="newborn, registration due 2026-12-01",
        notes="住院 3 次，邮编 401120",
    )
    assert r.notes == "住院 3 次，邮编 401120"


def test_a_phone_reveal_still_points_at_the_phone_after_an_edit(alice, household_a):
    # given a revealed phone of a resident whose number is answered by her son
    mother = household_a.residents.get(name="王秀英")
    phone = mother.phones.get()
    services.phone_reveal(actor=alice, phone=phone)
    # when the resident is edited, keeping the phone and adding another
    update_resident(
        alice,
        mother,
        phones=[
            services.PhoneInput(number="15822223333", holder="child", holder_name="张小明"),
            services.PhoneInput(number="13566667777", holder="neighbour", holder_name="刘婶", priority=2),
        ],
    )
    # then the phone kept its id, and the reveal's audit row resolves and says what was revealed
    assert mother.phones.order_by("priority").first().pk == phone.pk
    entry = AuditEntry.objects.get(action="registry.phone.reveal")
    assert Resident.objects.get(pk=entry.target_id) == mother
    assert ContactPhone.objects.filter(pk=entry.after["phone"], resident=mother).exists()
    assert entry.after | {"phone": None} == {
        "phone": None,
        "number": "158****3333",
        "holder": "child",
        "holder_name": "张小明",
        "resident": mother.pk,
    }
    assert "15822223333" not in str(entry.after)


def test_editing_phones_updates_in_place_and_deletes_only_removed_ones(alice, household_a):
    head = household_a.head
    update_resident(
        alice,
        head,
        phones=[
            services.PhoneInput(number="13812345678"),
            services.PhoneInput(number="13700001111", priority=2),
        ],
    )
    kept, added = head.phones.order_by("priority")
    # a changed holder updates the row; a number not matched reuses a row; the rest are deleted
    update_resident(
        alice,
        head,
        phones=[
            services.PhoneInput(number="13600002222", priority=1),
            services.PhoneInput(number="13812345678", holder="spouse", holder_name="李四妹", priority=2),
        ],
    )
    rows = {p.pk: (p.number, p.holder, p.priority) for p in head.phones.all()}
    assert rows == {kept.pk: ("13812345678", "spouse", 2), added.pk: ("13600002222", "self", 1)}
    update_resident(alice, head, phones=[services.PhoneInput(number="13600002222")])
    assert list(head.phones.values_list("pk", flat=True)) == [added.pk]
