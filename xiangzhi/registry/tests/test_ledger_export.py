"""The ledger export (台账): the layout the import reads back, masking cell by cell, full numbers only with the
permission and a reason (audited with the count), formula neutralisation, scope."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from xiangzhi.core.exceptions import NotInScope
from xiangzhi.core.models import AuditEntry
from xiangzhi.core.spreadsheet import FORMULA_STARTS, neutralise, restore
from xiangzhi.registry import services
from xiangzhi.registry.ledger import export
from xiangzhi.registry.ledger.layout import COLUMNS
from xiangzhi.registry.models import ContactPhone, Resident
from xiangzhi.registry.tests.factories import ResidentFactory
from xiangzhi.registry.tests.helpers import update_resident

pytestmark = pytest.mark.django_db

URL = reverse("registry:ledger_export")
HEADERS = [c.header for c in COLUMNS]
COL = {c.key: i for i, c in enumerate(COLUMNS)}


def _workbook(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == export.XLSX_TYPE
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)


def _sheets(wb) -> dict[str, list[list]]:
    return {ws.title: [list(row) for row in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def _people(rows: list[list]) -> list[list]:
    """The rows under the header."""
    start = rows.index(HEADERS) + 1
    return rows[start:]


def _post(client, data=None, **area):
    query = "&".join(f"{k}={v}" for k, v in area.items())
    return client.post(f"{URL}?{query}" if query else URL, data or {"format": "xlsx"})


def test_workbook_is_the_ledger_layout_one_sheet_per_group_head_first(
    client, alice, household_a, household_b
):
    client.force_login(alice)  # the cadre of village A
    sheets = _sheets(_workbook(_post(client)))
    assert list(sheets) == ["1组"]  # one village: the group's own name; village B is not in it
    rows = sheets["1组"]
    today = f"{datetime.date.today():%Y-%m-%d}"
    assert rows[0][0] == f"{household_a.village.name}1组 村民台账 导出于 {today}"
    assert rows[1][0] == export.MASKED_NOTE
    assert rows[2] == HEADERS
    people = _people(rows)
    assert [p[COL["name"]] for p in people] == ["张三", "李四妹", "张小明", "王秀英"]
    assert [p[COL["relationship"]] for p in people] == ["户主", "配偶", "子", "母亲"]
    for p in people:  # the household on every row, the group column filled
        assert (p[COL["group"]], p[COL["household_number"]], p[COL["house_number"]]) == (
            "1组",
            "A-001",
            "12号",
        )
        assert p[COL["address"]] == "玉峰村1组12号"
    by_name = {p[COL["name"]]: p for p in people}
    assert by_name["张小明"][COL["residence_status"]] == "外出务工"
    assert by_name["张三"][COL["residence_status"]] == "在家"
    assert by_name["王秀英"][COL["flags"]] == "残疾(二级)"
    assert by_name["张三"][COL["sex"]] == "男" and by_name["李四妹"][COL["sex"]] == "女"
    assert by_name["张三"][COL["id_number"]] == household_a.head.id_number_masked


def test_town_workbook_names_each_sheet_by_village_and_group(client, admin_user, household_a, household_b):
    client.force_login(admin_user)
    sheets = _sheets(_workbook(_post(client)))
    assert set(sheets) == {f"{household_a.village.name}1组", f"{household_b.village.name}1组"}


def test_flags_are_written_as_cadres_write_them():
    assert export.flag_words("残疾", 2) == "残疾(二级)"
    assert export.flag_words("低保", None) == "低保"


def _all_cells(sheets) -> list[str]:
    return [str(cell) for rows in sheets.values() for row in rows for cell in row if cell is not None]


def _full_numbers() -> set[str]:
    ids = {r.id_number for r in Resident.objects.filter(id_number__isnull=False)}
    phones = {p.number for p in ContactPhone.objects.all()}
    return ids | {i[:17] for i in ids} | phones


def _assert_no_full_number(cells: list[str]) -> None:
    numbers = _full_numbers()
    for cell in cells:
        digits = re.sub(r"\D", "", cell)
        assert not any(n in cell or n in digits for n in numbers), cell


@pytest.mark.parametrize("role", ["admin_user", "alice", "grid"])
def test_masked_workbook_holds_no_full_number_and_no_birth_date_beside_an_id(
    request, client, role, household_a
):
    # given a member without an ID number: their birth date is no secret and is kept
    ResidentFactory(
        actor=request.getfixturevalue("admin_user"),
        household=household_a,
        relationship="grandson",
        name="张小宝",
        sex="M",
        birth_date=datetime.date(2020, 5, 6),
        id_number=None,
        no_id_reason="not yet issued",
    )
    client.force_login(request.getfixturevalue(role))
    sheets = _sheets(_workbook(_post(client)))
    cells = _all_cells(sheets)
    _assert_no_full_number(cells)  # every cell scanned
    people = [p for rows in sheets.values() for p in _people(rows)]
    with_id = {r.name for r in Resident.objects.filter(id_status="present")}
    for p in people:
        if p[COL["name"]] in with_id:
            assert p[COL["birth_date"]] is None  # the mask hides exactly this
            if role == "grid":  # who never sees ID numbers gets none, not even masked
                assert p[COL["id_number"]] is None
                assert export.NO_ID_NOTE in cells
            else:
                assert re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", p[COL["id_number"]])
        assert "****" in (p[COL["phones"]] or "****")
    baby = next(p for p in people if p[COL["name"]] == "张小宝")
    assert baby[COL["birth_date"]].date() == datetime.date(2020, 5, 6)
    mother = next(p for p in people if p[COL["name"]] == "王秀英")
    assert mother[COL["phones"]] == "158****3333"


def test_masked_csv_has_bom_header_group_on_every_row_and_no_full_number(client, alice, household_a):
    client.force_login(alice)
    response = _post(client, {"format": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == HEADERS
    assert [r[COL["name"]] for r in rows[1:]] == ["张三", "李四妹", "张小明", "王秀英"]
    assert {r[COL["group"]] for r in rows[1:]} == {"1组"}
    assert all(r[COL["birth_date"]] == "" for r in rows[1:])
    _assert_no_full_number([cell for row in rows for cell in row])
    entry = AuditEntry.objects.get(action="registry.ledger.export")
    assert entry.after["rows"] == 4 and entry.after["format"] == "csv"


def test_unmasked_needs_the_permission(client, alice, household_a):
    client.force_login(alice)
    page = client.get(URL).content.decode()
    assert 'name="unmasked"' not in page and 'name="reason"' not in page
    # a cadre who sends it anyway gets the masked file: the field is not theirs
    sheets = _sheets(_workbook(_post(client, {"format": "xlsx", "unmasked": "on", "reason": "x"})))
    _assert_no_full_number(_all_cells(sheets))
    assert not AuditEntry.objects.filter(action="registry.ledger.export_unmasked").exists()
    with pytest.raises(NotInScope):
        export.ledger_export(actor=alice, unmasked=True, reason="because")


def test_unmasked_needs_a_reason(client, admin_user, household_a):
    client.force_login(admin_user)
    response = _post(client, {"format": "xlsx", "unmasked": "on", "reason": "  "})
    assert response.status_code == 200
    assert "原因" in response.content.decode()
    assert not AuditEntry.objects.filter(action__startswith="registry.ledger.").exists()
    with pytest.raises(ValueError):
        export.ledger_export(actor=admin_user, unmasked=True, reason="")


def test_unmasked_export_has_full_numbers_and_is_audited_with_count_and_reason(
    client, admin_user, household_a, household_b
):
    client.force_login(admin_user)
    reason = "民政办2026年低保复核"
    sheets = _sheets(_workbook(_post(client, {"format": "xlsx", "unmasked": "on", "reason": reason})))
    people = {p[COL["name"]]: p for rows in sheets.values() for p in _people(rows)}
    head = household_a.head
    assert people["张三"][COL["id_number"]] == head.id_number
    assert people["张三"][COL["birth_date"]].date() == head.birth_date
    assert people["张三"][COL["phones"]] == "13812345678"
    assert export.MASKED_NOTE not in _all_cells(sheets)
    entry = AuditEntry.objects.get(action="registry.ledger.export_unmasked")
    assert entry.after["rows"] == 5 and entry.after["reason"] == reason
    assert entry.actor_name == admin_user.username


def test_two_phones_are_one_cell_in_call_order(client, admin_user, household_a):
    mother = household_a.residents.get(name="王秀英")
    update_resident(
        admin_user,
        mother,
        phones=[
            services.PhoneInput(number="15822223333", priority=1),
            services.PhoneInput(number="13500000001", priority=2),
        ],
    )
    client.force_login(admin_user)
    rows = export.ledger_rows(user=admin_user, unmasked=True)
    cells = {r.cells["name"]: r.cells for r in rows}
    assert cells["王秀英"]["phones"] == "15822223333、13500000001"


@given(st.text(max_size=20))
def test_neutralised_text_never_starts_a_formula_and_restores(text):
    written = neutralise(text)
    assert not written.startswith(FORMULA_STARTS)
    assert restore(written) == text
    if not text.startswith(FORMULA_STARTS):
        assert written == text


@given(st.sampled_from(FORMULA_STARTS), st.text(max_size=12))
def test_every_formula_start_is_neutralised(start, rest):
    assert neutralise(start + rest) == "'" + start + rest


def test_a_formula_in_a_name_is_text_in_the_workbook_and_the_csv(client, admin_user, household_a):
    ResidentFactory(
        actor=admin_user,
        household=household_a,
        relationship="other",
        name="=HYPERLINK(1)",
        sex="M",
        id_number=None,
        no_id_reason="x",
    )
    client.force_login(admin_user)
    response = _post(client)
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    named = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert [(c.value, c.data_type) for c in named] == [("'=HYPERLINK(1)", "s")]
    assert not any(c.data_type == "f" for c in cells)
    body = b"".join(_post(client, {"format": "csv"}).streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in body
    # the older exports share the one neutraliser
    roster = client.get(reverse("registry:resident_export")).content.decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in roster


def test_out_of_scope_area_is_404_and_grid_worker_gets_their_groups(
    client, charlie, grid, household_a, household_b, group_a2, admin_user
):
    client.force_login(charlie)  # cadre of village B
    assert client.get(URL, {"village": household_a.village_id}).status_code == 404
    assert _post(client, village=household_a.village_id).status_code == 404
    assert client.get(URL, {"group": household_a.group_id}).status_code == 404
    client.force_login(grid)  # grid worker of group A1 only
    other = services.household_create(actor=admin_user, group=group_a2, number="A2-009")
    ResidentFactory(
        actor=admin_user,
        household=other,
        relationship="head",
        name="孙二",
        sex="M",
        id_number=None,
        no_id_reason="x",
    )
    assert client.get(URL, {"group": group_a2.pk}).status_code == 404
    sheets = _sheets(_workbook(_post(client)))
    assert list(sheets) == ["1组"]
    assert "孙二" not in _all_cells(sheets)


def test_page_counts_the_people_and_is_linked_from_the_household_list(client, alice, household_a):
    client.force_login(alice)
    page = client.get(URL, {"village": household_a.village_id}).content.decode()
    assert 'data-people="4"' in page
    households = client.get(reverse("registry:households")).content.decode()
    assert URL in households


def test_export_reads_in_a_bounded_number_of_queries(admin_user, household_a, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # memberships, phones, flags (one chunk)
        assert len(list(export.ledger_rows(user=admin_user))) == 4


def _read_back(path, kind):
    """The file as the import engine reads it: header found under the title rows, columns matched."""
    from xiangzhi.imports import reading
    from xiangzhi.imports.engine import importer_for

    fields = importer_for("registry.ledger").fields
    layouts = reading.layout(str(path), kind, fields, "utf-8-sig" if kind == "csv" else "utf-8")
    mapping = reading.auto_mapping(layouts, fields)
    assert set(mapping.values()) >= {c.key for c in COLUMNS}  # every column recognised
    return list(reading.read_rows(str(path), kind, layouts=layouts, mapping=mapping, log=reading.ReadLog()))


@pytest.mark.parametrize(
    ("role", "unmasked", "kind"),
    [("alice", False, "xlsx"), ("admin_user", True, "xlsx"), ("alice", False, "csv")],
)
def test_the_export_imports_back_unchanged(request, tmp_path, role, unmasked, kind, village_a, household_a):
    from xiangzhi.imports.engine import importer_for

    user = request.getfixturevalue(role)
    decided = export.ledger_export(
        actor=user,
        scope=export.LedgerScope(village=village_a),
        format=kind,
        unmasked=unmasked,
        reason="round trip",
    )
    path = tmp_path / f"ledger.{kind}"
    if kind == "csv":
        path.write_text("".join(export.csv_lines(decided.ledger_rows())), encoding="utf-8")
    else:
        export.write_xlsx(decided.ledger_rows(), path, many_villages=False, masked=not unmasked)
    rows = _read_back(path, kind)
    assert len(rows) == 4
    report = importer_for("registry.ledger").dry_run(actor=user, rows=rows, options={"village": village_a.pk})
    counts = {k: report.counts[k] for k in ("new", "changed", "unchanged", "refused")}
    assert counts == {"new": 0, "changed": 0, "unchanged": 4, "refused": 0}, report.issues
