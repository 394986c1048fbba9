"""Form pieces every app's forms and filtersets share."""

from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext_noop

# Django's forms translate their label suffix (":") and the marks after which they add none (":?.!"), but its
# zh_Hans catalogue keeps them half-width. Listed here so that our catalogue, read first, holds the full-width
# "：" for every form's labels, Django's own forms included.
# Translators: the suffix after each form field's label.
gettext_noop(":")
# Translators: the marks after which a label gets no suffix; add the full-width ones.
gettext_noop(":?.!")


class DateInput(forms.DateInput):
    """An <input type=date>. Its value must be an ISO date (YYYY-MM-DD) whatever the page language: the browser
    shows a localized zh-Hans date (2026/10/28) as empty, and saving the form then erases the date."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):
        super().__init__(attrs, format=format)


def _pk_in_range(field, value) -> bool:
    """Whether `value` can name a row of the field's queryset without reaching the database: an integer key must
    be ASCII digits within the column's range. Django's `pk__in` (ModelMultipleChoiceField) sends any integer on
    as is, and SQLite raises OverflowError (a 500) for one beyond 64 bits; a negative or huge id is no choice."""
    key = field.to_field_name or "pk"
    model_field = field.queryset.model._meta.pk if key == "pk" else field.queryset.model._meta.get_field(key)
    if model_field.get_internal_type() not in _INTEGER_FIELDS:
        return True
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 20:  # int() refuses over 4,300 digits
        return False
    low, high = connection.ops.integer_field_range(model_field.get_internal_type())
    return (low is None or int(text) >= low) and (high is None or int(text) <= high)


_INTEGER_FIELDS = {
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
}


class ModelChoiceField(forms.ModelChoiceField):
    """Django's field, but a key that no row could have (`-1`, `99999999999999999999`, `1.5`) is an invalid choice
    before any query. Every form of the project uses this one (a test walks the forms)."""

    def to_python(self, value):
        if (
            value not in self.empty_values
            and not isinstance(value, getattr(self.queryset, "model", ()))
            and not _pk_in_range(self, value)
        ):
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's field with `ModelChoiceField`'s check on each key; the same key twice is one choice."""

    def clean(self, value):
        for pk in value if isinstance(value, list | tuple) else ():
            if isinstance(pk, str | int) and not _pk_in_range(self, pk):
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super().clean(value)


class FormRenderer(DjangoTemplates):
    """Every form of the platform (`{{ form }}`, Django's own forms too) is drawn by the same two templates: a
    summary of the errors at the top, each a link to its field; required fields marked; each field's message under
    its own label, the field `aria-invalid` and `aria-describedby` its message; sections as fieldsets when the form
    declares them (`SectionedForm`). `core/static/core/forms.js` focuses the summary after a failed submit."""

    form_template_name = "core/forms/form.html"
    field_template_name = "core/forms/field.html"


@dataclass(frozen=True)
class Section:
    """A fieldset of a form: its legend and its fields by name, in order; a tuple of names is one row kept together
    (a phone, who answers it and their name). `rest=True` takes the fields the form names in no section, so a field
    added to a form shows up in its section without touching a template. `more`: the label of a button that
    reveals the form's rows one at a time (rows after the first empty one stay hidden until asked for; without
    JavaScript every row shows)."""

    legend: str
    fields: tuple = ()
    rest: bool = False
    more: str = ""


@dataclass
class Row:
    fields: list
    show_when: tuple[str, str] | None = None  # (the controlling field's name, the values, space-separated)

    @property
    def grouped(self) -> bool:
        return len(self.fields) > 1


@dataclass
class Fieldset:
    legend: str
    rows: list[Row] = field(default_factory=list)
    more: str = ""


class SectionedForm(forms.Form):
    """A form drawn in sections (`sections`), with fields shown only while another has one of some values
    (`show_when = {"disability_level": ("flags", ["3"])}`: JavaScript hides the row otherwise; without it the
    field always shows). A form without sections is drawn as one list of fields."""

    sections: tuple[Section, ...] = ()
    show_when: dict[str, tuple[str, list[str]]]

    def fieldsets(self) -> list[Fieldset]:
        named = {
            n
            for s in self.sections
            for item in s.fields
            for n in (item if isinstance(item, tuple) else (item,))
        }
        rest = [n for n, f in self.fields.items() if n not in named and not f.widget.is_hidden]
        show_when = getattr(self, "show_when", {})
        result = []
        for section in self.sections:
            items = list(section.fields) + (rest if section.rest else [])
            rows = []
            for item in items:
                names = [n for n in (item if isinstance(item, tuple) else (item,)) if n in self.fields]
                if not names:
                    continue
                when = show_when.get(names[0])
                rows.append(
                    Row(
                        fields=[self[n] for n in names],
                        show_when=(when[0], " ".join(str(v) for v in when[1])) if when else None,
                    )
                )
            if rows:
                result.append(Fieldset(legend=section.legend, rows=rows, more=section.more))
        return result
