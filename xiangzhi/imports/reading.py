"""Reading a spreadsheet a town brings in: every sheet, the header row found under any title rows, merged cells
filled, blank and subtotal rows skipped, rows yielded one at a time as `SourceRow`s.

.xlsx/.xls are read by python-calamine (merged ranges included); .csv is read by the standard library in the
encoding `safety.inspect` detected (UTF-8 with or without BOM, else GB18030, a superset of GBK). Only files that
`safety.inspect` passed reach this module.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import hashlib
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _

from xiangzhi.core.masking import MASK, has_personal_number
from xiangzhi.core.spreadsheet import restore

from .engine import Cell, Field, Issue, SourceRow

HEADER_SEARCH_ROWS = 20  # the header is looked for in this many rows from the top of a sheet
SAMPLES = 3  # values shown under each column on the mapping page
TOTAL_WORDS = ("合计", "小计", "总计", "共计")


def normalise(text: Any) -> str:
    """A header as compared: full-width folded (NFKC), no spaces or punctuation, lower case."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text)).lower()
    return "".join(ch for ch in folded if not (ch.isspace() or unicodedata.category(ch)[0] in "PSZC"))


def header_index(fields: Sequence[Field]) -> dict[str, str]:
    """normalised header or synonym → field key."""
    index: dict[str, str] = {}
    for f in fields:
        for word in (f.header, *f.synonyms, f.key):
            index.setdefault(normalise(word), f.key)
    return index


def signature(headers: Sequence[str]) -> str:
    """The layout of a file, as a saved mapping recognises it: its normalised headers, in order."""
    joined = "\x1f".join(normalise(h) for h in headers if normalise(h))
    return hashlib.sha256(joined.encode()).hexdigest()[:32]


def _clean(value: Any) -> Cell:
    if value == "" or value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, datetime.timedelta):  # a bare time of day
        return str(value)
    if isinstance(value, datetime.time):
        return value.isoformat()
    return value


# ---------------------------------------------------------------------------------------------- sheets of cells


@dataclass
class RawSheet:
    """One sheet as rows of cells (merged cells filled), with the Excel number of each row."""

    name: str
    rows: Any  # a callable returning an iterator of (excel_row, [cell, ...])
    height: int


def _calamine_sheets(path: str) -> Iterator[RawSheet]:
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(path)
    try:
        for meta in book.sheets_metadata:
            if str(meta.typ) != str(python_calamine.SheetTypeEnum.WorkSheet):
                continue
            yield _calamine_sheet(book, meta.name)
    finally:
        book.close()


def _calamine_sheet(book, name: str) -> RawSheet:
    sheet = book.get_sheet_by_name(name)
    start_row, start_col = sheet.start or (0, 0)

    def source() -> Iterator[tuple[int, list]]:
        for offset, raw in enumerate(sheet.iter_rows()):
            yield start_row + offset + 1, [None] * start_col + [_clean(v) for v in raw]

    merged = sorted(sheet.merged_cell_ranges or [])
    return RawSheet(name=name, rows=_merged_rows(source, merged), height=start_row + sheet.height)


def _csv_sheet(path: str, encoding: str) -> RawSheet:
    def rows() -> Iterator[tuple[int, list]]:
        with open(path, encoding=encoding, newline="") as handle:
            sample = handle.read(16384)
            handle.seek(0)
            try:
                dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
            except csv.Error:
                dialect = csv.excel
            for number, row in enumerate(csv.reader(handle, dialect), start=1):
                yield number, [_clean(v) for v in row]

    return RawSheet(name="", rows=rows, height=0)


def _openpyxl_sheets(
    path: str, merges: dict[str, list[str]], formulas: dict[str, list[str]]
) -> Iterator[RawSheet]:
    """A big .xlsx, streamed by openpyxl's read-only reader (calamine holds a whole sheet in memory); its merged
    ranges come from `safety.inspect`, which read them while scanning the file."""
    from openpyxl import load_workbook
    from openpyxl.utils.cell import range_boundaries

    book = load_workbook(path, read_only=True, data_only=False, keep_links=False)
    try:
        for sheet in book.worksheets:
            ranges = []
            for ref in merges.get(sheet.title, []):
                c0, r0, c1, r1 = range_boundaries(ref)
                if None not in (c0, r0, c1, r1):
                    ranges.append(((r0 - 1, c0 - 1), (r1 - 1, c1 - 1)))  # type: ignore[operator]
            yield RawSheet(
                name=sheet.title,
                rows=_merged_rows(
                    _openpyxl_rows(sheet, _formula_cells(formulas.get(sheet.title, ()))), sorted(ranges)
                ),
                height=sheet.max_row or 0,
            )
    finally:
        book.close()


def _openpyxl_rows(sheet, formula_cells: set[tuple[int, int]]):
    def rows() -> Iterator[tuple[int, list]]:
        # the read-only reader yields an empty row for each missing one, so the count is Excel's row number
        for number, raw in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_clean(_as_calamine(v)) for v in raw]
            for row, col in formula_cells:  # the formula's text, never its value (calamine gives none either)
                if row == number and col < len(cells):
                    cells[col] = None
            yield number, cells

    return rows


