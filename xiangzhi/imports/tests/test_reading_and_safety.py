"""Reading (header under title rows, merged cells, sheets, totals, CSV encodings) and the safety checks, each
hostile file built here."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from msoffcrypto.format.ooxml import OOXMLFile

from xiangzhi.imports import reading, safety
from xiangzhi.imports.tests.files import csv_bytes, groups_workbook, rezip, xlsx
from xiangzhi.imports.tests.importers import CONTACTS, GROUPS


def _read(tmp_path, data: bytes, importer, suffix="xlsx"):
    path = tmp_path / f"f.{suffix}"
    path.write_bytes(data)
    with open(path, "rb") as handle:
        found = safety.inspect(handle)
    layouts = reading.layout(
        str(path), found.kind, importer.fields, found.encoding or "utf-8", formulas=found.formulas
    )
    mapping = reading.auto_mapping(layouts, importer.fields)
    log = reading.ReadLog()
    rows = list(
        reading.read_rows(
            str(path),
            found.kind,
            layouts=layouts,
            mapping=mapping,
            log=log,
            encoding=found.encoding or "utf-8",
            formulas=found.formulas,
        )
    )
    return found, layouts, mapping, rows, log


def test_header_under_title_rows_every_sheet_totals_and_formulas(tmp_path):
    found, layouts, mapping, rows, log = _read(tmp_path, groups_workbook(), GROUPS)
    assert found.formulas == {"一村": ["A7"]} or found.formulas == {"一村": ["B7"]}
    assert [s.header_row for s in layouts] == [3, 0]
    assert mapping == {"组号": "number", "小组名称": "name", "备注": ""}
    assert [(r.sheet, r.row, r.values) for r in rows] == [
        ("一村", 4, {"number": 1, "name": "一组"}),
        ("一村", 5, {"number": 2, "name": "二组"}),
        ("一村", 7, {"number": 3}),
    ]
    assert rows[-1].formulas == ("name",)
    problems = {(i.sheet, i.row, i.level, i.problem) for i in log.issues}
    assert ("一村", 8, "info", "合计或小计行。") in problems
    assert ("一村", 7, "warning", "单元格中是公式。") in problems
    assert ("说明", 0, "info", "此工作表中没有识别到表头行。") in problems


def test_merged_cells_are_filled_down(tmp_path):
    data = xlsx(
        {"户": [["姓名", "联系电话", "备注"], ["张三", "13800000000", "同户"], ["李四", None, None]]},
        merges={"户": ["C2:C3"]},
    )
    _found, _layouts, _mapping, rows, _log = _read(tmp_path, data, CONTACTS)
    assert [r.values.get("note") for r in rows] == ["同户", "同户"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_each_encoding(tmp_path, encoding):
    data = csv_bytes(
        [["联系人名单"], ["姓名", "电话"], ["张三", "13800000000"], ["", ""], ["小计", "1"]], encoding
    )
    found, _layouts, _mapping, rows, log = _read(tmp_path, data, CONTACTS, "csv")
    assert found.kind == "csv"
    assert [(r.row, r.values) for r in rows] == [(3, {"name": "张三", "phone": "13800000000"})]
    assert [i.row for i in log.issues] == [5]


def test_normalise_folds_width_spaces_and_punctuation():
    assert reading.normalise(" 身份证号（码）：") == reading.normalise("身份证号码")
    assert reading.normalise("ＡＢ　１") == "ab1"


def _refused(data: bytes, code: str):
    with pytest.raises(ValidationError) as caught:
        safety.inspect(io.BytesIO(data))
    assert caught.value.code == code
    return caught.value.messages[0]


def test_empty_and_not_spreadsheets():
    assert _refused(b"", "empty") == "文件是空的。"
    assert "不是表格文件" in _refused(b"MZ\x90\x00" + b"\x00" * 200, "not_spreadsheet")
    _refused(b"%PDF-1.7\n" + b"\x00" * 100, "not_spreadsheet")
    _refused(b"\x00\x01\x02 binary", "not_spreadsheet")


def test_size_limit(settings):
    settings.XIANGZHI_IMPORT_MAX_BYTES = 1024 * 1024
    assert "1 MB" in _refused(b"a,b\n" * 300_000, "too_big")


def test_zip_bomb():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\x00" * (50 * 1024 * 1024))
    _refused(out.getvalue(), "unsafe")


def test_billion_laughs():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b"<sst>&lol2;</sst>"
    )
    data = rezip(groups_workbook(), add={"xl/sharedStrings2.xml": laughs})
    _refused(data, "unsafe")
    _refused(rezip(groups_workbook(), replace={"xl/workbook.xml": laughs}), "unsafe")


def test_macros():
    _refused(rezip(groups_workbook(), add={"xl/vbaProject.bin": b"\x00" * 64}), "macros")


def test_password_protected():
    plain = io.BytesIO(groups_workbook())
    encrypted = io.BytesIO()
    OOXMLFile(plain).encrypt("secret", encrypted)
    assert "密码" in _refused(encrypted.getvalue(), "password")


def test_a_docx_is_not_a_spreadsheet():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    _refused(out.getvalue(), "not_spreadsheet")


def test_a_big_xlsx_is_streamed_and_reads_the_same(tmp_path):
    """Above XIANGZHI_IMPORT_STREAM_BYTES a sheet is read by openpyxl's streaming reader, merged ranges from the
    safety scan: the rows are the same as calamine's."""
    data = xlsx(
        {
            "户": [
                ["花名册"],
                ["姓名", "联系电话", "备注"],
                ["张三", 13800000000, "同户"],
                ["李四", None, None],
                ["小计", 2],
            ],
            "二": [["姓名", "备注"], ["王五", "=1+1"]],
        },
        merges={"户": ["A1:C1", "C3:C4"]},
    )
    path = tmp_path / "f.xlsx"
    path.write_bytes(data)
    with open(path, "rb") as handle:
        found = safety.inspect(handle)
    assert found.merges == {"户": ["A1:C1", "C3:C4"]}
    results = []
    for streamed in (None, found.merges):
        layouts = reading.layout(
            str(path), "xlsx", CONTACTS.fields, streamed=streamed, formulas=found.formulas
        )
        log = reading.ReadLog()
        rows = reading.read_rows(
            str(path),
            "xlsx",
            layouts=layouts,
            mapping=reading.auto_mapping(layouts, CONTACTS.fields),
            log=log,
            formulas=found.formulas,
            streamed=streamed,
        )
        results.append(([(r.sheet, r.row, r.values, r.formulas) for r in rows], log.issues, layouts))
    assert results[0] == results[1]
    # the samples the mapping page shows (and the job keeps) have every digit of a phone or ID number masked
    assert results[0][2][0].samples[1][0] == "*" * 11
    assert results[0][0] == [
        ("户", 3, {"name": "张三", "phone": 13800000000.0, "note": "同户"}, ()),
        ("户", 4, {"name": "李四", "note": "同户"}, ()),
        ("二", 2, {"name": "王五"}, ("note",)),
    ]


def test_a_cell_our_export_neutralised_comes_back_as_it_was(tmp_path):
    from xiangzhi.core.spreadsheet import neutralise

    data = csv_bytes(
        [
            ["姓名", "电话", "备注"],
            ["张三", "13800000000", neutralise("=HYPERLINK(1)")],
            ["李四", "", "'不动"],
        ],
        "utf-8",
    )
    _found, _layouts, _mapping, rows, _log = _read(tmp_path, data, CONTACTS, "csv")
    assert [r.values.get("note") for r in rows] == ["=HYPERLINK(1)", "'不动"]
