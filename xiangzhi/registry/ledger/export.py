"""The ledger (台账) export: the user's part of the registry in the layout cadres keep and our import reads back.

One row per person, the head first and the members below, the household's number, house number and address on
every row; `.xlsx` with one sheet per village group under a title row, or one CSV (UTF-8 with BOM, for Excel and
WPS) with the group column filled. The columns and their order are `layout.COLUMNS`; the words (relationships,
residence status, flags) are the ones the importer reads.

Masked by default, as every page: an ID number masked as `core.masking` masks it (and absent, not even masked,
for a role that never sees ID numbers), the birth date left blank beside it (the mask hides exactly the birth
date: `models.shown_birth_date`), phones masked. Full numbers need `registry.export_unmasked` and a stated
reason. Either way the export is an audit row with its row count. Every text cell goes through
`core.spreadsheet.neutralise`, so no cell can run as a formula.

Rows are read in chunks (a membership query, then the chunk's phones and flags): memory stays flat whatever the
town's size, and the CSV streams as it is read.
"""

from __future__ import annotations

import csv
import datetime
import io
import itertools
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from xiangzhi.areas.models import Village, VillageGroup
from xiangzhi.core.audit import audit_record
from xiangzhi.core.exceptions import NotInScope
from xiangzhi.core.masking import mask_id_number, mask_phone
from xiangzhi.core.permissions import can
from xiangzhi.core.spreadsheet import neutralise

from .. import permissions as perms
from ..choices import HouseholdStatus, IdStatus, Relationship, ResidenceStatus, Sex
from ..models import ContactPhone, Membership, ResidentFlag
from .layout import COLUMNS

CHUNK = 2000  # memberships read at a time (with their phones and flags: three queries a chunk)

# The words written for each choice: those of a cadre's ledger (GB/T 4761 for relationships), which the ledger
# importer reads back. Chinese in every language: the workbook is a Chinese document.
RELATIONSHIP_WORDS = {
    Relationship.HEAD: "户主",
    Relationship.SPOUSE: "配偶",
    Relationship.SON: "子",
    Relationship.DAUGHTER: "女",
    Relationship.GRANDSON: "孙子",
    Relationship.GRANDDAUGHTER: "孙女",
    Relationship.FATHER: "父亲",
    Relationship.MOTHER: "母亲",
    Relationship.DAUGHTER_IN_LAW: "儿媳",
    Relationship.SON_IN_LAW: "女婿",
    Relationship.GRANDFATHER: "祖父",
    Relationship.GRANDMOTHER: "祖母",
    Relationship.SIBLING: "兄弟姐妹",
    Relationship.OTHER: "其他",
}
RESIDENCE_WORDS = {
    ResidenceStatus.AT_HOME: "在家",
    ResidenceStatus.MIGRANT: "外出务工",
    ResidenceStatus.STUDYING: "外出就学",
    ResidenceStatus.MOVED_OUT: "迁出",
    ResidenceStatus.DECEASED: "死亡",
}
SEX_WORDS = {Sex.MALE: "男", Sex.FEMALE: "女"}
LEVEL_WORDS = dict(enumerate("零一二三四五六七八九十", start=0))
# Between two flags or two phones in one cell, as cadres write them.
LIST_SEPARATOR = "、"
HEADERS = [column.header for column in COLUMNS]
KEYS = [column.key for column in COLUMNS]

FORMATS = ("xlsx", "csv")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def flag_words(name: str, level: int | None) -> str:
    """`残疾(二级)`: the flag's name as the town calls it, and its level in words where it has one."""
    if not level:
        return name
    return f"{name}({LEVEL_WORDS.get(level, str(level))}级)"


@dataclass(frozen=True)
class LedgerScope:
    """What one export holds: the user's part of the town, or a village or group of it (already checked)."""

    village: Village | None = None
    group: VillageGroup | None = None

    def describe(self) -> str:
        if self.group is not None:
            return f"{self.group.village.name}{self.group.name}"
        if self.village is not None:
            return self.village.name
        return ""


@dataclass
class LedgerRow:
    village_id: int
    group_id: int
    village_name: str
    group_name: str
    cells: dict[str, object]  # layout key -> the value written (text, a date, or "")


