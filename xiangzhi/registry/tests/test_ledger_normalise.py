"""Reading a ledger's cells: every way cadres write a group, a date, an ID or phone number, a word."""

import datetime
from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from xiangzhi.registry.idnumber import check_character
from xiangzhi.registry.ledger import normalise as norm
from xiangzhi.registry.tests.factories import make_id

CN = "零一二三四五六七八九"


def cn(n: int) -> str:
    if n < 10:
        return CN[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN[tens]) + "十" + (CN[ones] if ones else "")


@dataclass
class G:
    number: int
    name: str


GROUPS = [G(1, "1组"), G(3, "3组"), G(12, "12组"), G(7, "石岭七社")]


@pytest.mark.parametrize(
    "cell", ["3组", "三组", "第3村民小组", "03", "第三组", "3", 3, 3.0, " 3 组 ", "３组", "第3组"]
)
def test_every_spelling_of_group_three(cell):
    assert norm.match_group(cell, GROUPS).number == 3


def test_a_group_by_its_own_name_and_a_group_the_village_lacks():
    assert norm.match_group("石岭七社", GROUPS).number == 7
    assert norm.match_group("十二组", GROUPS).number == 12
    assert norm.match_group("第五组", GROUPS) is None
    assert norm.match_group("东头", GROUPS) is None
    assert norm.match_group("", GROUPS) is None


@given(st.integers(min_value=1, max_value=99))
def test_group_numbers_in_digits_and_in_chinese(n):
    for word in (f"{n}组", f"第{n}村民小组", f"{n:02d}", f"第{cn(n)}组", f"{cn(n)}组", str(n)):
        assert norm.group_number(word) == n, word


@pytest.mark.parametrize(
    "cell",
    [
        datetime.date(1958, 3, 12),
        datetime.datetime(1958, 3, 12, 0, 0),
        21256,  # Excel's serial number
        21256.0,
        "1958.3.12",
        "1958年3月12日",
        "19580312",
        19580312,
        "1958-03-12",
        "1958/3/12",
        "1958-03-12 00:00:00",
        "１９５８．３．１２",
    ],
)
def test_every_way_of_writing_a_birth_date(cell):
    assert norm.parse_date(cell) == datetime.date(1958, 3, 12)


@given(st.dates(min_value=datetime.date(1900, 3, 1), max_value=datetime.date(2025, 12, 31)))
def test_dates_round_trip_through_each_format(day):
    serial = (day - datetime.date(1899, 12, 30)).days
    for cell in (
        day,
        serial,
        f"{day:%Y.%m.%d}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day:%Y%m%d}",
        f"{day.year}/{day.month}/{day.day}",
    ):
        assert norm.parse_date(cell) == day, cell


@pytest.mark.parametrize("cell", ["1958.2.30", "1958.3", "明年", "3000-01-01", 19581332])
def test_impossible_dates_are_refused(cell):
    with pytest.raises(ValidationError):
        norm.parse_date(cell)


def test_empty_cells_are_none():
    for reader in (
        norm.parse_date,
        norm.parse_id,
        norm.parse_phones,
        norm.parse_sex,
        norm.parse_relationship,
        norm.parse_residence,
    ):
        assert reader(None) is None
        assert reader("") is None
        assert reader("  ") is None


ID = "11010519491231002X"


@pytest.mark.parametrize(
    "cell",
    [
        ID,
        ID.lower(),
        " 110105 19491231 002X ",
        "１１０１０５１９４９１２３１００２Ｘ",
        "110105 1949 1231 002x",
        "110105491231002",
    ],
)
def test_id_numbers_as_typed(cell):
    parsed = norm.parse_id(cell)
    assert parsed.number == ID
    assert parsed.birth_date == datetime.date(1949, 12, 31)
    assert parsed.sex == "F"


@given(
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(1999, 12, 31)),
    st.integers(min_value=0, max_value=999),
)
def test_fifteen_digit_numbers_become_eighteen_with_their_check_character(born, seq):
    old = f"500111{born:%y%m%d}{seq:03d}"
    upgraded = norm.parse_id(old).number
    assert upgraded == f"500111{born:%Y%m%d}{seq:03d}" + check_character(f"500111{born:%Y%m%d}{seq:03d}")
    assert norm.parse_id(int(old)).number == upgraded  # 15 digits survive a number cell


@pytest.mark.parametrize(
    "cell",
    [
        5.00111e17,
        500111199001011234,
        "5.00111E+17",
        "5.00111e+17",
        "500111199001010000",
        "500111199001011234.0",
        500111199001011234.0,
    ],
)
def test_id_numbers_a_spreadsheet_destroyed_are_refused_never_guessed(cell):
    with pytest.raises(ValidationError) as caught:
        norm.parse_id(cell)
    assert caught.value.code == "id_spreadsheet"


@given(st.integers(min_value=10**17, max_value=10**18 - 1))
def test_any_eighteen_digit_number_cell_is_refused(number):
    with pytest.raises(ValidationError):
        norm.parse_id(float(number))
    with pytest.raises(ValidationError):
        norm.parse_id(number)


def test_a_real_number_ending_in_000_typed_as_text_is_kept():
    # its check character is right (a cut-short number's is right only one time in eleven; the importer warns)
    assert norm.parse_id("500111197604216000").number == "500111197604216000"
    assert norm.ends_like_destroyed("500111197604216000")
    with pytest.raises(ValidationError):
        norm.parse_id(500111197604216000)  # as a number cell it is refused all the same


