"""Resident ID numbers (GB 11643): validation, 15→18-digit upgrade, birth date and sex.

The area code is not checked against a list: it is the one valid when the number was issued, and codes change.
"""

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
_SCIENTIFIC = re.compile(r"^[0-9](\.[0-9]+)?[eE]\+?[0-9]+$")
_DIGITS = re.compile(r"[0-9]+")


# A Chinese input method types full-width forms (１２３Ｘ, ＋８６, （０２３）): they become ASCII.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}


def _fold(raw: str) -> str:
    """Full-width characters become ASCII and spaces go; anything else (², ①) stays and is refused."""
    return re.sub(r"\s", "", (raw or "").translate(_HALF_WIDTH))


def is_ascii_digits(value: str) -> bool:
    """0-9 only, at least one: str.isdigit() also accepts ², ① and other digits int() cannot read. Used for every
    number a user or a URL hands us (ID and phone numbers, record ids, division codes, search queries)."""
    return _DIGITS.fullmatch(value) is not None


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: datetime.date
    sex: str  # "M" or "F"


def check_character(first17: str) -> str:
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def _birth_date(digits: str) -> datetime.date:
    try:
        born = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise ValidationError(
            _("The birth date in the ID number (%(date)s) is not a real date."),
            code="id_birth_date",
            params={"date": digits},
        ) from None
    if born.year < 1850 or born > datetime.date.today():
        raise ValidationError(
            _("The birth date in the ID number (%(date)s) is impossible."),
            code="id_birth_date",
            params={"date": born.isoformat()},
        )
    return born


def parse_id_number(raw: str) -> IdNumber:
    """Validate and normalise an ID number, raising ValidationError that names what is wrong."""
    value = _fold(raw).upper()
    if _SCIENTIFIC.match(value):
        raise ValidationError(
            _(
                "This looks like an ID number destroyed by a spreadsheet (%(value)s); enter all 18 characters."
            ),
            code="id_spreadsheet",
            params={"value": value},
        )
    if len(value) == 15:
        if not is_ascii_digits(value):
            raise ValidationError(_("A 15-digit ID number has digits only."), code="id_characters")
        body = value[:6] + "19" + value[6:]
        born = _birth_date(body[6:14])
        value = body + check_character(body)
    elif len(value) == 18:
        if not (is_ascii_digits(value[:17]) and (is_ascii_digits(value[17]) or value[17] == "X")):
            raise ValidationError(
                _("An ID number has 17 digits followed by a digit or X."), code="id_characters"
            )
        born = _birth_date(value[6:14])
        expected = check_character(value[:17])
        if value[17] != expected:
            raise ValidationError(
                _(
                    "The check character is wrong: it should be %(expected)s, not %(given)s. Look for a mistyped digit."
                ),
                code="id_check",
                params={"expected": expected, "given": value[17]},
            )
    else:
        raise ValidationError(
            _("An ID number has 18 characters (or 15 for an old one); this one has %(length)d."),
            code="id_length",
            params={"length": len(value)},
        )
    sex = "M" if int(value[16]) % 2 == 1 else "F"
    return IdNumber(number=value, birth_date=born, sex=sex)


def normalize_phone(raw: str) -> str:
    """Digits only; a mainland mobile keeps 11 digits, a landline keeps its area code (7 to 12 digits)."""
    value = re.sub(r"[\-()]", "", _fold(raw))
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    if not is_ascii_digits(value):
        raise ValidationError(_("A phone number has digits only."), code="phone_characters")
    if value.startswith("1"):
        if len(value) != 11:
            raise ValidationError(
                _("A mobile number has 11 digits; this one has %(length)d."),
                code="phone_length",
                params={"length": len(value)},
            )
    elif not 7 <= len(value) <= 12:
        raise ValidationError(
            _("A landline number has 7 to 12 digits with its area code."), code="phone_length"
        )
    return value
