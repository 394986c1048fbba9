"""How personal numbers look on every page, API response and export unless a permitted user reveals one."""

import re

MASK = "*"
# A phone or ID number in free text: seven or more digits in a row (spaces allowed between them), a mobile
# written 138-1234-5678, a landline 023-43761234. Dates (2024-05-06) and postcodes (6 digits) are not caught.
_NUMBER_IN_TEXT = re.compile(
    r"(?<![0-9])(?:[0-9](?: ?[0-9]){6,}|1[3-9][0-9]-[0-9]{4}-?[0-9]{4}|0[0-9]{2,3}-[0-9]{7,8})(?![0-9])"
)


def has_personal_number(text: str | None) -> bool:
    """Free text (notes, names of who answers) must not carry a phone or ID number: there it would be stored
    and shown in clear, outside the encrypted, masked fields."""
    return bool(text and _NUMBER_IN_TEXT.search(text))


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    if len(value) == 18:
        return value[:6] + MASK * 8 + value[-4:]
    return value[:3] + MASK * max(len(value) - 5, 1) + value[-2:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    if len(value) == 11:
        return value[:3] + MASK * 4 + value[-4:]
    if len(value) <= 4:
        return MASK * len(value)
    return MASK * (len(value) - 4) + value[-4:]
