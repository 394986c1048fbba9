"""Reading the cells of a village ledger (台账) as cadres write them: pure functions, no database.

Each function takes a cell as the import engine read it (text, a number, a date, or None) and answers the value the
registry stores, `None` for an empty cell, `MASKED` for a value a masked export hid (`500111********8260`,
`138****1234`: "not given, keep what is on record", never an error), or raises `ValidationError` saying what is
wrong. Nothing here guesses: an ID number a spreadsheet turned into a number has lost its last digits and is refused.
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, Protocol, TypeVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..choices import Relationship, ResidenceStatus, Sex
from ..idnumber import IdNumber, normalize_phone, parse_id_number


class _Masked:
    def __repr__(self) -> str:
        return "MASKED"


MASKED: Final = _Masked()
MASK_CHARS = "*＊"
_SPACES = re.compile(r"\s+")


def text(cell: Any) -> str:
    """A cell as text: full-width letters and digits folded (NFKC), spaces at the ends removed; an integral float
    (how a spreadsheet keeps 3 or 1958) without its `.0`."""
    if type(cell) is str:
        return cell.strip() if cell.isascii() else unicodedata.normalize("NFKC", cell).strip()
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    if isinstance(cell, datetime.datetime | datetime.date):
        return cell.isoformat()
    return unicodedata.normalize("NFKC", str(cell)).strip()


def _compact(cell: Any) -> str:
    return _SPACES.sub("", text(cell))


def is_masked(cell: Any) -> bool:
    return isinstance(cell, str) and any(c in cell for c in MASK_CHARS)


# ------------------------------------------------------------------------------------------------ groups

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_GROUP = re.compile(r"^第?(?P<n>[0-9]+|[零〇一二两三四五六七八九十]+)(?:村民小组|村民组|小组|组|社|队)?$")


def chinese_number(word: str) -> int | None:
    """一 … 九十九 (十二, 二十, 二十三, 两), or None."""
    if not word or any(c not in _CN_DIGITS and c != "十" for c in word):
        return None
    if "十" not in word:
        if len(word) != 1:
            return None
        return _CN_DIGITS[word]
    tens, _sep, ones = word.partition("十")
    if "十" in ones or len(tens) > 1 or len(ones) > 1:
        return None
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def group_number(cell: Any) -> int | None:
    """The group's number as cadres write it: `3组`, `三组`, `第3村民小组`, `03`, `第三组`, `3`, 3.0; None when
    the cell names no number."""
    word = _compact(cell)
    match = _GROUP.match(word)
    if not match:
        return None
    n = match["n"]
    return int(n) if n.isdigit() else chinese_number(n)


class GroupLike(Protocol):
    number: int
    name: str


G = TypeVar("G", bound=GroupLike)


def match_group(cell: Any, groups: Sequence[G]) -> G | None:
    """The village's group a cell names: by its name as set up (`8组`, `石岭一社`), else by its number."""
    word = _compact(cell)
    if not word:
        return None
    for group in groups:
        if _group_name(group.name) == word:
            return group
    number = group_number(word)
    if number is None:
        return None
    return next((g for g in groups if g.number == number), None)


@functools.lru_cache(maxsize=4096)
def _group_name(name: str) -> str:
    return _compact(name)


# ------------------------------------------------------------------------------------------------ dates

# Excel counts days from 1899-12-30 (its 1900 leap-year bug folded in); the ledger's births lie after 1900.
_EXCEL_EPOCH = datetime.date(1899, 12, 30)
_DATE = re.compile(r"^(\d{4})\s*[.\-/年]\s*(\d{1,2})\s*[.\-/月]\s*(\d{1,2})\s*日?(?:[T\s].*)?$")
_YYYYMMDD = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def _date(year: int, month: int, day: int, raw: Any) -> datetime.date:
    try:
        value = datetime.date(year, month, day)
    except ValueError:
        raise ValidationError(_("%(value)s is not a real date.") % {"value": raw}, code="date") from None
    if value.year < 1850 or value > datetime.date.today():
        raise ValidationError(_("%(value)s is not a possible birth date.") % {"value": raw}, code="date")
    return value


