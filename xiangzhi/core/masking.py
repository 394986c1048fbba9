"""How personal numbers look on every page, API response and export unless a permitted user reveals one."""

MASK = "*"


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
