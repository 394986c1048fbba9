"""A member moved into another household of the town (镇内转户): filed without naming it, the cadre finds it in
their own area and approval moves them through the registry. And a request whose record changed since it was sent:
the cadre compares what is on record now with what was asked, then rejects it or applies it over the record by
confirming so (audited as such)."""

from typing import cast

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from xiangzhi.core.models import AuditEntry
from xiangzhi.livedata import selectors, services
from xiangzhi.livedata.models import ChangeRequest
from xiangzhi.livedata.tests.factories import NEW_PHONE, member
from xiangzhi.portal.services import resident_signed_in
from xiangzhi.registry.models import Household, Membership
from xiangzhi.registry.services.partial import resident_own_phone_set
from xiangzhi.registry.tests.factories import HouseholdFactory, ResidentFactory

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _fresh(obj):
    return type(obj).objects.unrestricted("test").get(pk=obj.pk)


@pytest.fixture
def household_a2(admin_user, group_a1):
    """李大 's household, also in village A: where 张小明 moved (he married in)."""
    h = cast(
        Household, HouseholdFactory(actor=admin_user, group=group_a1, number="A-002", address="玉峰村1组30号")
    )
    ResidentFactory(actor=admin_user, household=h, relationship="head", name="李大")
    h.refresh_from_db()
    return h


def _transfer(actor, household, about, **extra):
    return services.change_request_file(
        actor=actor,
        kind="transfer",
        household=household,
        resident=about,
        data={"where": "1组李大家", "relationship": "son_in_law"} | extra.pop("data", {}),
        **extra,
    )


# --- a move within the town -------------------------------------------------------------------------------------


def test_a_move_within_the_town_is_approved_into_the_household_the_cadre_chooses(
    resident, household_a, household_a2, alice
):
    ming = member(household_a, "张小明")
    request = _transfer(resident, household_a, ming)  # the head asks: no co-approval
    assert request.state == "pending" and request.target_household is None

    # the cadre finds the household by its head's name, in her own area
    client = _client(alice)
    page = client.get(f"/changes/{request.pk}/?q=李大").content.decode()
    assert "A-002" in page and 'name="target"' in page
    with pytest.raises(ValidationError) as exc:
        services.change_request_approve(actor=alice, request=request)
    assert "target" in exc.value.error_dict
    response = client.post(
        f"/changes/{request.pk}/",
        {"decision": "approve", "target": household_a2.pk, "relationship": "son_in_law"},
    )
    assert response.status_code == 302

    decided = _fresh(request)
    assert decided.state == "approved" and decided.target_household_id == household_a2.pk
    ming.refresh_from_db()
    assert ming.household_id == household_a2.pk
    joined = Membership.objects.unrestricted("test").get(resident=ming, ended_at__isnull=True)
    assert (joined.household_id, joined.relationship, joined.start_reason) == (
        household_a2.pk,
        "son_in_law",
        "moved",
    )
    assert AuditEntry.objects.filter(action="registry.resident.move", target_id=str(ming.pk)).exists()
    assert AuditEntry.objects.filter(action="livedata.request.approve", target_id=str(request.pk)).exists()
    # the staff page names where he went; the resident's page never names another household
    assert "A-002" in client.get(f"/changes/{request.pk}/").content.decode()
    mine = _client(resident).get(f"/r/requests/{request.pk}/").content.decode()
    assert "A-002" not in mine and "李大" not in mine.replace("1组李大家", "")


def test_the_resident_files_a_move_on_their_page_naming_no_household(resident, household_a):
    client = _client(resident)
    form = client.get("/r/requests/new/?kind=transfer").content.decode()
    assert 'name="where"' in form and 'name="target"' not in form
    ming = member(household_a, "张小明")
    data = {"kind": "transfer", "resident": ming.pk, "where": "3组王五家", "relationship": "son"}
    preview = client.post("/r/requests/new/", data | {"step": "preview"}).content.decode()
    assert "3组王五家" in preview
    client.post("/r/requests/new/", data | {"step": "confirm"})
    assert ChangeRequest.objects.unrestricted("test").get().kind == "transfer"


def test_a_move_asked_by_another_member_waits_for_the_head(household_a, household_a2, resident, alice):
    wife = resident_signed_in(resident=member(household_a, "李四妹"))
    request = _transfer(wife, household_a, member(household_a, "张小明"))
    assert request.state == "awaiting_head"
    with pytest.raises(ValidationError):
        services.change_request_approve(
            actor=alice, request=request, target=household_a2, relationship="son_in_law"
        )
    services.change_request_head_decide(actor=resident, request=request, agree=True)
    services.change_request_approve(
        actor=alice, request=request, target=household_a2, relationship="son_in_law"
    )
    assert member(household_a2, "张小明").household_id == household_a2.pk


def test_a_move_is_rejected_and_nobody_moves(resident, household_a, alice):
    ming = member(household_a, "张小明")
    request = _transfer(resident, household_a, ming)
    response = _client(alice).post(f"/changes/{request.pk}/", {"decision": "reject", "reason": "查无此户。"})
    assert response.status_code == 302
    assert _fresh(request).state == "rejected"
    assert member(household_a, "张小明").household_id == household_a.pk


