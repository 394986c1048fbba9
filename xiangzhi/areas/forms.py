"""Town set-up forms; they validate input and hand it to `areas.services`."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import VillageKind


class VillageForm(forms.Form):
    name = forms.CharField(label=_("name of the village or community"), max_length=60)
    kind = forms.ChoiceField(label=_("kind"), choices=VillageKind.choices)
    code = forms.CharField(
        label=_("statistical division code"),
        max_length=12,
        required=False,
        help_text=_("12 digits, optional"),
    )


class GroupForm(forms.Form):
    number = forms.IntegerField(label=_("number"), min_value=1, max_value=999)
    name = forms.CharField(
        label=_("group name"), max_length=60, required=False, help_text=_("for example: 3组")
    )
