"""Spreadsheets built in the tests: ordinary, messy and hostile ones."""

from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile


def xlsx(sheets: dict[str, list[list]], *, merges: dict[str, list[str]] | None = None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.worksheets[0])
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for cells in (merges or {}).get(name, []):
            sheet.merge_cells(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], encoding: str = "utf-8") -> bytes:
    import csv

    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode(encoding)


def upload(data: bytes, name: str = "台账.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def rezip(
    data: bytes, *, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None
) -> bytes:
    """An .xlsx with some parts replaced or added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = (replace or {}).get(item.filename, source.read(item.filename))
            target.writestr(item.filename, body)
        for name, body in (add or {}).items():
            target.writestr(name, body)
    return out.getvalue()


def groups_workbook() -> bytes:
    """Title rows, a merged title, two sheets (one without a header), a blank row and a total row."""
    return xlsx(
        {
            "一村": [
                ["宝兴镇一村 村民小组一览"],
                ["制表：2026年"],
                ["组 号", "小组名称", "备注"],
                [1, "一组", None],
                [2, "二组", None],
                [None, None, None],
                [3, '="三"&"组"', None],
                ["合计", None, None],
            ],
            "说明": [["这是说明页"], ["没有表头"]],
        },
        merges={"一村": ["A1:C1"]},
    )
