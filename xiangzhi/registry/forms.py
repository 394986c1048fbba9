"""Registry forms: they validate input and hand it to services; they never save models themselves."""

from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from xiangzhi.areas.models import Village, VillageGroup
from xiangzhi.areas.selectors import villages_for
from xiangzhi.core.forms import DateInput, ModelChoiceField, ModelMultipleChoiceField
from xiangzhi.core.permissions import can

from . import permissions as perms
from . import selectors
from .choices import LIVING_RESIDENCE_CHOICES, MembershipEnd, PhoneHolder, Relationship, Sex
from .models import FlagType, Household
from .services import FlagInput, PhoneInput
from .templatetags.registry_tags import call_order

PHONE_SLOTS = 3


class HouseholdForm(forms.Form):
    group = ModelChoiceField(label=_("village group"), queryset=VillageGroup.objects.none())
    number = forms.CharField(label=_("household number (户号)"), max_length=32)
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    house_number = forms.CharField(label=_("house number (门牌号)"), max_length=32, required=False)
    latitude = forms.DecimalField(
        label=_("latitude (WGS-84)"),
        max_digits=9,
        decimal_places=6,
        required=False,
        min_value=-90,
        max_value=90,
    )
    longitude = forms.DecimalField(
        label=_("longitude (WGS-84)"),
        max_digits=9,
        decimal_places=6,
        required=False,
        min_value=-180,
        max_value=180,
    )

    def __init__(self, *args, user, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = VillageGroup.objects.restrict(user, perms.CHANGE).select_related(
            "village"
        )
        self.fields["group"].label_from_instance = lambda g: f"{g.village.name} {g.name}"
        if editing:
            del self.fields["number"]


class ResidentForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=60)
    relationship = forms.ChoiceField(label=_("relationship to the head"), choices=Relationship.choices)
    id_number = forms.CharField(
        label=_("ID number (身份证号)"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    no_id_reason = forms.CharField(
        label=_("no ID number because"),
        max_length=200,
        required=False,
        help_text=_("for example: a newborn not yet registered"),
    )
    sex = forms.ChoiceField(label=_("sex"), choices=[("", "—"), *Sex.choices], required=False)
    birth_date = forms.DateField(
        label=_("birth date"),
        required=False,
        widget=DateInput(),
        help_text=_("only without an ID number: the ID number gives the birth date"),
    )
    residence_status = forms.ChoiceField(label=_("residence status"), choices=LIVING_RESIDENCE_CHOICES)
    flags = ModelMultipleChoiceField(
        label=_("flags"),
        queryset=FlagType.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    disability_level = forms.TypedChoiceField(
        label=_("disability level"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + [(i, str(i)) for i in range(1, 5)],
    )
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, editing=False, phone_slots=PHONE_SLOTS, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["flags"].queryset = FlagType.objects.restrict(user, perms.VIEW)
        self.phone_slots = phone_slots
        for i in range(1, phone_slots + 1):
            self.fields[f"phone_{i}"] = forms.CharField(
                # the slots are the call order (第一联系人, 第二联系人 …), not a priority number to type
                label=_("phone of the %(order)s") % {"order": call_order(i)},
                max_length=20,
                required=False,
                widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            )
            self.fields[f"holder_{i}"] = forms.ChoiceField(
                label=_("who answers"), choices=PhoneHolder.choices, required=False
            )
            self.fields[f"holder_name_{i}"] = forms.CharField(
                label=_("answerer's name"), max_length=60, required=False
            )
        if editing:
            del self.fields["relationship"]
            self.fields["id_number"].help_text = _("leave empty to keep the number on record")
        if not can(user, perms.REVEAL_ID):
            # No field for what the user may not see (shop clerks, grid workers); the service ignores an ID
            # number from them anyway.
            del self.fields["id_number"]

    def phone_inputs(self) -> list[PhoneInput]:
        phones = []
        for i in range(1, self.phone_slots + 1):
            number = self.cleaned_data.get(f"phone_{i}", "").strip()
            if number:
                phones.append(
                    PhoneInput(
                        number=number,
                        holder=self.cleaned_data.get(f"holder_{i}") or "self",
                        holder_name=self.cleaned_data.get(f"holder_name_{i}", ""),
                        priority=i,
                    )
                )
        return phones

    def flag_inputs(self) -> list[FlagInput]:
        level = self.cleaned_data.get("disability_level")
        return [FlagInput(flag=f, level=level if f.has_level else None) for f in self.cleaned_data["flags"]]

    def identity(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "sex": data.get("sex") or "",
            "birth_date": data.get("birth_date"),
            "id_number": (data.get("id_number") or "").strip() or None,
            "no_id_reason": data.get("no_id_reason", ""),
            "residence_status": data["residence_status"],
            "notes": data.get("notes", ""),
        }


class MembershipEndForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("reason"),
        choices=[
            (c, label)
            for c, label in MembershipEnd.choices
            if c in (MembershipEnd.DECEASED, MembershipEnd.MOVED_OUT, MembershipEnd.REMOVED)
        ],
    )
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class _TargetHouseholdForm(forms.Form):
    """Names another household by its number, and its village when the user reaches several (a number is unique
    in its village only)."""

    number_field: str
    village = ModelChoiceField(
        label=_("in village"), queryset=Village.objects.none(), required=False, empty_label=_("any of mine")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        villages = villages_for(user=user)
        cast(ModelChoiceField, self.fields["village"]).queryset = villages
        if len(villages) < 2:
            del self.fields["village"]

    def clean(self):
        data = super().clean()
        number = data.get(self.number_field)
        if number is None:
            return data
        try:
            data[self.number_field] = selectors.household_target(
                user=self.user, number=number, village=data.get("village")
            )
        except Household.DoesNotExist:
            self.add_error(self.number_field, _("No household with this number in your area."))
        except Household.MultipleObjectsReturned:
            self.add_error(
                "village", _("Households of several villages have this number: choose the village.")
            )
        return data


class MoveForm(_TargetHouseholdForm):
    number_field = "household_number"
    household_number = forms.CharField(label=_("move to household number"), max_length=32)
    relationship = forms.ChoiceField(
        label=_("relationship to that household's head"), choices=Relationship.choices
    )
    field_order = ["household_number", "village", "relationship"]


class ChangeHeadForm(forms.Form):
    def __init__(self, *args, card, **kwargs):
        super().__init__(*args, **kwargs)
        members = card.members
        self.fields["new_head"] = forms.ChoiceField(
            label=_("new head"), choices=[(m.resident.pk, m.resident.name) for m in members]
        )
        for m in members:
            self.fields[f"rel_{m.resident.pk}"] = forms.ChoiceField(
                label=_("%(name)s's relationship to the new head") % {"name": m.resident.name},
                choices=Relationship.choices,
                initial=m.relationship,
                required=False,
            )

    def relationships(self) -> dict[int, str]:
        return {int(k[4:]): v for k, v in self.cleaned_data.items() if k.startswith("rel_") and v}


class SplitForm(forms.Form):
    """分户: the chosen members leave for a new household; relationships can be restated there with "change head"."""

    number = forms.CharField(label=_("new household number"), max_length=32)
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    house_number = forms.CharField(label=_("house number (门牌号)"), max_length=32, required=False)

    def __init__(self, *args, card, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(m.resident.pk, m.resident.name) for m in card.members]
        self.fields["members"] = forms.TypedMultipleChoiceField(
            label=_("members who leave"), choices=choices, coerce=int, widget=forms.CheckboxSelectMultiple
        )
        self.fields["new_head"] = forms.TypedChoiceField(
            label=_("head of the new household"), choices=choices, coerce=int
        )

    def clean(self):
        data = super().clean()
        if data.get("new_head") and data.get("members") and data["new_head"] not in data["members"]:
            self.add_error("new_head", _("The new head must be one of the members who leave."))
        return data

    def member_relationships(self) -> dict[int, str]:
        head = self.cleaned_data["new_head"]
        return {
            pk: Relationship.HEAD if pk == head else Relationship.OTHER for pk in self.cleaned_data["members"]
        }


class MergeForm(_TargetHouseholdForm):
    number_field = "source_number"
    source_number = forms.CharField(
        label=_("household number to merge into this one"),
        max_length=32,
        help_text=_(
            "Its members join this household; restate their relationships afterwards with “change head”."
        ),
    )


class FlagTypeForm(forms.Form):
    code = forms.SlugField(
        label=_("flag code"),
        max_length=32,
        help_text=_("letters, digits and _ ; used by exports and the API"),
    )
    name = forms.CharField(label=_("flag name"), max_length=40)
    emergency = forms.BooleanField(label=_("highlight in an emergency"), required=False)
    has_level = forms.BooleanField(label=_("has a level"), required=False)
    sort = forms.IntegerField(label=_("order"), min_value=0, max_value=999, initial=0)

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]
