"""Registry template filters: an ID number grouped for reading, a phone's place in the call order in words."""

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

register = template.Library()

_CALL_ORDER = [
    gettext_lazy("first contact"),
    gettext_lazy("second contact"),
    gettext_lazy("third contact"),
    gettext_lazy("fourth contact"),
    gettext_lazy("fifth contact"),
]


@register.filter
def call_order(priority) -> str:
    """A phone's place in its resident's call order as the card says it: 第一联系人, 第二联系人 …"""
    try:
        place = int(priority)
    except (TypeError, ValueError):
        return ""
    if 1 <= place <= len(_CALL_ORDER):
        return str(_CALL_ORDER[place - 1])
    return _("contact %(n)d") % {"n": place}


@register.filter
def id_grouped(value: str | None) -> str:
    """An 18-character ID number as it is read aloud: area, birth date, sequence and check (`500111 19940301
    5412`); a 15-digit one as area, birth date, sequence; anything else as it is."""
    value = value or ""
    if len(value) == 18:
        return f"{value[:6]} {value[6:14]} {value[14:]}"
    if len(value) == 15:
        return f"{value[:6]} {value[6:12]} {value[12:]}"
    return value
