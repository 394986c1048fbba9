"""Change requests: every state path (approve, reject, partial, conflict, head co-approval, proxy filing), scope,
document photos (access and deletion), masked output and the outcome the resident sees."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from xiangzhi.core.exceptions import NotInScope
from xiangzhi.core.models import AuditEntry
from xiangzhi.livedata import services
from xiangzhi.livedata.models import ChangeRequest
from xiangzhi.livedata.tasks import change_photos_purge
from xiangzhi.livedata.tests.factories import NEW_ID, NEW_PHONE, member, photo
from xiangzhi.messaging.models import Message
from xiangzhi.portal.services import resident_signed_in
from xiangzhi.registry.models import Resident
from xiangzhi.registry.tests.factories import make_id
from xiangzhi.tests.helpers import run_tasks

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _file(actor, household, kind, about=None, **data):
    photo_file = data.pop("photo", None)
    asked_by = data.pop("asked_by", None)
    return services.change_request_file(
        actor=actor,
        kind=kind,
        household=household,
        resident=about,
        asked_by=asked_by,
        data=data,
        photo=photo_file,
    )


def _fresh(obj):
    return type(obj).objects.unrestricted("test").get(pk=obj.pk)


def _messages(kind="livedata.decided"):
    return list(Message.objects.unrestricted("test").filter(kind=kind).order_by("id"))


# --- approve, reject --------------------------------------------------------------------------------------------


def test_a_resident_changes_their_phone_and_a_cadre_approves_it(resident, household_a, alice):
    zhang = member(household_a, "张三")
    request = _file(resident, household_a, "phone", zhang, phone=NEW_PHONE)
    assert request.state == "pending"  # about himself: no co-approval
    assert NEW_PHONE not in str(request.payload) and request.before == {"phone": "138****5678"}

    decided = services.change_request_approve(actor=alice, request=request)

    assert decided.state == "approved" and decided.decided_by == alice
    assert [p.number for p in zhang.phones.all()] == [NEW_PHONE]
    assert AuditEntry.objects.filter(action="registry.resident.update", target_id=str(zhang.pk)).exists()
    # the resident is told: in the app, and by text to his own phone (now the new one)
    assert [m.channel for m in _messages()] == ["in_app", "sms"]
    assert _messages()[1].phone == NEW_PHONE


def test_a_rejection_needs_a_reason_and_the_resident_reads_it(resident, household_a, alice):
    request = _file(resident, household_a, "phone", member(household_a, "张三"), phone=NEW_PHONE)
    with pytest.raises(ValidationError):
        services.change_request_reject(actor=alice, request=request, reason=" ")
    with pytest.raises(ValidationError):
        services.change_request_reject(actor=alice, request=request, reason="号码 13812345678 不对")
    services.change_request_reject(actor=alice, request=request, reason="请到村委会当面核实。")
    assert _fresh(request).state == "rejected"
    assert [p.number for p in member(household_a, "张三").phones.all()] == ["13812345678"]
    page = _client(resident).get(f"/r/requests/{request.pk}/").content.decode()
    assert "请到村委会当面核实。" in page
    assert "您的“换了手机号”申请：未批准" in _client(resident).get("/r/home/").content.decode()
    with pytest.raises(ValidationError):  # decided once
        services.change_request_approve(actor=alice, request=request)


def test_residence_status_working_away_with_where(resident, household_a, alice):
    wife = member(household_a, "李四妹")
    request = _file(resident, household_a, "residence", wife, residence_status="migrant", where="重庆")
    services.change_request_approve(actor=alice, request=request)
    wife.refresh_from_db()
    assert wife.residence_status == "migrant" and "重庆" in wife.notes


def test_moving_away_ends_the_membership(resident, household_a, alice):
    son = member(household_a, "张小明")
    request = _file(resident, household_a, "residence", son, residence_status="moved_out", where="成都")
    services.change_request_approve(actor=alice, request=request)
    son.refresh_from_db()
    assert son.residence_status == "moved_out"
    assert son.memberships.get().ended_at is not None


def test_a_newborn_and_a_death(resident, household_a, alice):
    born = timezone.localdate() - datetime.timedelta(days=20)
    newborn = _file(
        resident,
        household_a,
        "newborn",
        None,
        name="张小宝",
        sex="M",
        birth_date=born.isoformat(),
        relationship="grandson",
    )
    services.change_request_approve(actor=alice, request=newborn)
    baby = Resident.objects.unrestricted("test").get(name="张小宝")
    assert baby.household_id == household_a.pk and baby.birth_date == born and baby.id_status == "none"

    mother = member(household_a, "王秀英")
    death = _file(resident, household_a, "death", mother, died_on=timezone.localdate().isoformat())
    services.change_request_approve(actor=alice, request=death)
    mother.refresh_from_db()
    assert mother.residence_status == "deceased"


def test_a_new_address_approved_in_part(resident, household_a, alice):
    request = _file(resident, household_a, "address", None, address="玉峰村1组15号", house_number="15号")
    assert request.state == "pending"  # the head asked
    assert services.parts(request) == ["address", "house_number"]
    services.change_request_approve(actor=alice, request=request, approved=["address"])
    household_a.refresh_from_db()
    assert (household_a.address, household_a.house_number) == ("玉峰村1组15号", "12号")
    assert _fresh(request).state == "partly"


def test_an_address_change_asked_by_a_member_waits_for_the_head(household_a):
    wife_user = resident_signed_in(resident=member(household_a, "李四妹"))
    assert _file(wife_user, household_a, "address", None, address="玉峰村1组15号").state == "awaiting_head"


def test_a_marriage_into_the_household(resident, household_a, alice, grid):
    bride_id = make_id(datetime.date(1998, 4, 4), "F", 7)
    request = _file(
        resident,
        household_a,
        "marriage",
        None,
        name="陈小芳",
        relationship="daughter_in_law",
        id_number=bride_id,
        photo=photo(),
    )
    assert bride_id not in str(request.payload) and request.photo
    services.change_request_approve(actor=alice, request=request)
    bride = Resident.objects.unrestricted("test").get(name="陈小芳")
    assert bride.household_id == household_a.pk and bride.id_number == bride_id and bride.sex == "F"
    with pytest.raises(ValidationError):  # a grid worker may not enter the ID number it needs
        _file(
            grid,
            household_a,
            "marriage",
            None,
            name="某某",
            relationship="spouse",
            asked_by=member(household_a, "张三"),
        )


def test_bad_input_names_the_field_and_writes_nothing(resident, household_a):
    zhang = member(household_a, "张三")
    for kind, about, data, field in [
        ("phone", zhang, {"phone": "12345"}, "phone"),
        ("phone", zhang, {"phone": "13812345678"}, "phone"),  # already on record
        ("residence", zhang, {"residence_status": "migrant"}, "where"),
        (
            "newborn",
            None,
            {"name": "宝宝", "sex": "M", "birth_date": "2999-01-01", "relationship": "son"},
            "birth_date",
        ),
        ("correction", zhang, {"id_number": "500111197003050011"}, "id_number"),  # wrong check character
        ("correction", zhang, {"name": "张叁"}, "photo"),
    ]:
        with pytest.raises(ValidationError) as exc:
            _file(resident, household_a, kind, about, **data)
        assert field in exc.value.error_dict, (kind, data)
    assert not ChangeRequest.objects.unrestricted("test").exists()


# --- head co-approval -------------------------------------------------------------------------------------------


def test_a_request_about_another_member_waits_for_the_head(household_a, resident, alice):
    wife = member(household_a, "李四妹")
    wife_user = resident_signed_in(resident=wife)
    request = _file(
        wife_user, household_a, "residence", member(household_a, "张小明"), residence_status="at_home"
    )
    assert request.state == "awaiting_head"
    # the head is told in the app and sees it on his page
    assert (
        Message.objects.unrestricted("test")
        .filter(kind="livedata.awaiting_head", recipient=resident)
        .exists()
    )
    # and by text to his own phone, so a head who never signed in learns of it too
    texts = Message.objects.unrestricted("test").filter(kind="livedata.awaiting_head", channel="sms")
    assert [m.phone for m in texts] == ["13812345678"]
    assert "1" in _client(resident).get("/r/home/").content.decode()
    with pytest.raises(ValidationError):  # not for the village yet
        services.change_request_approve(actor=alice, request=request)
    with pytest.raises(NotInScope):  # only the head co-approves
        services.change_request_head_decide(actor=wife_user, request=request, agree=True)

    response = _client(resident).post(f"/r/requests/{request.pk}/", {"decision": "approve"})
    assert response.status_code == 302
    assert _fresh(request).state == "pending" and _fresh(request).head_approved_by == resident
    services.change_request_approve(actor=alice, request=request)
    assert _fresh(request).state == "approved"
    # the wife, who asked, hears of it
    assert [m.recipient for m in _messages() if m.channel == "in_app"] == [wife_user]


def test_the_head_may_decline(household_a, resident):
    wife_user = resident_signed_in(resident=member(household_a, "李四妹"))
    request = _file(wife_user, household_a, "death", member(household_a, "王秀英"), died_on="2024-01-01")
    services.change_request_head_decide(actor=resident, request=request, agree=False)
    assert _fresh(request).state == "rejected"
    assert member(household_a, "王秀英").residence_status == "at_home"


def test_about_oneself_needs_no_head(household_a):
    wife_user = resident_signed_in(resident=member(household_a, "李四妹"))
    request = _file(wife_user, household_a, "phone", member(household_a, "李四妹"), phone=NEW_PHONE)
    assert request.state == "pending"


# --- partial approval and conflicts -----------------------------------------------------------------------------


def test_a_correction_approved_in_part(resident, household_a, alice):
    zhang = member(household_a, "张三")
    request = _file(resident, household_a, "correction", zhang, name="张叁", id_number=NEW_ID, photo=photo())
    assert services.parts(request) == ["name", "id_number"]
    assert NEW_ID not in str(request.payload)

    services.change_request_approve(actor=alice, request=request, approved=["name"])

    request = _fresh(request)
    assert request.state == "partly" and request.approved_fields == ["name"]
    zhang.refresh_from_db()
    assert zhang.name == "张叁" and zhang.id_number != NEW_ID


def test_a_whole_correction_changes_the_id_number(resident, household_a, alice):
    zhang = member(household_a, "张三")
    request = _file(resident, household_a, "correction", zhang, id_number=NEW_ID, photo=photo())
    services.change_request_approve(actor=alice, request=request)
    zhang.refresh_from_db()
    assert zhang.id_number == NEW_ID


def test_a_request_whose_record_changed_is_a_conflict_never_applied(resident, household_a, alice):
    from xiangzhi.registry.services.partial import resident_own_phone_set

    zhang = member(household_a, "张三")
    request = _file(resident, household_a, "phone", zhang, phone=NEW_PHONE)
    resident_own_phone_set(actor=alice, resident=zhang, number="13700001234")  # changed meanwhile
    page = _client(alice).get(f"/changes/{request.pk}/").content.decode()
    assert 'role="alert"' in page

    decided = services.change_request_approve(actor=alice, request=request)

    assert decided.state == "conflict"
    assert [p.number for p in zhang.phones.all()] == ["13700001234"]  # not overwritten
    assert AuditEntry.objects.filter(action="livedata.request.conflict").exists()
    with pytest.raises(ValidationError):
        services.change_request_approve(actor=alice, request=request)
    services.change_request_reject(actor=alice, request=request, reason="号码已由村里更新，请核对。")
    assert _fresh(request).state == "rejected"


def test_the_review_page_approves_in_part_and_rejects(resident, household_a, alice):
    zhang = member(household_a, "张三")
    request = _file(resident, household_a, "correction", zhang, name="张叁", id_number=NEW_ID, photo=photo())
    client = _client(alice)
    assert client.post(f"/changes/{request.pk}/", {"decision": "reject"}).status_code == 200  # no reason
    assert _fresh(request).state == "pending"
    assert (
        client.post(f"/changes/{request.pk}/", {"decision": "approve", "part": ["id_number"]}).status_code
        == 302
    )
    assert _fresh(request).state == "partly"
    assert member(household_a, "张三").name == "张三"


# --- proxy filing -----------------------------------------------------------------------------------------------


def test_a_grid_worker_files_for_a_resident_without_a_phone(grid, household_a, alice):
    mother = member(household_a, "王秀英")
    request = _file(
        grid, household_a, "residence", mother, residence_status="migrant", where="女儿家", asked_by=mother
    )
    assert request.proxy and request.filed_by == grid and request.asked_by == mother
    assert request.state == "pending"  # about herself
    son = member(household_a, "张小明")
    about_son = _file(grid, household_a, "residence", son, residence_status="at_home", asked_by=mother)
    assert about_son.state == "awaiting_head"  # about another member: the head agrees first
    with pytest.raises(ValidationError):  # who asked is required
        _file(grid, household_a, "phone", mother, phone=NEW_PHONE)
    with pytest.raises(ValidationError):  # a grid worker may not enter ID numbers
        _file(grid, household_a, "correction", mother, id_number=NEW_ID, photo=photo(), asked_by=mother)


def test_proxy_filing_through_the_page(alice, household_a):
    zhang = member(household_a, "张三")
    client = _client(alice)
    data = {"kind": "phone", "asked_by": zhang.pk, "resident": zhang.pk, "phone": NEW_PHONE}
    preview = client.post(f"/changes/file/{household_a.pk}/", {**data, "step": "preview"}).content.decode()
    assert (
        "138****5678" in preview
        and "135****7777" in preview
        and NEW_PHONE not in preview.replace(f'value="{NEW_PHONE}"', "")
    )
    assert not ChangeRequest.objects.unrestricted("test").exists()  # nothing sent before the confirmation
    response = client.post(f"/changes/file/{household_a.pk}/", {**data, "step": "confirm"})
    assert response.status_code == 302
    request = ChangeRequest.objects.unrestricted("test").get()
    assert request.proxy and request.asked_by == zhang and request.state == "pending"


# --- scope ------------------------------------------------------------------------------------------------------


def test_a_resident_cannot_file_for_another_household(resident, household_a, household_b):
    other = household_b.head
    with pytest.raises(NotInScope):
        _file(resident, household_b, "phone", other, phone=NEW_PHONE)
    with pytest.raises(NotInScope):  # nor about a member of another household in their own
        _file(resident, household_a, "phone", other, phone=NEW_PHONE)


def test_a_resident_reads_only_their_own_households_requests(resident, household_a, household_b, admin_user):
    other = resident_signed_in(resident=household_b.head)
    request = _file(other, household_b, "phone", household_b.head, phone=NEW_PHONE)
    client = _client(resident)
    assert client.get(f"/r/requests/{request.pk}/").status_code == 404
    assert client.get(f"/r/requests/{request.pk}/photo/").status_code == 404


def test_a_cadre_of_another_village_sees_nothing(resident, household_a, charlie, alice):
    request = _file(resident, household_a, "phone", member(household_a, "张三"), phone=NEW_PHONE)
    client = _client(charlie)
    assert "张三" not in client.get("/changes/?state=all").content.decode()
    assert client.get(f"/changes/{request.pk}/").status_code == 404
    assert client.post(f"/changes/{request.pk}/", {"decision": "approve"}).status_code == 404
    assert client.get(f"/changes/file/{household_a.pk}/").status_code == 404
    with pytest.raises(NotInScope):
        services.change_request_approve(actor=charlie, request=request)
    assert "张三" in _client(alice).get("/changes/").content.decode()


def test_the_queue_reads_a_fixed_number_of_queries(
    resident, household_a, alice, django_assert_max_num_queries
):
    for number in ("13566667777", "13566667778", "13566667779"):
        _file(resident, household_a, "phone", member(household_a, "张三"), phone=number)
    client = _client(alice)
    with django_assert_max_num_queries(12):
        assert client.get("/changes/").status_code == 200


# --- document photos --------------------------------------------------------------------------------------------


def test_the_photo_is_served_only_to_who_may_see_it(resident, household_a, alice, grid, charlie):
    request = _file(
        resident, household_a, "correction", member(household_a, "张三"), name="张叁", photo=photo()
    )
    assert request.photo.name.startswith("changes/") and "张" not in request.photo.name
    # stored re-encoded as a JPEG, whatever was sent (core.files.photo_clean)
    assert _client(alice).get(f"/changes/{request.pk}/photo/")["Content-Type"] == "image/jpeg"
    assert _client(resident).get(f"/r/requests/{request.pk}/photo/").status_code == 200
    assert _client(grid).get(f"/changes/{request.pk}/photo/").status_code == 404
    assert _client(charlie).get(f"/changes/{request.pk}/photo/").status_code == 404


def test_only_a_real_jpeg_or_png_of_at_most_10_mb(resident, household_a):
    zhang = member(household_a, "张三")
    fake = SimpleUploadedFile("id.jpg", b"<?php echo 1; ?>", content_type="image/jpeg")
    gif = photo("GIF", "id.gif")
    big = SimpleUploadedFile("id.jpg", b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024), content_type="image/jpeg")
    for bad in (fake, gif, big):
        with pytest.raises(ValidationError) as exc:
            _file(resident, household_a, "correction", zhang, name="张叁", photo=bad)
        assert "photo" in exc.value.error_dict
    _file(resident, household_a, "correction", zhang, name="张叁", photo=photo("JPEG", "id.jpg"))


def test_photos_are_deleted_a_set_time_after_the_decision(
    resident, household_a, alice, settings, django_capture_on_commit_callbacks
):
    zhang = member(household_a, "张三")
    decided = _file(resident, household_a, "correction", zhang, name="张叁", photo=photo())
    waiting = _file(resident, household_a, "correction", zhang, id_number=NEW_ID, photo=photo())
    services.change_request_reject(actor=alice, request=decided, reason="照片看不清。")
    storage = ChangeRequest.photo.field.storage
    name = _fresh(decided).photo.name
    assert storage.exists(name)

    change_photos_purge.enqueue()
    with django_capture_on_commit_callbacks(execute=True):
        run_tasks()
    assert _fresh(decided).photo  # not yet: decided just now

    settings.XIANGZHI_CHANGE_PHOTO_RETENTION = datetime.timedelta(0)
    change_photos_purge.enqueue()
    with django_capture_on_commit_callbacks(execute=True):
        run_tasks()
    assert not _fresh(decided).photo and _fresh(decided).photo_deleted_at is not None
    assert not storage.exists(name)
    assert _fresh(waiting).photo  # an open request keeps its photo
    assert _client(alice).get(f"/changes/{decided.pk}/photo/").status_code == 404


# --- what the resident sees -------------------------------------------------------------------------------------


def test_the_resident_sees_before_and_after_masked_before_sending(resident, household_a):
    zhang = member(household_a, "张三")
    client = _client(resident)
    menu = client.get("/r/requests/new/").content.decode()
    assert "?kind=phone" in menu and "?kind=newborn" in menu
    data = {"kind": "phone", "resident": zhang.pk, "phone": NEW_PHONE}
    preview = client.post("/r/requests/new/", {**data, "step": "preview"}).content.decode()
    assert "138****5678" in preview and "135****7777" in preview
    assert not ChangeRequest.objects.unrestricted("test").exists()
    edit = client.post("/r/requests/new/", {**data, "step": "edit"})
    assert edit.status_code == 200
    sent = client.post("/r/requests/new/", {**data, "step": "confirm"})
    assert sent.status_code == 302
    request = ChangeRequest.objects.unrestricted("test").get()
    page = client.get(sent["Location"]).content.decode()
    assert "135****7777" in page and NEW_PHONE not in page
    assert request.get_state_display() in page


def test_a_correction_asks_for_the_photo_on_the_confirmation(resident, household_a):
    zhang = member(household_a, "张三")
    client = _client(resident)
    data = {"kind": "correction", "resident": zhang.pk, "name": "张叁", "id_number": ""}
    preview = client.post("/r/requests/new/", {**data, "step": "preview"}).content.decode()
    assert 'type="file"' in preview
    again = client.post("/r/requests/new/", {**data, "step": "confirm"})
    assert again.status_code == 200 and 'type="file"' in again.content.decode()
    sent = client.post("/r/requests/new/", {**data, "step": "confirm", "photo": photo()})
    assert sent.status_code == 302
    assert ChangeRequest.objects.unrestricted("test").get().photo


def test_a_resident_cannot_name_a_member_of_another_household_on_the_page(resident, household_a, household_b):
    data = {"kind": "phone", "resident": household_b.head.pk, "phone": NEW_PHONE, "step": "confirm"}
    assert (
        _client(resident).post("/r/requests/new/", data).status_code == 200
    )  # not a choice: the form says so
    assert not ChangeRequest.objects.unrestricted("test").exists()


def test_staff_find_the_household_to_file_for_by_its_number(alice, charlie, household_a, household_b):
    response = _client(alice).get("/changes/", {"household": "A-001"})
    assert response["Location"] == f"/changes/file/{household_a.pk}/"
    assert _client(alice).get("/changes/", {"household": "B-001"}).status_code == 200  # not in her village
    assert _client(charlie).get(f"/changes/file/{household_a.pk}/?kind=phone").status_code == 404


def test_an_id_number_already_registered_is_refused_when_applied_and_nothing_changes(
    resident, household_a, alice
):
    son_id = member(household_a, "张小明").id_number
    request = _file(
        resident,
        household_a,
        "marriage",
        None,
        name="陈小芳",
        relationship="daughter_in_law",
        id_number=son_id,
        photo=photo(),
    )
    with pytest.raises(ValidationError):
        services.change_request_approve(actor=alice, request=request)
    assert _fresh(request).state == "pending"
    assert not Resident.objects.unrestricted("test").filter(name="陈小芳").exists()