def parse_date(cell: Any) -> datetime.date | None:
    """A date cell, an Excel serial number (21256), `1958.3.12`, `1958年3月12日`, `19580312`, `1958-03-12`,
    `1958/3/12`; None for an empty cell."""
    if cell is None or cell == "":
        return None
    if isinstance(cell, datetime.datetime):
        return _date(cell.year, cell.month, cell.day, cell.date().isoformat())
    if isinstance(cell, datetime.date):
        return _date(cell.year, cell.month, cell.day, cell.isoformat())
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        if 10_000_000 <= cell <= 99_999_999 and float(cell).is_integer():
            return parse_date(str(int(cell)))
        if 1 <= cell < 200_000 and float(cell).is_integer():
            return _date_from_serial(int(cell))
        raise ValidationError(_("%(value)s is not a date.") % {"value": cell}, code="date")
    word = text(cell)
    if not word:
        return None
    match = _DATE.match(word) or _YYYYMMDD.match(word)
    if match:
        return _date(int(match[1]), int(match[2]), int(match[3]), word)
    raise ValidationError(
        _("%(value)s is not a date; write it as 1958-03-12.") % {"value": word}, code="date"
    )


def _date_from_serial(serial: int) -> datetime.date:
    value = _EXCEL_EPOCH + datetime.timedelta(days=serial)
    return _date(value.year, value.month, value.day, value.isoformat())


# ------------------------------------------------------------------------------------------------ ID numbers

_DIGITS_ONLY = re.compile(r"^[0-9]+$")


def _destroyed(value: Any) -> ValidationError:
    return ValidationError(
        _(
            "The ID number %(value)s was stored as a number by the spreadsheet and its last digits are lost; "
            "type it again as text from the ID card."
        )
        % {"value": value},
        code="id_spreadsheet",
    )


def parse_id(cell: Any) -> IdNumber | _Masked | None:
    """An ID number as typed (spaces, full-width digits, a lower-case x, 15-digit first-generation numbers are
    fine), MASKED, or None. Refused, never repaired: a number a spreadsheet kept as a number (a float, `5.00111E+17`,
    or 18 digits ending in `000` as Excel shows a number of more than 15 digits) and a wrong check character."""
    if cell is None or isinstance(cell, bool):
        return None
    if isinstance(cell, float):
        if cell.is_integer() and len(str(int(cell))) == 15:
            return parse_id_number(str(int(cell)))  # 15 digits survive a double exactly
        raise _destroyed(_float_text(cell))
    if isinstance(cell, int):
        if len(str(cell)) == 15:
            return parse_id_number(str(cell))
        raise _destroyed(cell)
    if is_masked(cell):
        return MASKED
    raw = str(cell)
    word = _compact(raw)
    if not word:
        return None
    if word.endswith(".0") and _DIGITS_ONLY.match(word[:-2]):
        raise _destroyed(word)
    if len(word) == 18 and _DIGITS_ONLY.match(word) and word.endswith("000"):
        # what a spreadsheet shows of a number of more than 15 digits — unless its check character is right, as
        # it is for a real number ending in 000 (about one in a thousand), typed as text: then it is kept, and
        # the importer warns (`ends_like_destroyed`)
        try:
            return parse_id_number(word)
        except ValidationError:
            raise _destroyed(word) from None
    return parse_id_number(word)


def ends_like_destroyed(number: str) -> bool:
    """An 18-digit number ending in 000: kept when its check character is right, but worth a look."""
    return len(number) == 18 and number.endswith("000")


def _float_text(value: float) -> str:
    return f"{value:.5E}" if abs(value) >= 1e15 else repr(value)


# ------------------------------------------------------------------------------------------------ phones

_PHONE_SEPARATORS = re.compile(r"[、,，/;；|]+")


def parse_phones(cell: Any) -> list[str] | _Masked | None:
    """Phone numbers in a cell, in the order written: dashes and spaces inside a number are fine (`138-1234-5678`,
    `023-4372 1234`), two numbers may share the cell (、 , / ; or a space between them). MASKED when one of them
    is masked; None for an empty cell."""
    if cell is None or isinstance(cell, bool):
        return None
    if isinstance(cell, float):
        if not cell.is_integer():
            raise ValidationError(_("%(value)s is not a phone number.") % {"value": cell}, code="phone")
        cell = int(cell)
    word = text(cell)
    if not word:
        return None
    if is_masked(word):
        return MASKED
    numbers: list[str] = []
    errors: list[str] = []
    for part in filter(None, (p.strip() for p in _PHONE_SEPARATORS.split(word))):
        for number in _split_spaced(part):
            try:
                numbers.append(normalize_phone(number))
            except ValidationError as exc:
                errors.append(f"{number}: {exc.messages[0]}")
    if errors:
        raise ValidationError("; ".join(errors), code="phone")
    return list(dict.fromkeys(numbers))


