"""A messy village ledger, as cadres keep them: the same content as `SourceRow`s (what the import engine hands the
importer: title rows skipped, merged cells filled) and as an .xlsx (openpyxl) with the title rows, merged group
cells, blank rows, a subtotal and two sheets, for tests through the engine.

The ledger is for village A (玉峰村) of the test town, groups 1 and 2. `EXPECTED` is the report it must give.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

from xiangzhi.imports.engine import SourceRow
from xiangzhi.registry.idnumber import check_character

HEADERS = [
    ("group", "组别"),
    ("head_name", "户主"),
    ("name", "姓名"),
    ("relationship", "与户主关系"),
    ("sex", "性别"),
    ("birth_date", "出生日期"),
    ("id_number", "身份证号码"),
    ("phones", "联系电话"),
    ("residence_status", "居住状态"),
    ("flags", "人员类别"),
    ("notes", "备注"),
]


def id18(birth: str, seq: str, area: str = "500111") -> str:
    body = f"{area}{birth}{seq}"
    return body + check_character(body)


def id_with_x(birth: str, area: str = "500111") -> str:
    """A valid number of that birth date whose check character is X."""
    for seq in range(100, 999):
        number = id18(birth, f"{seq:03d}", area)
        if number.endswith("X"):
            return number
    raise AssertionError


def full_width(value: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in value)


LIU_DASHAN = id18("19580312", "011")
ZHAO_GUILAN = id18("19600501", "022")
LIU_XIAOJUN = id_with_x("19850708")
LIU_XIAOHONG_15 = "500111880210024"  # first generation: 88-02-10, sequence 024 (female)
WANG_WU = id18("19700103", "033")
WANG_XIAOWU_BAD = (
    WANG_WU[:6] + "19950101035" + ("1" if check_character(WANG_WU[:6] + "19950101035") != "1" else "2")
)
ZHOU_YI = id18("19650909", "051")


def zhou_yi_spaced() -> str:
    return f"{ZHOU_YI[:6]} {ZHOU_YI[6:14]} {ZHOU_YI[14:]}"


@dataclass(frozen=True)
class Sheet:
    name: str
    title_rows: list[str]
    rows: list[list]  # one list per spreadsheet row below the header, in HEADERS order; [] is a blank row
    merge_group: list[tuple[int, int]]  # (first, last) data-row indexes whose group cell is one merged cell


def sheets(registered_elsewhere: str) -> list[Sheet]:
    """`registered_elsewhere`: an ID number the database holds in another village."""
    one = Sheet(
        name="一组",
        title_rows=["玉峰村村民信息台账（一组）", "填报日期：2026年11月"],
        rows=[
            # household 1: the head's name repeated in 户主, then blank
            [
                "1组",
                "刘大山",
                "刘大山",
                "本人",
                "男",
                datetime.date(1958, 3, 12),
                f"{LIU_DASHAN[:6]} {LIU_DASHAN[6:]}",
                "138-1234-5678、023-43721234",
                "在家",
                "低保、残疾(二级)",
                "",
            ],
            [
                None,
                "",
                "赵桂兰",
                "妻",
                "女",
                "1960.5.1",
                full_width(ZHAO_GUILAN),
                "13987654321 13700001111",
                "在家",
                "",
                "",
            ],
            [
                None,
                "",
                "刘小军",
                "长子",
                "男",
                "1985年7月8日",
                LIU_XIAOJUN.lower(),
                "",
                "外出务工",
                "",
                "在重庆打工",
            ],
            [None, "", "刘小红", "长女", "女", "19880210", LIU_XIAOHONG_15, "", "上学", "", ""],
            [],
            # household 2: the head's ID destroyed by the spreadsheet → the household refused
            ["第1村民小组", "陈老汉", "陈老汉", "户主", "男", 21256, 5.00111e17, "", "在家", "", ""],
            [None, "陈老汉", "陈小花", "女儿", "女", "1990-01-01", "", "", "在家", "", ""],
            # household 3: sex and birth date disagree with the ID number; a bad check character; a destroyed
            # number kept as text; a child without an ID number; a member under another head
            ["01", "王五", "王五", "户主", "女", "1970/1/2", WANG_WU, "15900001111", "务工", "", ""],
            [None, "王五", "王小五", "儿子", "男", "1995-01-01", WANG_XIAOWU_BAD, "", "在家", "", ""],
            [None, "王五", "王小丫", "孙女", "女", "2005-01-01", "500111200501010000", "", "在家", "", ""],
            [None, "王五", "张无名", "其他", "男", datetime.date(2010, 5, 5), "", "", "在家", "留守儿童", ""],
            [None, "孙大圣", "赵六", "子", "男", "1999-09-09", "", "", "在家", "", ""],
            [],
            ["合计", None, "共3户 9人", None, None, None, None, None, None, None, None],
        ],
        merge_group=[(0, 3), (5, 6), (7, 11)],
    )
    two = Sheet(
        name="二组",
        title_rows=["玉峰村村民信息台账（二组）"],
        rows=[
            [
                "二组",
                "周一",
                "周一",
                "户主",
                "男",
                "1965-09-09",
                zhou_yi_spaced(),
                "135 1111 2222",
                "在家",
                "党员",
                "",
            ],
            [None, "周一", "周二", "配偶", "女", "1966-10-10", "", "", "死亡", "", ""],
            [None, "周一", "周三", "次子", "男", "1985-07-08", LIU_XIAOJUN, "", "在家", "", ""],
            [
                "第三组",
                "吴七",
                "吴七",
                "户主",
                "男",
                "1950-01-01",
                id18("19500101", "071"),
                "",
                "在家",
                "",
                "",
            ],
            [None, "吴七", "吴八", "子", "男", "1975-01-01", id18("19750101", "081"), "", "在家", "", ""],
            [2, "郑九", "郑九", "户主", "男", "", registered_elsewhere, "", "在家", "", ""],
            [2, "郑九", "郑十", "配偶", "女", "1961-01-01", id18("19610101", "102"), "", "在家", "", ""],
        ],
        merge_group=[(0, 2), (3, 4)],
    )
    return [one, two]


def source_rows(registered_elsewhere: str) -> list[SourceRow]:
    """What the engine hands the importer: the row number as Excel shows it, merged cells filled."""
    out = []
    for sheet in sheets(registered_elsewhere):
        first = len(sheet.title_rows) + 2  # title rows, the header, then the data
        filled = [list(r) for r in sheet.rows]
        for start, end in sheet.merge_group:
            for i in range(start + 1, end + 1):
                filled[i][0] = filled[start][0]
        for index, cells in enumerate(filled):
            values = {key: (cells[i] if cells else None) for i, (key, _h) in enumerate(HEADERS)}
            out.append(SourceRow(sheet=sheet.name, row=first + index, values=values))
    return out


def xlsx(registered_elsewhere: str) -> bytes:
    """The same ledger as a workbook: title rows merged across, the header, group cells merged down, ID numbers
    as text except the destroyed one (a number), a date cell, an Excel serial number."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for sheet in sheets(registered_elsewhere):
        ws = book.create_sheet(sheet.name)
        width = len(HEADERS)
        for i, title in enumerate(sheet.title_rows, start=1):
            ws.cell(row=i, column=1, value=title)
            ws.merge_cells(start_row=i, start_column=1, end_row=i, end_column=width)
        header_row = len(sheet.title_rows) + 1
        for col, (_key, header) in enumerate(HEADERS, start=1):
            ws.cell(row=header_row, column=col, value=header)
        for index, cells in enumerate(sheet.rows):
            for col, value in enumerate(cells, start=1):
                if value is not None and value != "":
                    ws.cell(row=header_row + 1 + index, column=col, value=value)
        for start, end in sheet.merge_group:
            ws.merge_cells(
                start_row=header_row + 1 + start, start_column=1, end_row=header_row + 1 + end, end_column=1
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
