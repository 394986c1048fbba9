from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.core import forms as core_forms
from xiangzhi.registry.models import FlagType


class PhotoSlots(forms.Widget):
    """Three file inputs under one name, each opening the phone's back camera (`capture="environment"`): a
    camera takes one picture per tap, so one `multiple` input would attach one photo at most."""

    template_name = "visits/_photo_slots.html"
    needs_multipart_form = True
    slots = 3

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        base = context["widget"]["attrs"].get("id") or f"id_{name}"
        context["widget"]["slots"] = [(f"{base}_{n}", n + 1) for n in range(self.slots)]
        attrs = context["widget"]["attrs"]
        context["widget"]["describedby"] = attrs.get("aria-describedby", "")
        context["widget"]["invalid"] = attrs.get("aria-invalid", "")
        return context

    def id_for_label(self, id_):
        return f"{id_}_0" if id_ else id_

    def value_from_datadict(self, data, files, name):
        return [f for f in files.getlist(name) if f]

    def value_omitted_from_data(self, data, files, name):
        return name not in files

    def format_value(self, value):
        return None  # a file input is never filled in again


class PhotosField(forms.Field):
    widget = PhotoSlots

    def clean(self, value):
        value = [f for f in value or [] if f]
        if len(value) > PhotoSlots.slots:
            raise forms.ValidationError(_("At most three photos for one visit."))
        return value


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=_("Date of the visit"), widget=core_forms.DateInput())
    notes = forms.CharField(
        label=_("What was found"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    cleared = forms.MultipleChoiceField(
        label=_("No longer so (take the flag away)"), required=False, widget=forms.CheckboxSelectMultiple
    )
    raise_member = forms.ChoiceField(label=_("Newly found: who"), required=False)
    raise_flag = core_forms.ModelChoiceField(queryset=None, label=_("Newly found: flag"), required=False)
    raise_level = forms.IntegerField(label=_("Level"), required=False, min_value=1, max_value=4)
    photos = PhotosField(
        label=_("Photos (up to 3)"),
        required=False,
        help_text=_("Only who may read this household's visits sees them."),
    )

    def __init__(self, *args, members, flags, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = {str(r.pk): r for r in members}
        self.fields["visited_on"].initial = timezone.localdate()
        cast(forms.MultipleChoiceField, self.fields["cleared"]).choices = [
            (f"{f.resident_id}:{f.flag_id}", f"{f.resident.name} · {f.flag.name}")
            for r in members
            for f in r.flags.all()
        ]
        cast(forms.ChoiceField, self.fields["raise_member"]).choices = [("", "—")] + [
            (str(r.pk), r.name) for r in members
        ]
        cast(core_forms.ModelChoiceField, self.fields["raise_flag"]).queryset = flags

    def clean(self):
        data = super().clean() or {}
        if bool(data.get("raise_member")) != bool(data.get("raise_flag")):
            raise forms.ValidationError(_("To add a flag, choose both the person and the flag."))
        return data

    def findings(self) -> dict:
        """The service's `raised` and `cleared` from the form's answers."""
        flags = (
            {
                f.pk: f
                for f in FlagType.objects.unrestricted("the town's own flags, chosen on the form").filter(
                    town_id=next(iter(self.members.values())).town_id
                )
            }
            if self.members
            else {}
        )
        cleared = []
        for key in self.cleaned_data.get("cleared") or []:
            resident_id, flag_id = key.split(":")
            cleared.append((self.members[resident_id], flags[int(flag_id)]))
        raised = []
        if self.cleaned_data.get("raise_member"):
            raised.append(
                (
                    self.members[self.cleaned_data["raise_member"]],
                    self.cleaned_data["raise_flag"],
                    self.cleaned_data.get("raise_level"),
                )
            )
        return {"raised": raised, "cleared": cleared}


class PolicyForm(forms.Form):
    every_days = forms.IntegerField(
        label=_("Visit at least every (days)"), required=False, min_value=1, max_value=366
    )
