from typing import cast

from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from xiangzhi.registry.models import Village, VillageGroup

from .choices import Role


class ServicePasswordChangeForm(PasswordChangeForm):
    """Django's form for the checks; the save goes through accounts.services."""

    def save(self, commit=True):
        from .services import user_change_password

        return user_change_password(user=self.user, new_password=self.cleaned_data["new_password1"])


class VillageGroupsField(forms.ModelMultipleChoiceField):
    """Every village has its 1组: a group is named with its village."""

    def label_from_instance(self, obj: VillageGroup) -> str:
        return f"{obj.village.name} {obj.name}"


class UserCreateForm(forms.Form):
    username = forms.CharField(label=_("username"), max_length=150)
    display_name = forms.CharField(label=_("display name"), max_length=60, required=False)
    role = forms.ChoiceField(label=_("role"), choices=[c for c in Role.choices if c[0] != Role.RESIDENT])
    village = forms.ModelChoiceField(label=_("village"), queryset=Village.objects.none(), required=False)
    groups = VillageGroupsField(
        label=_("village groups"), queryset=VillageGroup.objects.none(), required=False
    )
    password = forms.CharField(label=_("initial password"), widget=forms.PasswordInput, min_length=8)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        village = cast(forms.ModelChoiceField, self.fields["village"])
        groups = cast(forms.ModelMultipleChoiceField, self.fields["groups"])
        village.queryset = Village.objects.restrict(user, "view")
        groups.queryset = VillageGroup.objects.restrict(user, "view").select_related("village")


class UserManageForm(forms.Form):
    """One of the administrator's actions on an account; a new password only for the reset."""

    action = forms.ChoiceField(
        choices=[
            ("unlock", _("Unlock")),
            ("reset_password", _("Set a temporary password")),
            ("deactivate", _("Deactivate")),
            ("activate", _("Activate")),
        ],
        widget=forms.HiddenInput,
    )
    password = forms.CharField(
        label=_("temporary password"), widget=forms.PasswordInput, min_length=8, required=False
    )

    def clean(self):
        super().clean()
        data = self.cleaned_data
        if data.get("action") == "reset_password" and not data.get("password"):
            self.add_error("password", _("Enter the temporary password to tell the user."))
        return data
