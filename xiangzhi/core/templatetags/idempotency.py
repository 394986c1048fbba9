"""`{% idempotency_field %}`: a page form's one-time token, claimed by `core.idempotency.idempotent_form`."""

from django import template
from django.utils.html import format_html

from ..idempotency import FORM_FIELD, new_form_token

register = template.Library()


@register.simple_tag
def idempotency_field():
    return format_html('<input type="hidden" name="{}" value="{}">', FORM_FIELD, new_form_token())
