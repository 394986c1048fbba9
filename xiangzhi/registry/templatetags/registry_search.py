"""`{% marked text hit "name" %}`: a search hit's field with the part the query matched in <mark>."""

from django import template
from django.utils.html import escape, format_html

register = template.Library()


@register.simple_tag
def marked(text, hit, field: str):
    """The text, escaped, with the span `hit.marks[field]` (see `search.highlights`) wrapped in <mark>."""
    text = "" if text is None else str(text)
    span = hit.marks.get(field) if hit is not None else None
    if not span:
        return escape(text)
    start, end = span
    return format_html("{}<mark>{}</mark>{}", text[:start], text[start:end], text[end:])
