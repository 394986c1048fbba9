"""Registry forms: they validate input and hand it to services; they never save models themselves."""

from typing import cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.areas.models import Village, VillageGroup
from xiangzhi.areas.selectors import villages_for
from xiangzhi.core.forms import DateInput, ModelChoiceField, ModelMultipleChoiceField, Section, SectionedForm
from xiangzhi.core.permissions import can

from . import permissions as perms
from . import selectors, services
from .choices import (
    ADD_MEMBER_CHOICES,
    LIVING_RESIDENCE_CHOICES,
    MembershipEnd,
    PhoneHolder,
    Relationship,
    Sex,
)
from .models import FlagType, Household
from .services import FlagInput, PhoneInput
from .templatetags.registry_tags import call_order

PHONE_SLOTS = 3


class HouseholdForm(forms.Form):
    group = ModelChoiceField(label=_("village group"), queryset=VillageGroup.objects.none())
    number = forms.CharField(
        label=_("household number (户号)"),
        max_length=32,
        required=False,
        help_text=_(
            "leave empty: the system gives the group's next free number (village code, group, sequence: 00108016)"
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
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

    def clean(self):
        data = super().clean()
        if data.get("number", "").strip() and data.get("group"):
            try:
                services.household_number_check(group=data["group"], number=data["number"])
            except forms.ValidationError as exc:
                self.add_error(None, exc)
        return data


def _relationship_choices():
    """No relationship is preselected: a wrong default (a new member saved as 子) is a wrong record nobody sees."""
    return [("", _("— choose —")), *Relationship.choices]


class ResidentForm(SectionedForm):
    """A member of a household, in sections. A field added to the form and named in no section lands in the
    residence section (`rest=True`)."""

    name = forms.CharField(label=_("name"), max_length=60)
    relationship = forms.ChoiceField(label=_("relationship to the head"), choices=_relationship_choices)
    # no default: a birth, a marriage and a move into the town are counted apart (人口变动)
    start_reason = forms.ChoiceField(
        label=_("why they join"),
        choices=[("", "—"), *ADD_MEMBER_CHOICES],
    )
    id_number = forms.CharField(
        label=_("ID number (身份证号)"),
        max_length=40,
        required=False,
        # forms.js fills sex and birth date from a typed number (the rule of idnumber.py) and says when the
        # birth date entered disagrees; the service checks the same on save.
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "inputmode": "text",
                "data-id-number": "",
                "data-sex-field": "id_sex",
                "data-birth-field": "id_birth_date",
                "data-mismatch": _("The birth date does not match the ID number."),
            }
        ),
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
        flags = FlagType.objects.restrict(user, perms.VIEW)
        self.fields["flags"].queryset = flags
        # 残疾等级 only while a flag with a level (残疾, or any the town configured so) is ticked
        self.show_when = {"disability_level": ("flags", [f.pk for f in flags if f.has_level])}
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
            del self.fields["start_reason"]
            self.fields["id_number"].help_text = _("leave empty to keep the number on record")
        if not can(user, perms.REVEAL_ID):
            # No field for what the user may not see (shop clerks, grid workers); the service ignores an ID
            # number from them anyway.
            del self.fields["id_number"]
        self.sections = (
            Section(
                _("Identity"), ("name", "relationship", "id_number", "no_id_reason", "sex", "birth_date")
            ),
            Section(_("Residence"), ("residence_status",), rest=True),
            Section(
                _("Contact phones"),
                tuple((f"phone_{i}", f"holder_{i}", f"holder_name_{i}") for i in range(1, phone_slots + 1)),
                more=_("Add a phone"),
            ),
            Section(_("Flags"), ("flags", "disability_level")),
        )

    def phone_inputs(self) -> list[PhoneInput]:
        phones = []
        self.phone_slots_used = []
        for i in range(1, self.phone_slots + 1):
            number = self.cleaned_data.get(f"phone_{i}", "").strip()
            if number:
                self.phone_slots_used.append(i)
                phones.append(
                    PhoneInput(
                        number=number,
                        holder=self.cleaned_data.get(f"holder_{i}") or "self",
                        holder_name=self.cleaned_data.get(f"holder_name_{i}", ""),
                        priority=i,
                    )
                )
        return phones

    def place_error(self, name: str, errors) -> bool:
        """The service names a bad phone by its place in the list it was given ("2: …"): put the message on the
        slot it came from."""
        if name != "phones":
            return False
        used = getattr(self, "phone_slots_used", [])
        for message in (m for e in errors for m in e.messages):
            index, _sep, text = message.partition(": ")
            if index.isdigit() and 0 < int(index) <= len(used):
                self.add_error(f"phone_{used[int(index) - 1]}", text)
            else:
                self.add_error(None, message)
        return True

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
    """死亡 / 迁出: no reason is preselected and the date is asked for; the page then asks to confirm with the
    person's name (`confirmed` is set by that second step)."""

    reason = forms.ChoiceField(
        label=_("reason"),
        choices=[("", _("— choose —"))]
        + [
            (c, label)
            for c, label in MembershipEnd.choices
            if c in (MembershipEnd.DECEASED, MembershipEnd.MOVED_OUT, MembershipEnd.REMOVED)
        ],
    )
    date = forms.DateField(label=_("date"), widget=DateInput(), help_text=_("the day of the death or move"))
    note = forms.CharField(label=_("note"), max_length=200, required=False)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError(_("The date cannot be in the future."))
        return date

    def confirmation(self, resident) -> str:
        """ "确认：张三 死亡，日期 2026-11-29" — what the second step asks the user to confirm."""
        data = self.cleaned_data
        return _("Confirm: %(name)s %(what)s, date %(date)s") % {
            "name": resident.name,
            "what": _END_WORDS[data["reason"]],
            "date": data["date"].isoformat(),
        }


_END_WORDS = {
    MembershipEnd.DECEASED: _("died"),
    MembershipEnd.MOVED_OUT: _("moved out of the town"),
    MembershipEnd.REMOVED: _("is removed from the household"),
}


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


ADULT_AGE = 18
_LEAVING_FIRST = {
    Relationship.SON,
    Relationship.DAUGHTER,
    Relationship.GRANDSON,
    Relationship.GRANDDAUGHTER,
    Relationship.SIBLING,
}


def _member_label(m) -> str:
    """张三（45岁，子）: who is who when choosing who leaves and who heads the new household."""
    age = m.resident.age
    details = [_("%(age)d years") % {"age": age}] if age is not None else []
    return _("%(name)s (%(details)s)") % {
        "name": m.resident.name,
        "details": _(", ").join([*details, str(m.relationship_label)]),
    }


class SplitForm(forms.Form):
    """分户: the chosen members leave for a new household; relationships can be restated there with "change head".
    The new household's number is proposed (the group's next free one) and may be typed over in the pattern; an
    adult who is not the present head is proposed as its head."""

    number = forms.CharField(
        label=_("new household number"),
        max_length=32,
        required=False,  # empty: the next free number, as when the proposal is kept
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("proposed by the system; you may type another one of the same form"),
    )
    proposed_number = forms.CharField(required=False, widget=forms.HiddenInput)
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    house_number = forms.CharField(label=_("house number (门牌号)"), max_length=32, required=False)
    field_order = ["members", "new_head", "number", "address", "house_number"]

    def __init__(self, *args, card, **kwargs):
        super().__init__(*args, **kwargs)
        self.card = card
        household = card.household
        choices = [(m.resident.pk, _member_label(m)) for m in card.members]
        self.fields["members"] = forms.TypedMultipleChoiceField(
            label=_("members who leave"), choices=choices, coerce=int, widget=forms.CheckboxSelectMultiple
        )
        self.fields["new_head"] = forms.TypedChoiceField(
            label=_("head of the new household"), choices=[("", _("— choose —")), *choices], coerce=int
        )
        # who usually leaves to head a household of their own: an adult child (the eldest first, as the card
        # lists them), else another adult; never the present head, the spouse only when nobody else is adult
        adults = [
            m
            for m in card.members
            if m.resident.pk != household.head_id and (m.resident.age or 0) >= ADULT_AGE
        ]
        adults.sort(
            key=lambda m: (m.relationship == Relationship.SPOUSE, m.relationship not in _LEAVING_FIRST)
        )
        if adults:
            self.fields["new_head"].initial = adults[0].resident.pk
        try:
            proposed = services.household_number_next(group=household.group)
        except forms.ValidationError:
            proposed = ""
        self.fields["number"].initial = self.fields["proposed_number"].initial = proposed
        self.order_fields(self.field_order)

    def clean(self):
        data = super().clean()
        head = data.get("new_head")
        if head and data.get("members") and head not in data["members"]:
            self.add_error("new_head", _("The new head must be one of the members who leave."))
        member = next((m for m in self.card.members if m.resident.pk == head), None)
        if member is not None and member.resident.age is not None and member.resident.age < ADULT_AGE:
            self.add_error("new_head", _("The head of a new household must be an adult."))
        number = data.get("number", "").strip()
        if number and number != data.get("proposed_number"):
            try:
                services.household_number_check(group=self.card.household.group, number=number)
            except forms.ValidationError as exc:
                self.add_error(None, exc)
        return data

    def number_to_use(self) -> str:
        """The proposal untouched is taken afresh when saving (race-safe, `household_create`); a typed one as is."""
        number = self.cleaned_data["number"].strip()
        return "" if number == self.cleaned_data.get("proposed_number") else number

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


class CertificateForm(forms.Form):
    purpose = forms.CharField(
        label=_("what the certificate is for"),
        max_length=100,
        help_text=_("It is printed as “此证明用于…”, e.g. 办理子女入学."),
    )
    size = forms.ChoiceField(label=_("paper size"), choices=[("A4", "A4"), ("A6", "A6")], initial="A4")


class LedgerExportForm(forms.Form):
    """The ledger export (台账): the file's format, and — for who may — full numbers with the reason why."""

    format = forms.ChoiceField(
        label=_("file format"),
        choices=[("xlsx", _("Excel workbook (.xlsx), one sheet per group")), ("csv", _("CSV, one file"))],
        initial="xlsx",
        widget=forms.RadioSelect,
    )
    unmasked = forms.BooleanField(
        label=_("full ID and phone numbers and birth dates (not masked)"),
        required=False,
        help_text=_(
            "the file leaves the system: every full number is in it. The export is logged with its reason."
        ),
    )
    reason = forms.CharField(
        label=_("reason for full numbers"),
        max_length=200,
        required=False,
        help_text=_("required for full numbers, e.g. 'the civil affairs office's 2026 subsidy check'"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not can(user, perms.EXPORT_UNMASKED):
            del self.fields["unmasked"]
            del self.fields["reason"]

    def clean(self):
        data = super().clean()
        if data.get("unmasked") and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the file needs full numbers: the reason is logged."))
        return data
