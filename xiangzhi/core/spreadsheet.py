"""Cells written into spreadsheets we hand out (CSV, .xlsx): text that Excel or WPS would run as a formula is
neutralised, for every export of every app (OWASP "CSV injection")."""

# What starts a formula in Excel, LibreOffice or WPS, or smuggles one in after a tab or carriage return.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel's own way of saying "this is text": an apostrophe before it, which the cell does not show as part of it.
TEXT_PREFIX = "'"


def neutralise(value):
    """The cell as written: text that would start a formula gets an apostrophe in front; numbers, dates and
    other text are left as they are (a phone mask such as `138****5678` is plain text)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return TEXT_PREFIX + value
    return value


def restore(text: str) -> str:
    """The text `neutralise` was given back (for a reader of our own exports): the apostrophe goes when it stands
    before a formula start, and only then."""
    if text.startswith(TEXT_PREFIX) and text[1:2] and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text
