from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from xiangzhi.areas.selectors import groups_for, villages_for
from xiangzhi.core import forms as core_forms

from . import permissions as perms


class NoticeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=80)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}))
    village = core_forms.ModelChoiceField(
        queryset=None, label=_("For"), required=False, empty_label=_("The whole town")
    )
    groups = core_forms.ModelMultipleChoiceField(
        queryset=None,
        label=_("Only these groups"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: the whole village."),
    )
    sms = forms.BooleanField(
        label=_("Also text each household head (their first own number)"), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        village = cast(core_forms.ModelChoiceField, self.fields["village"])
        groups = cast(core_forms.ModelMultipleChoiceField, self.fields["groups"])
        village.queryset = villages_for(user=user, action=perms.PUBLISH)
        groups.queryset = groups_for(user=user, action=perms.PUBLISH).order_by("village", "number")
        groups.label_from_instance = lambda g: f"{g.village.name} {g.name}"  # type: ignore[method-assign,assignment]
