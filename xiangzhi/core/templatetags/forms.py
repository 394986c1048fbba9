"""Pieces of the shared form templates (`core/forms/*.html`): a label with the required mark."""

from django import forms, template
from django.utils.html import format_html
from django.utils.translation import gettext as _

register = template.Library()


def _is_required(field) -> bool:
    # a required checkbox would mean "must be ticked"; none of ours is, and a star there only confuses
    return field.field.required and not isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def marked_label(field):
    """The field's <label> (or <legend> for a group of choices), with a * when it is required."""
    contents = field.label
    if _is_required(field):
        contents = format_html('{} <abbr class="req" title="{}">*</abbr>', field.label, _("required"))
    return field.legend_tag(contents) if field.use_fieldset else field.label_tag(contents)


@register.filter
def has_required(form) -> bool:
    return any(_is_required(f) and not f.is_hidden for f in form)
