"""Accounts: one role each, and the part of the town the role covers."""

from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import roles
from .choices import Role


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.RESIDENT)
    town = models.ForeignKey(
        "registry.Town", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("town")
    )
    village = models.ForeignKey(
        "registry.Village", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("village")
    )
    village_groups = models.ManyToManyField(
        "registry.VillageGroup", blank=True, verbose_name=_("village groups")
    )
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    must_change_password = models.BooleanField(_("must change password"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def can(self, action: str) -> bool:
        return roles.can(self, action)

    @cached_property
    def scope_group_ids(self) -> list[int]:
        return list(self.village_groups.values_list("pk", flat=True))

    @cached_property
    def scope_village_ids(self) -> list[int]:
        return list(self.village_groups.values_list("village_id", flat=True).distinct())
