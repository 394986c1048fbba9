"""Free text shown in clear must not carry a phone or ID number, however it is written."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiangzhi.core.masking import has_personal_number

# Each digit 0-9 in the forms a keyboard, an input method or a paste can give.
DIGIT_FORMS = [
    "0123456789",
    "０１２３４５６７８９",  # full-width
    "٠١٢٣٤٥٦٧٨٩",  # Arabic-Indic
    "۰۱۲۳۴۵۶۷۸۹",  # Extended Arabic-Indic (Persian)
    "०१२३४५६७८९",  # Devanagari
    "〇一二三四五六七八九",  # Chinese numerals read digit by digit
    "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",  # mathematical bold
]
SEPARATORS = [
    " ",
    "\u00a0",  # non-breaking space
    "\u3000",  # ideographic space
    "\u2009",  # thin space
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\ufeff",  # zero-width no-break space
    "-",
    "\u2013",  # en dash
    "\u2014",  # em dash
    "\uff0d",  # full-width hyphen-minus
    "\u2212",  # minus sign
    ".",
    "\uff0e",  # full-width full stop
    "/",
    "\uff0f",  # full-width solidus
    "\t",
]

phones = st.from_regex(r"\A1[3-9][0-9]{9}\Z")
landlines = st.from_regex(r"\A0[0-9]{2,3}[0-9]{7,8}\Z")
id_numbers = st.from_regex(r"\A[1-6][0-9]{16}[0-9X]\Z")


@st.composite
def written_out(draw, numbers):
    """A number as someone might type it: each digit in any form, any mix of separators between digits."""
    number = draw(numbers)
    out = []
    for i, char in enumerate(number):
        if i:
            out.append("".join(draw(st.lists(st.sampled_from(SEPARATORS), max_size=2))))
        out.append(draw(st.sampled_from(DIGIT_FORMS))[int(char)] if char.isdigit() else char)
    return (
        draw(st.sampled_from(["", "电话", "儿子 ", "备注："]))
        + "".join(out)
        + draw(st.sampled_from(["", "号", " 打"]))
    )


@given(written_out(st.one_of(phones, landlines, id_numbers)))
def test_a_number_however_written_is_caught(text):
    assert has_personal_number(text)


@pytest.mark.parametrize(
    "text",
    [
        "１３８１２３４５６７８",
        "١٣٨١٢٣٤٥٦٧٨",
        "138\u00a01234\u00a05678",
        "138\u200b1234\u200b5678",
        "138–1234–5678",
        "138－1234－5678",
        "138.1234.5678",
        "138/1234/5678",
        "(023) 4376 1234",
        "一三八一二三四五六七八",
    ],
)
def test_a_number_written_to_get_past_the_check_is_caught(text):
    assert has_personal_number(text)


@given(
    st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2099, 12, 31)),
    st.sampled_from(["%Y-%m-%d", "%Y.%m.%d", "%Y/%m/%d", "%d/%m/%Y", "%Y年%m月%d日", "%Y-%-m-%-d"]),
)
def test_dates_pass(day, pattern):
    text = day.strftime(pattern)
    assert not has_personal_number(text)
    assert not has_personal_number(f"{text}至{text}")


@pytest.mark.parametrize(
    "text",
    [
        "邮编 409000",
        "A-001",
        "12号",
        "玉峰村1组12号",
        "3口人，种了5亩地",
        "2024年5月6日",
        "二〇二四年五月六日",
    ],
)
def test_everyday_text_passes(text):
    assert not has_personal_number(text)