def test_a_wrong_check_character_is_refused():
    good = make_id(datetime.date(1990, 1, 1))
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    with pytest.raises(ValidationError) as caught:
        norm.parse_id(bad)
    assert caught.value.code == "id_check"


@pytest.mark.parametrize("cell", ["500111********8260", "500111＊＊＊＊＊＊＊＊8260", "5001**"])
def test_a_masked_id_number_keeps_what_is_on_record(cell):
    assert norm.parse_id(cell) is norm.MASKED


@pytest.mark.parametrize(
    ("cell", "numbers"),
    [
        ("13812345678", ["13812345678"]),
        (13812345678, ["13812345678"]),
        (13812345678.0, ["13812345678"]),
        ("138-1234-5678", ["13812345678"]),
        ("138 1234 5678", ["13812345678"]),
        ("13812345678、13987654321", ["13812345678", "13987654321"]),
        ("13812345678,13987654321", ["13812345678", "13987654321"]),
        ("13812345678，13987654321", ["13812345678", "13987654321"]),
        ("13812345678/13987654321", ["13812345678", "13987654321"]),
        ("13812345678;13987654321", ["13812345678", "13987654321"]),
        ("13812345678 13987654321", ["13812345678", "13987654321"]),
        ("023-43721234", ["02343721234"]),
        ("(023)43721234", ["02343721234"]),
        ("138-1234-5678、023-4372 1234", ["13812345678", "02343721234"]),
        ("+86 138 1234 5678", ["13812345678"]),
        ("13812345678、13812345678", ["13812345678"]),
    ],
)
def test_phone_cells(cell, numbers):
    assert norm.parse_phones(cell) == numbers


def test_masked_and_bad_phones():
    assert norm.parse_phones("138****1234") is norm.MASKED
    assert norm.parse_phones("13812345678、139****1234") is norm.MASKED
    with pytest.raises(ValidationError):
        norm.parse_phones("1381234567")
    with pytest.raises(ValidationError):
        norm.parse_phones("打他儿子")


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("本人", "head"),
        ("户主", "head"),
        ("妻", "spouse"),
        ("配偶", "spouse"),
        ("丈夫", "spouse"),
        ("夫", "spouse"),
        ("长子", "son"),
        ("次子", "son"),
        ("儿子", "son"),
        ("子", "son"),
        ("长女", "daughter"),
        ("女儿", "daughter"),
        ("女", "daughter"),
        ("孙子", "grandson"),
        ("孙女", "granddaughter"),
        ("父亲", "father"),
        ("母亲", "mother"),
        ("儿媳", "daughter_in_law"),
        ("媳妇", "daughter_in_law"),
        ("女婿", "son_in_law"),
        ("兄", "sibling"),
        ("弟", "sibling"),
        ("姐", "sibling"),
        ("妹", "sibling"),
        ("祖父", "grandfather"),
        ("祖母", "grandmother"),
        ("其他", "other"),
        (" 长 子 ", "son"),
    ],
)
def test_relationship_words(word, value):
    assert norm.parse_relationship(word) == value


def test_unknown_words_are_refused_with_the_word():
    with pytest.raises(ValidationError, match="邻居"):
        norm.parse_relationship("邻居")
    with pytest.raises(ValidationError):
        norm.parse_sex("未知")
    with pytest.raises(ValidationError):
        norm.parse_residence("不详")


@pytest.mark.parametrize(("word", "value"), [("男", "M"), ("女", "F"), ("男性", "M"), ("女性", "F")])
def test_sex_words(word, value):
    assert norm.parse_sex(word) == value


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("在家", "at_home"),
        ("外出务工", "migrant"),
        ("务工", "migrant"),
        ("外出", "migrant"),
        ("外出就学", "studying"),
        ("上学", "studying"),
        ("迁出", "moved_out"),
        ("死亡", "deceased"),
        ("已故", "deceased"),
    ],
)
def test_residence_words(word, value):
    assert norm.parse_residence(word) == value


@dataclass(frozen=True)
class F:
    name: str
    has_level: bool = False


FLAGS = [F("低保"), F("独居老人"), F("残疾", True), F("特困")]


def test_a_flags_cell_with_levels_and_a_word_the_town_does_not_use():
    found, unknown = norm.parse_flags("低保、独居老人、残疾(二级)，五保户", FLAGS)
    assert [(f.flag.name, f.level) for f in found] == [("低保", None), ("独居老人", None), ("残疾", 2)]
    assert unknown == ["五保户"]
    for cell in ("残疾2级", "残疾（2级）", "残疾(2)", "残疾二级"):
        assert [(f.flag.name, f.level) for f in norm.parse_flags(cell, FLAGS)[0]] == [("残疾", 2)], cell
    assert norm.parse_flags("", FLAGS) == ([], [])


def test_subtotal_rows():
    assert norm.is_subtotal({"group": "合计", "name": None})
    assert norm.is_subtotal({"name": "共3户 9人"})
    assert norm.is_subtotal({"name": "小计：12人"})
    assert not norm.is_subtotal({"name": "共青"})  # a name, not a count
    assert not norm.is_subtotal({"name": "张三", "group": "3组"})
