"""Personal numbers: masked on every page and API answer, never in plain text at rest, revealed one at a time with
an audit row; the audit log is append-only; names are escaped.

What counts as a leak in a response body:
  * an ID number: 18 characters, 17 digits and a digit or X (`\\d{17}[\\dX]`), not inside a longer run of digits;
  * a mobile number: 11 digits starting 13–19 (`1[3-9]\\d{9}`), not inside a longer run of digits;
  * any of the fixtures' own ID or phone numbers, anywhere, even inside a longer run.
A run of digits longer than 18 (or than 11) is not an ID (or a phone) number, so the generic patterns are
anchored on non-digits; the exact fixture values are searched without anchors, so nothing slips through that way.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import resolve, reverse

from xiangzhi.core.models import AppendOnlyError, AuditEntry
from xiangzhi.registry import services
from xiangzhi.tests.access import Scan, collect_in_scope, collect_table, hooks

pytestmark = pytest.mark.django_db

API = "/api/v1/registry"
ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
SCRIPT = "<script>alert(1)</script>"


def _secrets() -> set[str]:
    """Every ID and phone number on record, in full: each app's `personal_numbers()` (tests/access.py)."""
    found: set[str] = set()
    for personal_numbers in hooks("personal_numbers"):
        found |= personal_numbers()
    assert found
    return found


def _leaks(text: str, secrets: set[str]) -> list[str]:
    found = ID_NUMBER.findall(text) + MOBILE.findall(text)
    return found + sorted(s for s in secrets if s in text)


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8-sig")
    return response.content.decode("utf-8-sig")


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


# --- a) every page and API answer a user reaches is masked ------------------------------------------------------

# What is scanned comes from each app's tests/access.py (`scanned_urls`): pages and API answers about the
# in-scope objects (household A-001 and its members, village A, group A1, …) and searches.
# The project's own answers (config/urls.py) are scanned too.
TABLE = collect_table()
PROJECT_SCANS = [Scan("/api/schema/"), Scan("/api/docs/")]


def _scans(objects) -> list[Scan]:
    return [scan for scanned_urls in hooks("scanned_urls") for scan in scanned_urls(objects)] + PROJECT_SCANS


def _status_allowed(url: str, role: str, status: int) -> bool:
    """200, or the 404 the authorization table gives the role for that URL (it has no such page)."""
    name = resolve(urlsplit(url).path).view_name
    return status == 200 or (status == 404 and name in TABLE and TABLE[name].get[role] == 404)


@pytest.mark.parametrize("role", ["cadre", "admin", "grid", "duty", "clerk", "resident"])
def test_every_page_and_api_answer_is_masked(role, users, household_a, household_b, request):
    # given a user of the role and the registry with household A-001 (and B-001 for the town-wide roles)
    client = _client(users[role] if role in users else request.getfixturevalue(role))
    secrets = _secrets()
    objects = collect_in_scope(request)
    scanned = {}

    # when every page and API answer the user may reach is rendered
    for scan in _scans(objects):
        headers = {"HX-Request": "true"} if scan.htmx else None
        response = client.get(scan.url, follow=scan.follow, headers=headers)
        assert _status_allowed(scan.url, role, response.status_code), (scan.url, response.status_code)
        if response.status_code == 404:
            # alice, a cadre, reaches every page but the administrator's
            assert role != "cadre" or TABLE[resolve(urlsplit(scan.url).path).view_name].get["cadre"] == 404, (
                scan.url
            )
            continue
        scanned[scan.key] = _body(response)

    # then no body holds an ID or phone number in full
    assert len(scanned) > (3 if role == "resident" else 60)
    leaks = {url: found for url, body in scanned.items() if (found := _leaks(body, secrets))}
    assert leaks == {}

    # and each app's masked answers show what they should (e.g. the registry's card: 138****5678)
    for check_scan in hooks("check_scan"):
        check_scan(scanned, role=role, client=client, objects=objects)


