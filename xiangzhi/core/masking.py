"""How personal numbers look on every page, API response and export unless a permitted user reveals one."""

import re
import unicodedata

MASK = "*"
# Chinese numerals read out digit by digit (一三八…) are a number as much as 138…
_CHINESE_DIGITS = {ord(c): str(i) for i, c in enumerate("〇一二三四五六七八九")} | {ord("零"): "0"}
# What may sit between the digits of a number written to be read: spaces, dashes, dots, slashes, brackets.
_SEPARATORS = r"[\s\-./\\()\[\]_·•*+~]"
# A date (2024-05-06, 2024.5.6, 06/05/2024) is not a personal number, though it has eight digits.
_DATE = re.compile(
    r"(?<![0-9])(?:(?:19|20)[0-9]{2}[-./](?:0?[1-9]|1[0-2])[-./](?:0?[1-9]|[12][0-9]|3[01])"
    r"|(?:0?[1-9]|[12][0-9]|3[01])[-./](?:0?[1-9]|1[0-2])[-./](?:19|20)[0-9]{2})(?![0-9])"
)
# A phone or ID number: seven or more digits, up to three separators between two of them.
_NUMBER_IN_TEXT = re.compile(rf"(?<![0-9])[0-9](?:{_SEPARATORS}{{0,3}}[0-9]){{6,}}(?![0-9])")


def _as_plain_digits(text: str) -> str:
    """The text as the checks read it: NFKC (full-width digits and punctuation, ①, non-breaking and ideographic
    spaces become plain), every Unicode decimal digit (Arabic-Indic ٣, Devanagari ३ …) and Chinese numeral an
    ASCII digit, every dash a hyphen, invisible format characters (zero-width space, joiners) gone."""
    out = []
    for char in unicodedata.normalize("NFKC", text).translate(_CHINESE_DIGITS):
        category = unicodedata.category(char)
        if category == "Cf":
            continue
        digit = unicodedata.decimal(char, None)
        if digit is not None:
            out.append(str(digit))
        elif category == "Pd" or char == "\u2212":  # dashes and the minus sign
            out.append("-")
        else:
            out.append(char)
    return "".join(out)


def has_personal_number(text: str | None) -> bool:
    """Free text (notes, names of who answers, addresses, household and house numbers) must not carry a phone or
    ID number: there it would be stored and shown in clear, outside the encrypted, masked fields. Seven digits or
    more in a row, however written (full-width, Arabic-Indic, split by any space, dash, dot or slash), are one;
    dates and six-digit postcodes are not."""
    if not text:
        return False
    plain = _DATE.sub("#", _as_plain_digits(text))
    return bool(_NUMBER_IN_TEXT.search(plain))


def digit_runs(text: str | None) -> list[str]:
    """The runs of digits in a text however written (full-width, Arabic-Indic, split by separators), as ASCII."""
    if not text:
        return []
    plain = _as_plain_digits(text)
    return [
        re.sub(r"[^0-9Xx]", "", m.group(0))
        for m in re.finditer(rf"[0-9](?:{_SEPARATORS}{{0,3}}[0-9Xx])*", plain)
    ]


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
