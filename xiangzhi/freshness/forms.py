import datetime
from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.areas.selectors import groups_for, villages_for
from xiangzhi.core import forms as core_forms

from . import permissions as perms


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60, initial=_("Annual check"))
    village = core_forms.ModelChoiceField(queryset=None, label=_("Village"))
    groups = core_forms.ModelMultipleChoiceField(
        queryset=None,
        label=_("Only these groups"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None ticked: the whole village."),
    )
    starts_on = forms.DateField(label=_("From"), widget=core_forms.DateInput())
    ends_on = forms.DateField(label=_("Until"), widget=core_forms.DateInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["starts_on"].initial = today
        self.fields["ends_on"].initial = today + datetime.timedelta(days=60)
        village = cast(core_forms.ModelChoiceField, self.fields["village"])
        groups = cast(core_forms.ModelMultipleChoiceField, self.fields["groups"])
        village.queryset = villages_for(user=user, action=perms.RUN)
        groups.queryset = groups_for(user=user, action=perms.RUN).order_by("village", "number")
        groups.label_from_instance = lambda g: f"{g.village.name} {g.name}"  # type: ignore[method-assign,assignment]
