import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from xiangzhi.registry.idnumber import check_character, normalize_phone, parse_id_number


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_brief_vectors_are_valid(number):
    assert parse_id_number(number).number == number


def test_birth_date_and_sex_are_derived():
    parsed = parse_id_number("11010519491231002X")
    assert parsed.birth_date == datetime.date(1949, 12, 31)
    assert parsed.sex == "F"  # sequence 002 is even


def test_lowercase_x_and_spaces_are_normalised():
    assert parse_id_number(" 110105 19491231002x ").number == "11010519491231002X"


def test_full_width_input_from_a_chinese_keyboard_is_read_as_ascii():
    assert parse_id_number("１１０１０５１９４９１２３１００２Ｘ").number == "11010519491231002X"
    assert normalize_phone("１３８　１２３４　５６７８") == "13812345678"
    assert normalize_phone("（０２３）４３７６１２３４") == "02343761234"


@pytest.mark.parametrize(
    "raw", ["11010519491231²02X", "1101051949123100٢X", "11010519491231①02X", "11010519490²31"]
)
def test_digits_other_than_0_to_9_are_refused_not_crashed_on(raw):
    # str.isdigit() is true for ², ① and Arabic-Indic digits; int() cannot read them all
    with pytest.raises(ValidationError) as exc:
        parse_id_number(raw)
    assert exc.value.code in {"id_characters", "id_length"}


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("11010519491231002", "id_length"),
        ("110105194912310021", "id_check"),
        ("110105194902300020", "id_birth_date"),  # 30 February
        ("1101051949123100AX", "id_characters"),
        ("5.00111E+17", "id_spreadsheet"),
        ("110105990230002", "id_birth_date"),  # 15-digit with an impossible date
    ],
)
def test_invalid_numbers_name_the_problem(raw, code):
    with pytest.raises(ValidationError) as exc:
        parse_id_number(raw)
    assert exc.value.code == code


def test_check_character_error_says_what_it_should_be():
    with pytest.raises(ValidationError) as exc:
        parse_id_number("110105194912310021")
    assert "X" in exc.value.messages[0]


def test_fifteen_digit_upgrade():
    # 15-digit: area 110105, birth 491231, sequence 002 → 18-digit with '19' and the check character.
    assert parse_id_number("110105491231002").number == "11010519491231002X"


dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=datetime.date(2025, 12, 31))


@given(birth=dates, seq=st.integers(0, 999), area=st.sampled_from(["110105", "500111", "440524", "999999"]))
def test_property_any_generated_number_round_trips(birth, seq, area):
    body = f"{area}{birth:%Y%m%d}{seq:03d}"
    parsed = parse_id_number(body + check_character(body))
    assert parsed.birth_date == birth
    assert parsed.sex == ("M" if seq % 2 else "F")


@given(birth=dates, seq=st.integers(0, 999), position=st.integers(0, 16), delta=st.integers(1, 9))
def test_property_any_single_digit_typo_is_caught(birth, seq, position, delta):
    body = f"500111{birth:%Y%m%d}{seq:03d}"
    number = body + check_character(body)
    typo = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    with pytest.raises(ValidationError):
        parse_id_number(typo)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("138 1234 5678", "13812345678"),
        ("+86-138-1234-5678", "13812345678"),
        ("023-4376 1234", "02343761234"),
    ],
)
def test_phone_normalisation(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["1381234567", "abc", "138123456789", "1381234567²", "138\x001234567"])
def test_bad_phones_are_refused(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)