def _split_spaced(part: str) -> list[str]:
    """`138 1234 5678` is one number with spaces; `13812345678 13987654321` two."""
    pieces = part.split()
    if len(pieces) == 1:
        return pieces
    try:
        normalize_phone(part)
    except ValidationError:
        return pieces
    return [part]


# ------------------------------------------------------------------------------------------------ words

RELATIONSHIP_WORDS: dict[str, str] = {
    **dict.fromkeys(("本人", "户主", "本户", "户长"), Relationship.HEAD),
    **dict.fromkeys(
        ("妻", "妻子", "夫", "丈夫", "配偶", "爱人", "老伴", "之妻", "之夫"), Relationship.SPOUSE
    ),
    **dict.fromkeys(
        ("子", "儿子", "长子", "次子", "三子", "四子", "五子", "独生子", "养子", "继子", "之子"),
        Relationship.SON,
    ),
    **dict.fromkeys(
        ("女", "女儿", "长女", "次女", "三女", "四女", "五女", "独生女", "养女", "继女", "之女"),
        Relationship.DAUGHTER,
    ),
    **dict.fromkeys(("孙子", "孙", "长孙", "次孙", "外孙", "外孙子"), Relationship.GRANDSON),
    **dict.fromkeys(("孙女", "长孙女", "次孙女", "外孙女"), Relationship.GRANDDAUGHTER),
    **dict.fromkeys(("父", "父亲", "爸爸"), Relationship.FATHER),
    **dict.fromkeys(("母", "母亲", "妈妈"), Relationship.MOTHER),
    **dict.fromkeys(("儿媳", "媳妇", "儿媳妇", "长媳", "次媳"), Relationship.DAUGHTER_IN_LAW),
    **dict.fromkeys(("女婿", "婿"), Relationship.SON_IN_LAW),
    **dict.fromkeys(("祖父", "爷爷", "外祖父"), Relationship.GRANDFATHER),
    **dict.fromkeys(("祖母", "奶奶", "外祖母"), Relationship.GRANDMOTHER),
    **dict.fromkeys(
        ("兄", "弟", "姐", "妹", "哥哥", "弟弟", "姐姐", "妹妹", "兄弟", "姐妹", "兄弟姐妹"),
        Relationship.SIBLING,
    ),
    **dict.fromkeys(
        ("其他", "其它", "其他亲属", "亲属", "侄子", "侄女", "外甥", "外甥女"), Relationship.OTHER
    ),
}
# The registry's own labels (what the export writes) read back as themselves.
for _value, _label in (
    ("head", "户主"),
    ("spouse", "配偶"),
    ("son", "子"),
    ("daughter", "女"),
    ("grandson", "孙子"),
    ("granddaughter", "孙女"),
    ("father", "父亲"),
    ("mother", "母亲"),
    ("daughter_in_law", "儿媳"),
    ("son_in_law", "女婿"),
    ("grandfather", "祖父"),
    ("grandmother", "祖母"),
    ("sibling", "兄弟姐妹"),
    ("other", "其他"),
):
    RELATIONSHIP_WORDS.setdefault(_label, _value)
    RELATIONSHIP_WORDS.setdefault(_value, _value)

SEX_WORDS = {
    "男": Sex.MALE,
    "男性": Sex.MALE,
    "M": Sex.MALE,
    "女": Sex.FEMALE,
    "女性": Sex.FEMALE,
    "F": Sex.FEMALE,
}

RESIDENCE_WORDS: dict[str, str] = {
    **dict.fromkeys(("在家", "在村", "在本地", "常住", "居家", "在"), ResidenceStatus.AT_HOME),
    **dict.fromkeys(
        ("外出务工", "务工", "外出", "打工", "外出打工", "在外务工", "人户分离", "外出经商"),
        ResidenceStatus.MIGRANT,
    ),
    **dict.fromkeys(
        ("外出就学", "上学", "就学", "读书", "在外读书", "外出上学", "求学"), ResidenceStatus.STUDYING
    ),
    **dict.fromkeys(("迁出", "已迁出", "户口迁出", "迁走"), ResidenceStatus.MOVED_OUT),
    **dict.fromkeys(("死亡", "已故", "去世", "已死亡", "病故", "亡故"), ResidenceStatus.DECEASED),
}
for _value, _label in ResidenceStatus.choices:
    RESIDENCE_WORDS.setdefault(_value, _value)