def _as_calamine(value):
    """Cells as calamine gives them, whichever reader read the file: numbers as floats (Excel keeps no
    integers), a date cell at midnight as a date."""
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, datetime.datetime) and value.time() == datetime.time(0):
        return value.date()
    return value


def _merged_rows(source, merged):
    """Rows with each merged range's value copied into every cell of the range."""

    def rows() -> Iterator[tuple[int, list]]:
        pending = list(merged)
        active: list[tuple[int, int, int, Any]] = []  # (last row, first col, last col, value), 0-based
        for number, cells in source():
            r = number - 1
            active = [a for a in active if a[0] >= r]
            while pending and pending[0][0][0] < r:  # a range above the rows read
                pending.pop(0)
            while pending and pending[0][0][0] == r:
                (_r0, c0), (r1, c1) = pending.pop(0)
                active.append((r1, c0, c1, cells[c0] if c0 < len(cells) else None))
            for _last, c0, c1, value in active:
                if len(cells) <= c1:
                    cells.extend([None] * (c1 + 1 - len(cells)))
                for c in range(c0, c1 + 1):
                    if cells[c] is None:
                        cells[c] = value
            yield number, cells

    return rows


def raw_sheets(
    path: str,
    kind: str,
    encoding: str = "utf-8",
    *,
    streamed: dict[str, list[str]] | None = None,
    formulas: dict[str, list[str]] | None = None,
) -> Iterator[RawSheet]:
    """Every sheet of the file. `streamed` (merged ranges by sheet) reads an .xlsx with openpyxl's streaming
    reader instead of calamine: for a file too big to hold one sheet in memory."""
    if kind == "csv":
        yield _csv_sheet(path, encoding)
    elif kind == "xlsx" and streamed is not None:
        yield from _openpyxl_sheets(path, streamed, formulas or {})
    else:
        yield from _calamine_sheets(path)


# ---------------------------------------------------------------------------------------------- layout


@dataclass
class SheetLayout:
    """Where a sheet's header is and what its columns say; `samples[i]` are the first values under column i."""

    name: str
    header_row: int  # Excel row number of the header; 0: no header found
    headers: list[str] = field(default_factory=list)
    samples: list[list[str]] = field(default_factory=list)
    rows: int = 0  # data rows below the header (an estimate for CSV: 0 until read)

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "header_row": self.header_row,
            "headers": self.headers,
            "samples": self.samples,
            "rows": self.rows,
        }

    @classmethod
    def from_json(cls, data: dict) -> SheetLayout:
        return cls(**data)


def _find_header(rows: list[tuple[int, list]], index: dict[str, str], fields: Sequence[Field]):
    """The row naming the most fields (a whole cell equal to a header or synonym); a row of one cell (a title)
    is never the header unless the importer has a single field."""
    best, best_hits = None, 0
    for number, cells in rows:
        filled = sum(1 for c in cells if c is not None)
        if filled < min(2, len(fields)):
            continue
        hits = len({index[n] for n in (normalise(c) for c in cells) if n in index})
        if hits > best_hits:
            best, best_hits = (number, cells), hits
    return best if best_hits else None


def layout(
    path: str,
    kind: str,
    fields: Sequence[Field],
    encoding: str = "utf-8",
    *,
    streamed: dict[str, list[str]] | None = None,
    formulas: dict[str, list[str]] | None = None,
) -> list[SheetLayout]:
    """Each sheet's header row, headers and sample values (reads only the top of each sheet)."""
    index = header_index(fields)
    found = []
    for sheet in raw_sheets(path, kind, encoding, streamed=streamed, formulas=formulas):
        top: list[tuple[int, list]] = []
        samples_rows: list[list] = []
        header = None
        iterator = sheet.rows()
        for number, cells in iterator:
            if header is None:
                top.append((number, cells))
                if len(top) >= HEADER_SEARCH_ROWS:
                    header = _find_header(top, index, fields)
                    if header is None:
                        break
                    samples_rows = [c for n, c in top if n > header[0] and any(x is not None for x in c)]
            elif len(samples_rows) < SAMPLES:
                if any(x is not None for x in cells):
                    samples_rows.append(cells)
            else:
                break
        if header is None and len(top) < HEADER_SEARCH_ROWS:
            header = _find_header(top, index, fields)
            if header is not None:
                samples_rows = [c for n, c in top if n > header[0] and any(x is not None for x in c)]
        if header is None:
            found.append(SheetLayout(name=sheet.name, header_row=0))
            continue
        number, cells = header
        headers = [str(c) if c is not None else "" for c in cells]
        while headers and not headers[-1]:
            headers.pop()
        samples = [
            [_shown(row[i]) for row in samples_rows[:SAMPLES] if i < len(row) and row[i] is not None]
            for i in range(len(headers))
        ]
        rows = max(sheet.height - number, 0) if sheet.height else 0
        found.append(SheetLayout(sheet.name, number, headers, samples, rows))
    return found