def test_no_masked_id_at_all_for_who_may_not_see_ids(users, household_a):
    """Belt and braces for the shop clerk, duty officer and grid worker: every member's masked ID is absent."""
    masked = {r.id_number_masked for r in household_a.residents.all()}
    for role in ("grid", "duty", "clerk"):
        client = _client(users[role])
        for url in (
            reverse("registry:household", args=[household_a.pk]),
            f"{API}/households/{household_a.pk}/",
            f"{API}/residents/",
        ):
            body = _body(client.get(url))
            assert not [m for m in masked if m in body], (role, url)


# --- b) nothing in plain text at rest ----------------------------------------------------------------------------


def _rows_of_every_table():
    """Every row of every table in the database: the registry, core and accounts apps and all the others
    (sessions, tokens, axes, …), as the database stores them (ciphertext, JSON text, bytes)."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                yield table, row


def _text(value) -> str:
    if isinstance(value, memoryview | bytes | bytearray):
        return bytes(value).decode("latin-1")
    return str(value)


def _use_the_registry(users, household_a) -> None:
    """Edits, reveals (pages and API, with idempotency keys), searches, an export, a refused duplicate, a resident
    moved and one ended: what leaves traces in the audit log, the idempotency records and the sessions."""
    alice = _client(users["cadre"])
    head = household_a.head
    phone = head.phones.get()
    alice.post(reverse("registry:reveal_id", args=[head.pk]))
    alice.post(reverse("registry:reveal_phone", args=[phone.pk]))
    for i, url in enumerate([f"{API}/residents/{head.pk}/reveal-id/", f"{API}/phones/{phone.pk}/reveal/"]):
        assert alice.post(url, HTTP_IDEMPOTENCY_KEY=f"reveal-{i}").status_code == 200
    alice.put(
        f"{API}/residents/{head.pk}/",
        {
            "name": "张三",
            "sex": "M",
            "residence_status": "at_home",
            "phones": [{"number": "13812345678"}, {"number": "13700001234", "priority": 2}],
        },
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="update-1",
    )
    alice.post(
        f"{API}/households/{household_a.pk}/members/",
        {"name": "重复", "relationship": "son", "start_reason": "registered", "id_number": head.id_number},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="dup-1",
    )
    alice.post(
        reverse("registry:resident_add", args=[household_a.pk]),
        {
            "name": "重复",
            "relationship": "son",
            "start_reason": "registered",
            "id_number": head.id_number,
            "residence_status": "at_home",
        },
    )
    alice.get(reverse("registry:search"), {"q": "13812345678"})
    alice.get(f"{API}/search/", {"q": head.id_number})
    alice.get(reverse("registry:household_export"))
    # an export URL carrying a phone number (typed or pasted by hand): the audit row records the filters applied
    alice.get(reverse("registry:household_export"), {"village": household_a.village_id, "q": "13812345678"})
    son = household_a.residents.get(name="张小明")
    alice.post(f"{API}/residents/{son.pk}/end/", {"reason": "moved_out"}, content_type="application/json")


def test_the_raw_tables_hold_no_id_or_phone_number(users, household_a, household_b):
    # given a registry that has been used: edits, reveals, searches, an export, a refused duplicate, …
    _use_the_registry(users, household_a)
    secrets = _secrets()
    assert "13700001234" in secrets

    # when every row of every table is read as stored
    hits = []
    tables = set()
    for table, row in _rows_of_every_table():
        tables.add(table)
        for value in row:
            text = _text(value)
            hits += [(table, s) for s in secrets if s in text]

    # then no ID or phone number is there in plain text: not in the registry, the audit JSON, the idempotency
    # records or the search keys
    assert {"registry_resident", "registry_contactphone", "core_auditentry", "registry_searchtoken"} <= tables
    assert {"core_idempotencyrecord", "accounts_user"} <= tables
    assert hits == []
    export = AuditEntry.objects.filter(action="registry.households.export").latest("pk")
    # the search text is now a filter of the household list: recorded, but a phone number in it is not kept
    assert export.after["filters"] == {"village": household_a.village_id, "q": "…"}


# --- c) a reveal is one field of one person, in full, logged -----------------------------------------------------


def _assert_logged(response, *, action, actor, resident, request_id):
    entry = AuditEntry.objects.latest("pk")
    assert entry.action == action
    assert entry.actor == actor and entry.actor_name == actor.username
    assert (entry.target_type, entry.target_id) == ("registry.resident", str(resident.pk))
    assert entry.ip_address == "127.0.0.1"
    assert entry.request_id == response["X-Request-ID"] != request_id
    assert entry.client_request_id == request_id
    return entry


@pytest.mark.parametrize("channel", ["page", "api"])
def test_a_reveal_returns_the_full_value_and_is_logged(channel, alice, household_a):
    client = _client(alice)
    head = household_a.head
    phone = head.phones.get()
    if channel == "page":
        id_url = reverse("registry:reveal_id", args=[head.pk])
        phone_url = reverse("registry:reveal_phone", args=[phone.pk])
    else:
        id_url = f"{API}/residents/{head.pk}/reveal-id/"
        phone_url = f"{API}/phones/{phone.pk}/reveal/"
    before = AuditEntry.objects.count()

    # when alice reveals the head's ID number, then his phone
    response = client.post(id_url, HTTP_HX_REQUEST="true", HTTP_X_REQUEST_ID=f"{channel}-id-1")
    assert response.status_code == 200
    assert head.id_number in _body(response)
    _assert_logged(
        response,
        action="registry.resident.reveal_id",
        actor=alice,
        resident=head,
        request_id=f"{channel}-id-1",
    )

    response = client.post(phone_url, HTTP_HX_REQUEST="true", HTTP_X_REQUEST_ID=f"{channel}-phone-1")
    assert response.status_code == 200
    assert "13812345678" in _body(response)
    entry = _assert_logged(
        response, action="registry.phone.reveal", actor=alice, resident=head, request_id=f"{channel}-phone-1"
    )
    assert entry.after == {
        "phone": phone.pk,
        "number": "138****5678",
        "holder": "self",
        "holder_name": "",
        "resident": head.pk,
    }

    # then exactly one row per reveal, and the rows hold no number in full
    assert AuditEntry.objects.count() == before + 2
    new = AuditEntry.objects.order_by("-pk")[:2]
    assert not [s for e in new for s in _secrets() if s in f"{e.before} {e.after} {e.target_repr}"]


def test_a_retried_api_reveal_is_a_new_reveal_and_nothing_is_kept(alice, household_a):
    """An Idempotency-Key on a reveal stores no answer to replay (it would keep the number in plain text): the
    retry reveals again and is logged again."""
    from xiangzhi.core.models import IdempotencyRecord

    head = household_a.head
    client = _client(alice)
    url = f"{API}/residents/{head.pk}/reveal-id/"
    first = client.post(url, HTTP_IDEMPOTENCY_KEY="same-key")
    again = client.post(url, HTTP_IDEMPOTENCY_KEY="same-key")
    assert first.json() == again.json() == {"value": head.id_number}
    assert not again.has_header("Idempotent-Replayed")
    assert AuditEntry.objects.filter(action="registry.resident.reveal_id", actor=alice).count() == 2
    assert not IdempotencyRecord.objects.filter(user=alice).exists()


def test_the_leak_detector_finds_what_it_should():
    secrets = {"500111197003050033", "13812345678"}
    assert _leaks("id 500111197003050033 and 13812345678", secrets)
    assert _leaks("<td>50011119700305003X</td><td>tel:15822223333</td>", set()) == [
        "50011119700305003X",
        "15822223333",
    ]
    # masked numbers, longer digit runs and dates are not leaks
    assert (
        _leaks("138****5678 500111********003X 2026-11-29 12345678901234567890 9223372036854775807", set())
        == []
    )


def test_tap_to_call_reveals_and_logs_then_dials(alice, household_a):
    phone = household_a.head.phones.get()
    response = _client(alice).post(
        reverse("registry:reveal_phone", args=[phone.pk]) + "?call=1", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and response["HX-Redirect"] == "tel:13812345678"
    # a call is logged as a call; the "show" button beside the number is logged as a look
    assert list(AuditEntry.objects.filter(actor=alice).values_list("action", flat=True)) == [
        "registry.phone.call"
    ]
    _client(alice).post(reverse("registry:reveal_phone", args=[phone.pk]), HTTP_HX_REQUEST="true")
    assert AuditEntry.objects.filter(action="registry.phone.reveal", actor=alice).count() == 1
    assert AuditEntry.objects.filter(action="registry.phone.call", actor=alice).count() == 1


@pytest.mark.parametrize(("role", "may_reveal_phone"), [("grid", True), ("duty", True), ("clerk", False)])
def test_who_may_not_reveal_gets_404_and_no_id_number(role, may_reveal_phone, users, household_a):
    user = users[role]
    client = _client(user)
    head = household_a.head
    phone = head.phones.get()

    # an ID number: never, on the page or over the API
    assert (
        client.post(reverse("registry:reveal_id", args=[head.pk]), HTTP_HX_REQUEST="true").status_code == 404
    )
    assert client.post(f"{API}/residents/{head.pk}/reveal-id/").status_code == 404
    assert not AuditEntry.objects.filter(actor=user).exists()

    # a phone number: the grid worker and the duty officer may (logged), the clerk may not
    page = client.post(reverse("registry:reveal_phone", args=[phone.pk]), HTTP_HX_REQUEST="true")
    over_api = client.post(f"{API}/phones/{phone.pk}/reveal/")
    if may_reveal_phone:
        assert page.status_code == over_api.status_code == 200
        assert over_api.json()["value"] == "13812345678"
        assert AuditEntry.objects.filter(actor=user, action="registry.phone.reveal").count() == 2
    else:
        assert page.status_code == over_api.status_code == 404
        assert not AuditEntry.objects.filter(actor=user).exists()

    # the API's resident payload carries no ID number at all
    detail = client.get(f"{API}/residents/{head.pk}/").json()
    assert "id_number" in detail and detail["id_number"] is None
    listing = client.get(f"{API}/residents/").json()["results"]
    assert listing and all(r["id_number"] is None for r in listing)
    card = client.get(f"{API}/households/{household_a.pk}/").json()
    assert all(m["resident"]["id_number"] is None for m in card["members"])

    # and a search by an ID fragment finds nothing for them (it does for the cadre)
    for q in (head.id_number, head.id_number[-4:]):
        assert not [h for h in client.get(f"{API}/search/", {"q": q}).json() if h["resident_id"] == head.pk]


def test_a_cadre_finds_a_resident_by_id_fragment(alice, household_a):
    head = household_a.head
    for q in (head.id_number, head.id_number[-4:]):
        hits = _client(alice).get(f"{API}/search/", {"q": q}).json()
        assert head.pk in {h["resident_id"] for h in hits}, q


# --- d) audit rows are append-only -------------------------------------------------------------------------------


@pytest.fixture
def audit_row(household_a):
    entry = AuditEntry.objects.filter(action="registry.household.create").get()
    return entry


def test_the_model_refuses_to_edit_or_delete_an_audit_row(audit_row):
    audit_row.action = "something.else"
    with pytest.raises(AppendOnlyError):
        audit_row.save()
    with pytest.raises(AppendOnlyError):
        audit_row.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=audit_row.pk).update(action="x")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=audit_row.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    # bulk_update runs in its own atomic block without a savepoint: a savepoint keeps the test's transaction
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AuditEntry.objects.bulk_update([audit_row], ["action"])
    audit_row.refresh_from_db()
    assert audit_row.action == "registry.household.create"


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_auditentry SET action = 'forged' WHERE id = %s",
        "UPDATE core_auditentry SET after = NULL WHERE id = %s",
        "DELETE FROM core_auditentry WHERE id = %s",
    ],
)
def test_the_database_refuses_raw_sql_on_audit_rows(audit_row, sql):
    # when raw SQL tries to change or remove the row, then the database trigger aborts the statement
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [audit_row.pk])
    # and the row is still there, unchanged; the test's transaction goes on
    assert AuditEntry.objects.filter(pk=audit_row.pk, action="registry.household.create").exists()
    assert AuditEntry.objects.get(pk=audit_row.pk).after == audit_row.after


def test_raw_sql_can_still_append(household_a):
    """The triggers stop UPDATE and DELETE only: appending works as it should."""
    count = AuditEntry.objects.count()
    AuditEntry.objects.create(action="test.append", actor_name="tester")
    assert AuditEntry.objects.count() == count + 1


# --- e) names are text, never markup -----------------------------------------------------------------------------


def test_a_name_with_markup_is_escaped_everywhere(users, household_a, auditor):
    # given a resident named like a script, reachable by a phone tail
    resident = services.resident_add(
        start_reason="registered",
        actor=users["admin"],
        household=household_a,
        relationship="son",
        name=SCRIPT,
        sex="M",
        no_id_reason="新生儿",
        phones=[services.PhoneInput(number="13700009999")],
    )
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    alice = _client(users["cadre"])
    search = reverse("registry:search")

    # when the card, the search results, the forms that name them and the audit log are rendered
    pages = {
        "card": alice.get(reverse("registry:household", args=[household_a.pk])),
        "search": alice.get(search, {"q": "9999"}),
        "search (htmx)": alice.get(search, {"q": "9999"}, HTTP_HX_REQUEST="true"),
        "edit": alice.get(reverse("registry:resident_edit", args=[resident.pk])),
        "change head": alice.get(reverse("registry:household_change_head", args=[household_a.pk])),
        "split": alice.get(reverse("registry:household_split", args=[household_a.pk])),
        "audit": _client(auditor).get(reverse("core:audit")),
    }

    # then the name is there as text, and the markup never is
    for label, response in pages.items():
        html = _body(response)
        assert response.status_code == 200, label
        assert escaped in html, label
        assert SCRIPT not in html, label
        assert "<script>alert" not in html, label
    # the API hands the name over as JSON data, unchanged
    data = alice.get(f"{API}/residents/{resident.pk}/").json()
    assert data["name"] == SCRIPT


def test_the_auditors_log_pages_and_api_show_no_number(users, household_a, household_b):
    # given the audit log of a registry that has been used
    _use_the_registry(users, household_a)
    secrets = _secrets()
    auditor = _client(users["auditor"])

    # when the auditor reads the log, filtered and not, on the page and over the API
    scanned = {}
    for url in (
        reverse("core:audit"),
        reverse("core:audit") + "?action=registry.resident.reveal_id",
        reverse("core:audit") + "?page=2",
        "/api/v1/audit/",
        "/api/v1/audit/?action=registry.resident.update",
    ):
        response = auditor.get(url)
        assert response.status_code in (200, 404), url
        scanned[url] = _body(response)
    for entry_id in AuditEntry.objects.values_list("pk", flat=True):
        scanned[f"/api/v1/audit/{entry_id}/"] = _body(auditor.get(f"/api/v1/audit/{entry_id}/"))

    # then the rows are there, and none holds an ID or phone number in full
    assert "registry.resident.update" in scanned[reverse("core:audit")]
    assert AuditEntry.objects.filter(action__contains=".reveal").count() >= 4
    leaks = {url: found for url, body in scanned.items() if (found := _leaks(body, secrets))}
    assert leaks == {}