def ledger_memberships(*, user, scope: LedgerScope = LedgerScope()):
    """The current members of the active households the user may view, in ledger order: village, group,
    household number, the head first, then the others in the order they joined."""
    qs = Membership.objects.restrict(user, perms.VIEW).filter(
        ended_at__isnull=True, household__status=HouseholdStatus.ACTIVE
    )
    if scope.group is not None:
        qs = qs.filter(household__group=scope.group)
    elif scope.village is not None:
        qs = qs.filter(household__village=scope.village)
    return qs.annotate(
        head_last=Case(
            When(resident_id=F("household__head_id"), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by(
        "household__village__code",
        "household__village__name",
        "household__village_id",
        "household__group__number",
        "household__number",
        "household_id",
        "head_last",
        "started_at",
        "pk",
    )


def _chunks(iterable: Iterable, size: int) -> Iterator[list]:
    it = iter(iterable)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


_ROW_FIELDS = (
    "household__village_id",
    "household__group_id",
    "household__village__name",
    "household__group__name",
    "household__number",
    "household__house_number",
    "household__address",
    "resident_id",
    "resident__name",
    "relationship",
    "resident__sex",
    "resident__birth_date",
    "resident__id_status",
    "resident__residence_status",
    "resident__notes",
)


def ledger_rows(*, user, scope: LedgerScope = LedgerScope(), unmasked: bool = False) -> Iterator[LedgerRow]:
    """The ledger's rows for the user, read a chunk at a time as plain values (no model instances: a town's
    26,000 rows in a few seconds). `unmasked` writes full numbers and birth dates: the caller has checked
    `registry.export_unmasked` (`ledger_export` does)."""
    ids_shown = unmasked or can(user, perms.REVEAL_ID)
    # the ID number is read (and decrypted) only for a role that sees it
    values = ledger_memberships(user=user, scope=scope).values_list(
        *_ROW_FIELDS, *(("resident__id_number",) if ids_shown else ())
    )
    for chunk in _chunks(values.iterator(chunk_size=CHUNK), CHUNK):
        resident_ids = [row[7] for row in chunk]
        phones: dict[int, list[str]] = {}
        for resident_id, number in (
            ContactPhone.objects.unrestricted("phones of members read through restrict()")
            .filter(resident_id__in=resident_ids)
            .order_by("resident_id", "priority", "id")
            .values_list("resident_id", "number")
        ):
            phones.setdefault(resident_id, []).append(number if unmasked else mask_phone(number))
        flags: dict[int, list[str]] = {}
        for resident_id, name, level in (
            ResidentFlag.objects.unrestricted("flags of members read through restrict()")
            .filter(resident_id__in=resident_ids)
            .order_by("flag__sort", "flag__code")
            .values_list("resident_id", "flag__name", "level")
        ):
            flags.setdefault(resident_id, []).append(flag_words(name, level))
        for row in chunk:
            (
                village_id,
                group_id,
                village_name,
                group_name,
                number,
                house_number,
                address,
                resident_id,
                name,
            ) = row[:9]
            relationship, sex, birth_date, id_status, residence_status, notes = row[9:15]
            has_id = id_status == IdStatus.PRESENT
            if not ids_shown or not has_id:
                id_number = ""
            else:
                id_number = row[15] if unmasked else mask_id_number(row[15])
            # beside a masked ID number (or one left out) the birth date would give back what the mask hides
            birth = birth_date if (unmasked or not has_id) else None
            cells = {
                "group": group_name,
                "household_number": number,
                "house_number": house_number,
                "address": address,
                "name": name,
                "relationship": RELATIONSHIP_WORDS.get(relationship, relationship),
                "sex": SEX_WORDS.get(sex, sex),
                "birth_date": birth or "",
                "id_number": id_number,
                "phones": LIST_SEPARATOR.join(phones.get(resident_id, [])),
                "residence_status": RESIDENCE_WORDS.get(residence_status, residence_status),
                "flags": LIST_SEPARATOR.join(flags.get(resident_id, [])),
                "notes": notes,
            }
            yield LedgerRow(village_id, group_id, village_name, group_name, cells)


# ----------------------------------------------------------------------------------------------- the files


def _title(village_name: str, group_name: str, day: datetime.date) -> str:
    return f"{village_name}{group_name} 村民台账 导出于 {day:%Y-%m-%d}"


MASKED_NOTE = "身份证号码、联系电话已脱敏；有身份证号码者不列出生日期。"
# for a role that never sees ID numbers (a grid worker): none is in the file, not even masked
NO_ID_NOTE = "联系电话已脱敏；不含身份证号码；有身份证号码者不列出生日期。"

_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_WIDTHS = {
    "group": 8,
    "household_number": 12,
    "house_number": 10,
    "address": 24,
    "name": 10,
    "relationship": 10,
    "sex": 6,
    "birth_date": 12,
    "id_number": 21,
    "phones": 28,
    "residence_status": 10,
    "flags": 28,
    "notes": 24,
}


def _sheet_name(row: LedgerRow, many_villages: bool, taken: set[str]) -> str:
    """The group's name ("3组"), with its village's in front when the workbook holds several villages; Excel
    allows 31 characters and none of []:*?/\\ in a sheet's name, and no two alike."""
    base = _SHEET_FORBIDDEN.sub(
        "", f"{row.village_name}{row.group_name}" if many_villages else row.group_name
    )
    base = base[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f"({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def _cell(value):
    return neutralise(value) if isinstance(value, str) else value


def write_xlsx(
    rows: Iterable[LedgerRow], out, *, many_villages: bool, masked: bool, ids_shown: bool = True, day=None
) -> int:
    """Write the rows as a workbook (openpyxl's write-only mode: rows go to disk as they come) to `out`, a path
    or a binary file; one sheet per group, in the order the rows come. Returns the number of people written."""
    day = day or timezone.localdate()
    wb = Workbook(write_only=True)
    taken: set[str] = set()
    count = 0
    ws = None
    bold = Font(bold=True)
    for (_village, _group), group_rows in itertools.groupby(rows, key=lambda r: (r.village_id, r.group_id)):
        first = next(group_rows)
        ws = wb.create_sheet(_sheet_name(first, many_villages, taken))
        for i, key in enumerate(KEYS):
            ws.column_dimensions[chr(ord("A") + i)].width = _WIDTHS[key]
        title = WriteOnlyCell(ws, _cell(_title(first.village_name, first.group_name, day)))
        title.font = Font(bold=True, size=14)
        ws.append([title])
        if masked:
            ws.append([MASKED_NOTE if ids_shown else NO_ID_NOTE])
        header = []
        for text in HEADERS:
            cell = WriteOnlyCell(ws, text)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in itertools.chain([first], group_rows):
            # a date is a date cell (openpyxl formats it yyyy-mm-dd); "" an empty cell, not an empty text
            ws.append([_cell(value) if value != "" else None for value in map(row.cells.__getitem__, KEYS)])
            count += 1
    if ws is None:  # nothing to export: still a workbook, with the header under a title
        ws = wb.create_sheet("台账")
        ws.append([f"村民台账 导出于 {day:%Y-%m-%d}"])
        ws.append(HEADERS)
    wb.save(out)
    return count


def csv_lines(rows: Iterable[LedgerRow]) -> Iterator[str]:
    """The rows as CSV text, a line at a time (UTF-8 with BOM when encoded: Excel and WPS then read Chinese
    right): the BOM, the header from the layout, one line per person with the group column filled."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> str:
        writer.writerow(values)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield "\ufeff" + line(HEADERS)
    for row in rows:
        yield line(
            _cell(value.isoformat() if isinstance(value, datetime.date) else value)
            for value in (row.cells[key] for key in KEYS)
        )


# ----------------------------------------------------------------------------------------------- the export


@dataclass
class LedgerExport:
    """An export decided and audited: `rows` people in it; the file is made by `write`/`lines`."""

    user: object
    scope: LedgerScope
    format: str
    unmasked: bool
    rows: int
    many_villages: bool  # sheets are then named by village and group ("玉峰村3组"), else by group ("3组")

    def ledger_rows(self) -> Iterator[LedgerRow]:
        return ledger_rows(user=self.user, scope=self.scope, unmasked=self.unmasked)

    def filename(self, day: datetime.date) -> tuple[str, str]:
        """(an ASCII name for old clients, the name in Chinese)."""
        area = self.scope.describe()
        return (
            f"ledger-{day:%Y%m%d}.{self.format}",
            f"村民台账-{area + '-' if area else ''}{day:%Y%m%d}{'-未脱敏' if self.unmasked else ''}.{self.format}",
        )

    def xlsx_file(self):
        """The workbook in a temporary file (on disk, not in memory), rewound."""
        out = tempfile.TemporaryFile()  # noqa: SIM115  # handed to the response, which closes it
        write_xlsx(
            self.ledger_rows(),
            out,
            many_villages=self.many_villages,
            masked=not self.unmasked,
            ids_shown=self.unmasked or can(self.user, perms.REVEAL_ID),
        )
        out.seek(0)
        return out


@transaction.atomic
def ledger_export(
    *,
    actor,
    scope: LedgerScope = LedgerScope(),
    format: str = "xlsx",
    unmasked: bool = False,
    reason: str = "",
) -> LedgerExport:
    """Decide an export and write its audit row (with the number of people it holds, and for full numbers the
    reason given): the file is then written from the same query. Full numbers without `registry.export_unmasked`
    raise NotInScope (a 404, as every refusal of scope); without a reason, ValueError."""
    if format not in FORMATS:
        raise ValueError(format)
    if unmasked:
        if not can(actor, perms.EXPORT_UNMASKED):
            raise NotInScope("registry.export_unmasked")
        if not reason.strip():
            raise ValueError("an unmasked export needs a reason")
    memberships = ledger_memberships(user=actor, scope=scope)
    rows = memberships.count()
    many_villages = (
        scope.village is None
        and scope.group is None
        and memberships.order_by().values("household__village_id").distinct().count() > 1
    )
    audit_record(
        actor=actor,
        action="registry.ledger.export_unmasked" if unmasked else "registry.ledger.export",
        town=actor.town,
        target=scope.group or scope.village,
        after={
            "rows": rows,
            "format": format,
            "village": scope.village.pk if scope.village else None,
            "group": scope.group.pk if scope.group else None,
            **({"reason": reason.strip()} if unmasked else {}),
        },
    )
    return LedgerExport(
        user=actor, scope=scope, format=format, unmasked=unmasked, rows=rows, many_villages=many_villages
    )