def _word(cell: Any) -> str:
    return re.sub(r"[\s()（）:：]", "", text(cell)).upper()


def parse_relationship(cell: Any) -> str | None:
    word = _word(cell)
    if not word:
        return None
    found = RELATIONSHIP_WORDS.get(word) or RELATIONSHIP_WORDS.get(word.lower())
    if found is None:
        raise ValidationError(
            _("%(value)s is not a relationship to the head the registry knows (户主, 配偶, 子, 女 …).")
            % {"value": text(cell)},
            code="relationship",
        )
    return found


def parse_sex(cell: Any) -> str | None:
    word = _word(cell)
    if not word:
        return None
    if word not in SEX_WORDS:
        raise ValidationError(_("%(value)s is not 男 or 女.") % {"value": text(cell)}, code="sex")
    return SEX_WORDS[word]


def parse_residence(cell: Any) -> str | None:
    word = _word(cell)
    if not word:
        return None
    found = RESIDENCE_WORDS.get(word) or RESIDENCE_WORDS.get(word.lower())
    if found is None:
        raise ValidationError(
            _("%(value)s is not a residence status (在家, 外出务工, 外出就学, 迁出, 死亡).")
            % {"value": text(cell)},
            code="residence",
        )
    return found


# ------------------------------------------------------------------------------------------------ flags


class FlagLike(Protocol):
    name: str
    has_level: bool


F = TypeVar("F", bound=FlagLike)


@dataclass(frozen=True)
class FlagValue(Generic[F]):
    flag: F
    level: int | None = None


_FLAG_SEPARATORS = re.compile(r"[、,，;；/|\s]+")
_LEVEL = re.compile(r"^(?P<name>.+?)[(（]?(?:(?P<n>[0-9]+)|(?P<cn>[一二三四五六七八九十]+))级?[)）]?$")


def parse_flags(cell: Any, flag_types: Iterable[F]) -> tuple[list[FlagValue[F]], list[str]]:
    """`低保、独居老人、残疾(二级)` → the town's flags by name with their level, and the words that name no flag
    of the town (the caller reports them; the flags it knows are kept)."""
    word = text(cell)
    if not word:
        return [], []
    by_name = {_compact(f.name): f for f in flag_types}
    found: dict[str, FlagValue[F]] = {}
    unknown: list[str] = []
    for item in filter(None, _FLAG_SEPARATORS.split(word)):
        key = re.sub(r"[()（）]", "", item) if item.endswith(("()", "（）")) else item
        flag = by_name.get(key)
        level = None
        if flag is None:
            match = _LEVEL.match(item)
            if match and match["name"].rstrip("(（") in by_name:
                flag = by_name[match["name"].rstrip("(（")]
                level = int(match["n"]) if match["n"] else chinese_number(match["cn"])
        if flag is None:
            unknown.append(item)
            continue
        found[_compact(flag.name)] = FlagValue(flag, level if flag.has_level else None)
    return list(found.values()), unknown


def has_content(values: dict[str, Any]) -> bool:
    return any(v is not None and v != "" and text(v) for v in values.values())


SUBTOTAL_WORDS = ("合计", "小计", "总计", "共计", "本页合计", "统计")
_SUBTOTAL_START = (*SUBTOTAL_WORDS, "共")


def is_subtotal(values: dict[str, Any]) -> bool:
    """A subtotal or total row (合计 / 小计 / 共 … 户 … 人) at the bottom of a sheet: said in one of the first columns."""
    for key in ("group", "household_number", "head_name", "name", "house_number", "address"):
        value = values.get(key)
        if value is None or value == "" or not isinstance(value, str):
            continue
        word = _compact(value)
        if not word or not word.startswith(_SUBTOTAL_START):
            continue
        if (
            word.startswith(SUBTOTAL_WORDS)
            or re.fullmatch(r"共[0-9]+户.*", word)
            or re.fullmatch(r"共[0-9]+人", word)
        ):
            return True
    return False