def test_the_cadre_chooses_only_among_households_of_her_area(
    resident, household_a, household_a2, household_b, alice, charlie, grid
):
    request = _transfer(resident, household_a, member(household_a, "张小明"))
    # village B's household is not offered, and not accepted when posted
    assert selectors.transfer_search(user=alice, query="赵四", exclude=household_a.pk) == []
    assert "B-001" not in _client(alice).get(f"/changes/{request.pk}/?q=B-0").content.decode()
    response = _client(alice).post(
        f"/changes/{request.pk}/", {"decision": "approve", "target": household_b.pk, "relationship": "son"}
    )
    assert response.status_code == 200
    with pytest.raises(ValidationError):
        services.change_request_approve(actor=alice, request=request, target=household_b, relationship="son")
    with pytest.raises(ValidationError):  # his own household is not a move
        services.change_request_approve(actor=alice, request=request, target=household_a, relationship="son")
    assert _fresh(request).state == "pending"
    # the grid worker may read the request but not decide it; village B's cadre does not see it at all
    assert 'name="target"' not in _client(grid).get(f"/changes/{request.pk}/?q=李").content.decode()
    assert _client(charlie).get(f"/changes/{request.pk}/?q=李").status_code == 404


def test_a_grid_worker_files_a_move_for_a_resident_without_a_phone(grid, household_a, household_a2, alice):
    mother = member(household_a, "王秀英")
    request = _transfer(grid, household_a, mother, asked_by=mother, data={"relationship": "mother"})
    # a proxy filing that records who asked; about herself, so it needs no head
    assert request.proxy and request.asked_by_id == mother.pk and request.state == "pending"
    services.change_request_approve(actor=alice, request=request, target=household_a2)  # relationship: hers
    joined = Membership.objects.unrestricted("test").get(resident=mother, ended_at__isnull=True)
    assert (joined.household_id, joined.relationship) == (household_a2.pk, "mother")


# --- a request whose record changed -----------------------------------------------------------------------------


def _phone_conflict(resident, household_a, alice):
    zhang = member(household_a, "张三")
    request = services.change_request_file(
        actor=resident, kind="phone", household=household_a, resident=zhang, data={"phone": NEW_PHONE}
    )
    resident_own_phone_set(
        actor=alice, resident=zhang, number="13700001234"
    )  # the village changed it meanwhile
    return zhang, request


def test_the_cadre_sees_on_record_now_beside_what_was_asked(resident, household_a, alice):
    _zhang, request = _phone_conflict(resident, household_a, alice)
    page = _client(alice).get(f"/changes/{request.pk}/").content.decode()
    assert "现在登记的" in page
    assert "138****5678" in page and "137****1234" in page and "135****7777" in page
    assert "13700001234" not in page and NEW_PHONE not in page
    assert 'name="over_current"' in page


def test_a_conflict_is_applied_only_when_the_cadre_confirms_it(resident, household_a, alice):
    zhang, request = _phone_conflict(resident, household_a, alice)
    client = _client(alice)

    # approving without the confirmation applies nothing
    assert client.post(f"/changes/{request.pk}/", {"decision": "approve"}).status_code == 200
    assert [p.number for p in zhang.phones.all()] == ["13700001234"]
    assert _fresh(request).state == "pending"
    assert services.change_request_approve(actor=alice, request=request).state == "conflict"
    with pytest.raises(ValidationError) as exc:
        services.change_request_approve(actor=alice, request=request)
    assert "over_current" in exc.value.error_dict

    # confirmed: applied over the newer number, audited as such with what was on record
    response = client.post(f"/changes/{request.pk}/", {"decision": "approve", "over_current": "on"})
    assert response.status_code == 302
    decided = _fresh(request)
    assert decided.state == "approved" and decided.over_current
    assert [p.number for p in zhang.phones.all()] == [NEW_PHONE]
    entry = AuditEntry.objects.get(action="livedata.request.approve_over")
    assert entry.after is not None
    assert "137****1234" in entry.after["on_record"] and "13700001234" not in str(entry.after)
    assert not AuditEntry.objects.filter(action="livedata.request.approve").exists()
    assert "已核对后覆盖" in client.get(f"/changes/{request.pk}/").content.decode()


def test_a_conflict_may_still_be_rejected(resident, household_a, alice):
    _zhang, request = _phone_conflict(resident, household_a, alice)
    services.change_request_approve(actor=alice, request=request)
    services.change_request_reject(actor=alice, request=request, reason="号码已由村里更新，请核对。")
    assert _fresh(request).state == "rejected"


def test_no_one_who_left_the_household_is_changed_over_the_record(resident, household_a, household_a2, alice):
    from xiangzhi.registry import services as registry

    ming = member(household_a, "张小明")
    request = services.change_request_file(
        actor=resident,
        kind="residence",
        household=household_a,
        resident=ming,
        data={"residence_status": "at_home"},
    )
    registry.resident_move(actor=alice, resident=ming, household=household_a2, relationship="son_in_law")
    page = _client(alice).get(f"/changes/{request.pk}/").content.decode()
    assert "只能驳回" in page and 'name="over_current"' not in page
    with pytest.raises(ValidationError) as exc:
        services.change_request_approve(actor=alice, request=request, over_current=True)
    assert "over_current" in exc.value.error_dict
    assert member(household_a2, "张小明").residence_status == "migrant"
