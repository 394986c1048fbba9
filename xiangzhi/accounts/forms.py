from typing import cast

from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from xiangzhi.areas.models import Village, VillageGroup
from xiangzhi.areas.selectors import groups_for, villages_for
from xiangzhi.core.forms import ModelChoiceField, ModelMultipleChoiceField
from xiangzhi.core.permissions import ROLE_LEVEL, Level, Role

from .services import RoleInput


class ServicePasswordChangeForm(PasswordChangeForm):
    """Django's form for the checks; the save goes through accounts.services."""

    def save(self, commit=True):
        from .services import user_change_password

        return user_change_password(user=self.user, new_password=self.cleaned_data["new_password1"])


class VillageGroupsField(ModelMultipleChoiceField):
    """Every village has its 1组: a group is named with its village."""

    def label_from_instance(self, obj: VillageGroup) -> str:
        return f"{obj.village.name} {obj.name}"


class RolesForm(forms.Form):
    """The roles an account holds; the village is for a cadre, the groups for a grid worker."""

    roles = forms.MultipleChoiceField(
        label=_("roles"),
        choices=[
            (r.value, r.label) for r in Role if ROLE_LEVEL[r] in (Level.TOWN, Level.VILLAGE, Level.GROUPS)
        ],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one role.")},
    )
    village = ModelChoiceField(
        label=_("village (for a village cadre)"), queryset=Village.objects.none(), required=False
    )
    groups = VillageGroupsField(
        label=_("village groups (for a grid worker)"), queryset=VillageGroup.objects.none(), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        village = cast(ModelChoiceField, self.fields["village"])
        groups = cast(ModelMultipleChoiceField, self.fields["groups"])
        village.queryset = villages_for(user=user)
        groups.queryset = groups_for(user=user)

    def role_inputs(self) -> list[RoleInput]:
        data = self.cleaned_data
        return [
            RoleInput(
                role,
                village=data["village"] if ROLE_LEVEL[role] is Level.VILLAGE else None,
                groups=tuple(data["groups"]) if ROLE_LEVEL[role] is Level.GROUPS else (),
            )
            for role in data["roles"]
        ]


class UserCreateForm(RolesForm):
    username = forms.CharField(label=_("username"), max_length=150)
    display_name = forms.CharField(label=_("display name"), max_length=60, required=False)
    password = forms.CharField(label=_("initial password"), widget=forms.PasswordInput, min_length=8)

    field_order = ["username", "display_name", "password", "roles", "village", "groups"]


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