def _shown(value: Cell) -> str:
    """A sample value as the mapping page shows (and the job keeps) it: a phone or ID number in it has every
    digit masked — enough to tell the column, nothing to combine with a birth date in the next one."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
        text = str(int(value))
    else:
        text = str(value)[:40]
    if has_personal_number(text):
        text = "".join(MASK if unicodedata.decimal(ch, None) is not None else ch for ch in text)
    return text


def auto_mapping(layouts: Sequence[SheetLayout], fields: Sequence[Field]) -> dict[str, str]:
    """normalised header → field key ("" = not imported), for every header of every sheet with one."""
    index = header_index(fields)
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for sheet in layouts:
        for header in sheet.headers:
            n = normalise(header)
            if not n or n in mapping:
                continue
            key = index.get(n, "")
            mapping[n] = key if key and key not in taken else ""
            if key:
                taken.add(key)
    return mapping


# ---------------------------------------------------------------------------------------------- rows


@dataclass
class ReadLog:
    """What reading itself reports (sheets skipped, subtotal rows, formulas) and how far it got."""

    issues: list[Issue] = field(default_factory=list)
    rows_read: int = 0


def _is_total(cells: list) -> bool:
    for cell in cells[:3]:
        if isinstance(cell, str) and any(normalise(cell).startswith(w) for w in TOTAL_WORDS):
            return True
    return False


def read_rows(
    path: str,
    kind: str,
    *,
    layouts: Sequence[SheetLayout],
    mapping: dict[str, str],
    log: ReadLog,
    encoding: str = "utf-8",
    formulas: dict[str, list[str]] | None = None,
    streamed: dict[str, list[str]] | None = None,
) -> Iterator[SourceRow]:
    """Every data row of every sheet with a header, lazily; `mapping` maps normalised headers to field keys.
    Cells holding a formula (`formulas`: sheet name → cell references, from `safety.inspect`) are not trusted:
    left out of `values`, named in `SourceRow.formulas` and reported."""
    by_name = {s.name: s for s in layouts}
    formulas = formulas or {}
    for sheet in raw_sheets(path, kind, encoding, streamed=streamed, formulas=formulas):
        found = by_name.get(sheet.name)
        if found is None or not found.header_row:
            log.issues.append(
                Issue(
                    sheet.name,
                    0,
                    "",
                    _("No header row recognised in this sheet."),
                    _("The sheet was skipped."),
                    "info",
                )
            )
            continue
        columns = [(i, mapping.get(normalise(h), "")) for i, h in enumerate(found.headers)]
        columns = [(i, key) for i, key in columns if key]
        sheet_formulas = _formula_cells(formulas.get(sheet.name, ()))
        for number, cells in sheet.rows():
            if number <= found.header_row:
                continue
            if all(c is None for c in cells):
                continue
            if _is_total(cells):
                log.issues.append(
                    Issue(
                        sheet.name,
                        number,
                        "",
                        _("A total or subtotal row."),
                        _("Skipped."),
                        "info",
                    )
                )
                continue
            values: dict[str, Cell] = {}
            held: list[str] = []
            for i, key in columns:
                if (number, i) in sheet_formulas:
                    held.append(key)
                    log.issues.append(
                        Issue(
                            sheet.name,
                            number,
                            key,
                            _("The cell holds a formula."),
                            _("Its value was not used."),
                            "warning",
                        )
                    )
                    continue
                value = cells[i] if i < len(cells) else None
                if isinstance(value, str):
                    value = restore(value)  # a cell our own export neutralised comes back as it was
                if value is not None:
                    values[key] = value
            if not values and not held:
                continue
            log.rows_read += 1
            yield SourceRow(sheet.name, number, values, formulas=tuple(held))


def _formula_cells(refs) -> set[tuple[int, int]]:
    """Cell references ("C12") as (Excel row, 0-based column)."""
    cells = set()
    for ref in refs:
        letters = "".join(ch for ch in ref if ch.isalpha()).upper()
        digits = "".join(ch for ch in ref if ch.isdigit())
        if not letters or not digits:
            continue
        col = 0
        for ch in letters:
            col = col * 26 + (ord(ch) - 64)
        cells.add((int(digits), col - 1))
    return cells


def sniff_text_encoding(handle: IO[bytes], chunk: int = 1 << 20) -> str | None:
    """utf-8-sig, utf-8 or gb18030 for text that decodes wholly in it; None for anything else."""
    handle.seek(0)
    head = handle.read(3)
    handle.seek(0)
    candidates = ["utf-8-sig"] if head == codecs.BOM_UTF8 else ["utf-8", "gb18030"]
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        handle.seek(0)
        try:
            while block := handle.read(chunk):
                if b"\x00" in block:
                    return None
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            handle.seek(0)
        return encoding
    return None


__all__ = [
    "ReadLog",
    "SheetLayout",
    "auto_mapping",
    "header_index",
    "layout",
    "normalise",
    "read_rows",
    "signature",
    "sniff_text_encoding",
]
