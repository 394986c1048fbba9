"""Calling from the household card and recording what the call got (接通 / 未接 / 空号): the service, the page
(htmx), the API, scope, audit rows and retries; the call order of a resident's phones; an ID number grouped and
hidden again."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from xiangzhi.core.exceptions import NotInScope
from xiangzhi.core.idempotency import FORM_FIELD
from xiangzhi.core.models import AuditEntry
from xiangzhi.registry import selectors, services
from xiangzhi.registry.models import CallRecord, ContactPhone
from xiangzhi.registry.templatetags.registry_tags import call_order, id_grouped

pytestmark = pytest.mark.django_db

API = "/api/v1/registry"


@pytest.fixture
def head_phone(household_a) -> ContactPhone:
    return household_a.head.phones.get()


def _htmx(client, user):
    client.force_login(user)
    return client


# --- the service ---------------------------------------------------------------------------------------------


def test_a_call_is_recorded_with_its_audit_row(alice, head_phone):
    record = services.call_record(actor=alice, phone=head_phone, outcome="no_answer", note="下午再打")
    assert (record.resident, record.phone, record.caller) == (head_phone.resident, head_phone, alice)
    assert record.number_masked == "138****5678" and record.outcome == "no_answer"
    entry = AuditEntry.objects.get(action="registry.call.record")
    assert entry.actor == alice and entry.target_id == str(head_phone.resident_id)
    assert entry.after == {
        "phone": head_phone.pk,
        "number": "138****5678",
        "outcome": "no_answer",
        "note": "下午再打",
        "purpose": "",
    }


def test_a_retry_with_the_same_key_records_the_call_once(alice, head_phone):
    first = services.call_record(actor=alice, phone=head_phone, outcome="reached", key="k-1")
    again = services.call_record(actor=alice, phone=head_phone, outcome="reached", key="k-1")
    assert again.pk == first.pk
    assert CallRecord.objects.count() == 1
    assert AuditEntry.objects.filter(action="registry.call.record").count() == 1
    # another key is another call
    services.call_record(actor=alice, phone=head_phone, outcome="reached", key="k-2")
    assert CallRecord.objects.count() == 2


@pytest.mark.parametrize(
    ("outcome", "note", "field"),
    [
        ("", "", "outcome"),
        ("busy", "", "outcome"),
        ("reached", "儿子电话 13912345678", "note"),
        ("reached", "长" * 201, "note"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(alice, head_phone, outcome, note, field):
    with pytest.raises(ValidationError) as exc:
        services.call_record(actor=alice, phone=head_phone, outcome=outcome, note=note)
    assert field in exc.value.message_dict
    assert (
        not CallRecord.objects.exists()
        and not AuditEntry.objects.filter(action="registry.call.record").exists()
    )


def test_outside_the_callers_scope_is_refused(charlie, clerk, head_phone):
    for user in (charlie, clerk):  # a cadre of another village; a clerk, who may not call
        with pytest.raises(NotInScope):
            services.call_record(actor=user, phone=head_phone, outcome="reached")
    assert not CallRecord.objects.exists()


def test_the_latest_outcome_per_phone_and_per_resident(alice, grid, charlie, household_a):
    head = household_a.head
    phone = head.phones.get()
    services.call_record(actor=alice, phone=phone, outcome="no_answer")
    last = services.call_record(actor=grid, phone=phone, outcome="reached", purpose="warnings:dibao")
    assert selectors.latest_calls(user=alice, phones=[phone.pk]) == {phone.pk: last}
    assert selectors.latest_calls(user=alice, residents=[head.pk]) == {head.pk: last}
    # narrowed to one purpose (how a warning roster reads its own calls back)
    assert selectors.latest_calls(user=alice, residents=[head.pk], purpose="monitoring.roster:1") == {}
    # scoped: a cadre of another village reads nothing
    assert selectors.latest_calls(user=charlie, phones=[phone.pk]) == {}


def test_a_removed_phone_keeps_its_calls(alice, admin_user, household_a):
    from xiangzhi.registry.tests.helpers import update_resident

    head = household_a.head
    record = services.call_record(actor=alice, phone=head.phones.get(), outcome="wrong_number")
    update_resident(admin_user, head, phones=[services.PhoneInput(number="13600001111")])
    record.refresh_from_db()
    assert record.phone is None and record.number_masked == "138****5678" and record.resident == head


# --- the pages -----------------------------------------------------------------------------------------------


def test_tapping_call_shows_the_number_and_offers_the_outcome(client, alice, head_phone):
    c = _htmx(client, alice)
    response = c.post(
        reverse("registry:reveal_phone", args=[head_phone.pk]) + "?call=1", HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200 and "HX-Redirect" not in response
    assert "13812345678" in html and "data-dial" in html  # on screen, and handed to the dialer once
    for outcome in ("reached", "no_answer", "wrong_number"):
        assert f'value="{outcome}"' in html
    assert AuditEntry.objects.filter(action="registry.phone.call", actor=alice).count() == 1


def test_recording_from_the_page_shows_the_outcome_masked(client, alice, head_phone):
    c = _htmx(client, alice)
    url = reverse("registry:call_record", args=[head_phone.pk])
    data = {"outcome": "no_answer", "note": "", FORM_FIELD: "tok-1", "purpose": "warnings:dibao"}
    response = c.post(url, data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "138****5678" in html and "13812345678" not in html
    assert 'class="call-last outcome-no_answer"' in html
    # the same form sent twice (a double tap, a retry after a lost answer): one call
    c.post(url, data, HTTP_HX_REQUEST="true")
    assert CallRecord.objects.get().purpose == "warnings:dibao"


def test_a_bad_outcome_form_says_why_without_the_number(client, alice, head_phone):
    c = _htmx(client, alice)
    response = c.post(
        reverse("registry:call_record", args=[head_phone.pk]), {"outcome": "x"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 400 and 'role="alert"' in html
    assert "13812345678" not in html and not CallRecord.objects.exists()


def test_a_purpose_that_is_not_a_key_is_dropped(client, alice, head_phone):
    c = _htmx(client, alice)
    c.post(
        reverse("registry:call_record", args=[head_phone.pk]),
        {"outcome": "reached", "purpose": "<b>13812345678</b>"},
        HTTP_HX_REQUEST="true",
    )
    assert CallRecord.objects.get().purpose == ""


def test_out_of_scope_pages_are_404(client, charlie, head_phone):
    c = _htmx(client, charlie)
    assert (
        c.post(reverse("registry:call_record", args=[head_phone.pk]), {"outcome": "reached"}).status_code
        == 404
    )
    assert c.post(f"{API}/phones/{head_phone.pk}/calls/", {"outcome": "reached"}).status_code == 404
    assert not CallRecord.objects.exists()


def test_the_card_shows_the_last_outcome_and_the_call_order(client, alice, household_a, head_phone):
    services.call_record(actor=alice, phone=head_phone, outcome="no_answer")
    client.force_login(alice)
    html = client.get(reverse("registry:household", args=[household_a.pk])).content.decode()
    today = timezone.localdate()
    assert f"{today:%m-%d} 未接" in html
    assert "第一联系人" in html and "优先级" not in html


def test_who_may_not_call_sees_no_call_button_and_no_outcome(client, clerk, alice, household_a, head_phone):
    services.call_record(actor=alice, phone=head_phone, outcome="no_answer")
    client.force_login(clerk)
    html = client.get(reverse("registry:household", args=[household_a.pk])).content.decode()
    assert "138****5678" in html
    assert reverse("registry:reveal_phone", args=[head_phone.pk]) not in html
    assert "outcome-no_answer" not in html


# --- the API -------------------------------------------------------------------------------------------------


def test_the_api_records_a_call_once_per_idempotency_key(client, grid, head_phone):
    client.force_login(grid)
    url = f"{API}/phones/{head_phone.pk}/calls/"
    body = {"outcome": "reached", "note": "已通知", "purpose": "monitoring.roster:7"}
    first = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="abc")
    assert first.status_code == 201
    assert first.json() | {"id": 0, "called_at": ""} == {
        "id": 0,
        "phone": head_phone.pk,
        "resident": head_phone.resident_id,
        "number": "138****5678",
        "caller": "grid",
        "called_at": "",
        "outcome": "reached",
        "outcome_label": "接通",
        "note": "已通知",
        "purpose": "monitoring.roster:7",
    }
    again = client.post(url, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="abc")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert CallRecord.objects.count() == 1


def test_the_api_refuses_a_bad_outcome(client, grid, head_phone):
    client.force_login(grid)
    response = client.post(
        f"{API}/phones/{head_phone.pk}/calls/", {"outcome": "busy"}, content_type="application/json"
    )
    assert response.status_code == 400 and "outcome" in response.json()


# --- the call order ------------------------------------------------------------------------------------------


def test_two_phones_cannot_both_come_first(household_a):
    phone = household_a.head.phones.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactPhone.objects.create(
            town=phone.town, resident=phone.resident, number="13600001111", blind="x", priority=1
        )


def test_the_service_numbers_the_call_order(admin_user, household_a):
    from xiangzhi.registry.tests.helpers import update_resident

    head = household_a.head
    # given two phones both said to come first (the API takes any priority from 1 to 9), and one third
    update_resident(
        admin_user,
        head,
        phones=[
            services.PhoneInput(number="13812345678", priority=1),
            services.PhoneInput(number="13600001111", priority=1),
            services.PhoneInput(number="13700002222", priority=5),
        ],
    )
    assert list(head.phones.order_by("priority").values_list("number", "priority")) == [
        ("13812345678", 1),
        ("13600001111", 2),
        ("13700002222", 3),
    ]
    kept = {p.number: p.pk for p in head.phones.all()}
    # when the order is turned round, the rows are kept (their calls and reveals still point at them)
    update_resident(
        admin_user,
        head,
        phones=[
            services.PhoneInput(number="13700002222", priority=1),
            services.PhoneInput(number="13812345678", priority=2),
            services.PhoneInput(number="13600001111", priority=3),
        ],
    )
    assert [(p.number, p.priority, p.pk) for p in head.phones.order_by("priority")] == [
        ("13700002222", 1, kept["13700002222"]),
        ("13812345678", 2, kept["13812345678"]),
        ("13600001111", 3, kept["13600001111"]),
    ]


def test_the_migration_numbers_existing_phones(household_a):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("xiangzhi.registry.migrations.0006_call_order_and_calls")
    head = household_a.head
    phone = head.phones.get()
    second = ContactPhone.objects.create(
        town=phone.town, resident=head, number="13600001111", blind="x", priority=7
    )
    ContactPhone.objects.filter(pk=second.pk).update(priority=9)
    migration.number_call_order(apps, None)
    assert list(head.phones.order_by("priority").values_list("pk", "priority")) == [
        (phone.pk, 1),
        (second.pk, 2),
    ]


def test_call_order_words():
    assert [call_order(i) for i in (1, 2, 3)] == ["第一联系人", "第二联系人", "第三联系人"]
    assert call_order(7) == "第 7 联系人"


def test_the_member_form_offers_an_order_not_a_number(client, alice, household_a):
    client.force_login(alice)
    html = client.get(reverse("registry:resident_edit", args=[household_a.head.pk])).content.decode()
    assert "第一联系人电话" in html and "第二联系人电话" in html
    assert 'name="priority' not in html


# --- an ID number shown and hidden ---------------------------------------------------------------------------


def test_a_revealed_id_is_grouped_and_can_be_hidden_again(client, alice, household_a):
    head = household_a.head
    client.force_login(alice)
    html = client.post(reverse("registry:reveal_id", args=[head.pk]), HTTP_HX_REQUEST="true").content.decode()
    n = head.id_number
    assert f"{n[:6]} {n[6:14]} {n[14:]}" in html
    # the hide button puts back the mask and the reveal button, from the page itself (no request)
    hidden = html.split("<template>", 1)[1]
    assert head.id_number_masked in hidden and n not in hidden.replace(" ", "")
    assert reverse("registry:reveal_id", args=[head.pk]) in hidden
    assert AuditEntry.objects.filter(action="registry.resident.reveal_id").count() == 1


def test_id_grouping():
    assert id_grouped("500111199403015412") == "500111 19940301 5412"
    assert id_grouped("500111940301541") == "500111 940301 541"
    assert id_grouped("") == "" and id_grouped(None) == ""
