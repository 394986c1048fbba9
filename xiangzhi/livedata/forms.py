"""The forms of a change request, one set of fields per kind, in plain words; the service checks them again."""

from django import forms
from django.utils.translation import gettext_lazy as _

from xiangzhi.core.forms import DateInput, ModelChoiceField
from xiangzhi.registry.choices import Relationship, Sex

from .choices import HOUSEHOLD_KINDS, Kind, Residence
from .services import MARRIAGE_RELATIONSHIPS, NEWBORN_RELATIONSHIPS, TRANSFER_RELATIONSHIPS

_BIG = {"class": "big"}


def _id_field(label, *, required: bool) -> forms.CharField:
    return forms.CharField(
        label=label, max_length=24, required=required, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )


class RequestForm(forms.Form):
    """`members` are the living members the request may be about (and, for a proxy filing, who asked)."""

    def __init__(
        self, *args, kind: str, members, proxy: bool, ids_allowed: bool = True, hidden=False, **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.kind = kind
        member_choices = [(str(r.pk), r.name) for r in members]
        if proxy:
            self.fields["asked_by"] = forms.ChoiceField(
                label=_("Who asked for this change"), choices=member_choices, widget=forms.RadioSelect
            )
        if kind not in HOUSEHOLD_KINDS:
            self.fields["resident"] = forms.ChoiceField(
                label=_("Who is it about"), choices=member_choices, widget=forms.RadioSelect
            )
        if kind == Kind.PHONE:
            self.fields["phone"] = forms.CharField(
                label=_("The new mobile number"),
                max_length=20,
                widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            )
        elif kind == Kind.ADDRESS:
            self.fields["address"] = forms.CharField(label=_("The new address"), max_length=200)
            self.fields["house_number"] = forms.CharField(
                label=_("House number (门牌号, optional)"), max_length=32, required=False
            )
        elif kind == Kind.MARRIAGE:
            self.fields["name"] = forms.CharField(label=_("Their name"), max_length=60)
            self.fields["relationship"] = forms.ChoiceField(
                label=_("They are the head's"),
                choices=[(v, label) for v, label in Relationship.choices if v in MARRIAGE_RELATIONSHIPS],
            )
            if ids_allowed:
                self.fields["id_number"] = _id_field(_("Their ID number"), required=True)
        elif kind == Kind.RESIDENCE:
            self.fields["residence_status"] = forms.ChoiceField(
                label=_("Where they live now"), choices=Residence.choices, widget=forms.RadioSelect
            )
            self.fields["where"] = forms.CharField(
                label=_("Where they work (city, for working away)"), max_length=100, required=False
            )
        elif kind == Kind.NEWBORN:
            self.fields["name"] = forms.CharField(label=_("The baby's name"), max_length=60)
            self.fields["sex"] = forms.ChoiceField(
                label=_("Boy or girl"),
                choices=[(Sex.MALE, _("Boy")), (Sex.FEMALE, _("Girl"))],
                widget=forms.RadioSelect,
            )
            self.fields["birth_date"] = forms.DateField(label=_("Date of birth"), widget=DateInput())
            self.fields["relationship"] = forms.ChoiceField(
                label=_("The baby is the head's"),
                choices=[
                    (value, label) for value, label in Relationship.choices if value in NEWBORN_RELATIONSHIPS
                ],
            )
        elif kind == Kind.DEATH:
            self.fields["died_on"] = forms.DateField(label=_("Date of death"), widget=DateInput())
            self.fields["note"] = forms.CharField(
                label=_("Anything to add (optional)"), max_length=200, required=False
            )
        elif kind == Kind.TRANSFER:
            self.fields["where"] = forms.CharField(
                label=_("Whose household they moved into (the head's name, village and group)"),
                max_length=100,
            )
            self.fields["relationship"] = forms.ChoiceField(
                label=_("They are that head's"),
                choices=[(v, label) for v, label in Relationship.choices if v in TRANSFER_RELATIONSHIPS],
            )
        elif kind == Kind.CORRECTION:
            self.fields["name"] = forms.CharField(
                label=_("The right name (leave empty if the name is right)"), max_length=60, required=False
            )
            if ids_allowed:
                self.fields["id_number"] = _id_field(
                    _("The right ID number (leave empty if it is right)"), required=False
                )
        if hidden:  # the confirmation page carries what was typed, unchanged
            for field in self.fields.values():
                field.widget = forms.HiddenInput()

    def data_for_service(self) -> dict:
        skip = {"asked_by", "resident"}
        return {k: v for k, v in self.cleaned_data.items() if k not in skip}


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("A photo of the ID card or household booklet (户口本)"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )


class HouseholdChoice(ModelChoiceField):
    def label_from_instance(self, obj):
        head = obj.head.name if obj.head_id else _("no head")
        return (
            f"{obj.village.name} {obj.group.name} · {obj.number} · {head} · {obj.address or obj.house_number}"
        )


class ApproveForm(forms.Form):
    """Approving a request: which parts (a correction, an address); for a move within the town, the household
    they moved into and how they are related to its head; for a request whose record changed, the confirmation
    that it replaces what is on record now."""

    def __init__(self, *args, parts: list[tuple[str, str]], targets=None, relationship="", stale=False, **kw):
        super().__init__(*args, **kw)
        if len(parts) > 1:
            self.fields["part"] = forms.MultipleChoiceField(
                label=_("Approve these parts"),
                choices=parts,
                initial=[p for p, _label in parts],
                widget=forms.CheckboxSelectMultiple,
            )
        if targets is not None:
            self.fields["target"] = HouseholdChoice(
                queryset=targets,
                label=_("The household they moved into"),
                empty_label=None,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose the household they moved into.")},
            )
            self.fields["relationship"] = forms.ChoiceField(
                label=_("Their relationship to its head"), choices=Relationship.choices, initial=relationship
            )
        if stale:
            self.fields["over_current"] = forms.BooleanField(
                label=_(
                    "I have checked with the family: replace what is on record now with what they asked for"
                ),
                error_messages={"required": _("Tick this to apply the request over the newer record.")},
            )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Why (the resident reads this)"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )
