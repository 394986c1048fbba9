"""Accounts, and the roles each holds: one assignment per role, each with its own part of the town."""

import unicodedata
from functools import cached_property

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from xiangzhi.core import permissions
from xiangzhi.core.models import Town
from xiangzhi.core.permissions import Assignment, Role
from xiangzhi.core.scoping import RestrictedQuerySet, Scope


def username_skeleton(name: str) -> str:
    """What a name looks like: NFKC-folded, lower case, without invisible characters and separators, with the
    characters that pass for one another on a small screen read as one (0/o, 1/i/l). Two names with one skeleton
    are one name."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    folded = "".join(c for c in folded if unicodedata.category(c) not in ("Cf", "Zs", "Cc"))
    return folded.translate(str.maketrans("01i", "oll", "_-."))


class UserQuerySet(RestrictedQuerySet):
    pass


class RestrictedUserManager(UserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True


class User(AbstractUser):
    town = models.ForeignKey(
        Town, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("town"), related_name="+"
    )
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    must_change_password = models.BooleanField(_("must change password"), default=False)
    # what the username looks like (accounts.services.username_skeleton): unique, so a look-alike of an existing
    # name ("ａｄｍｉｎ", "adm1n") cannot be made, even by two administrators at once
    username_key = models.CharField(max_length=150, unique=True, null=True, blank=True, editable=False)

    objects = RestrictedUserManager()  # type: ignore[misc]  # AbstractUser declares it a ClassVar
    scope = Scope(town="town")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def save(self, *args, **kwargs):
        self.username_key = username_skeleton(self.username)
        if kwargs.get("update_fields") is not None and "username" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "username_key"}
        super().save(*args, **kwargs)

    def can(self, action: str) -> bool:
        return permissions.can(self, action)

    @cached_property
    def role_assignments(self) -> list[Assignment]:
        """The roles this account holds with their scopes, read once per request (one query)."""
        if not self.pk:
            return []
        rows: dict[int, dict] = {}
        for pk, role, village_id, object_id, group_id, group_village_id in self.roles.order_by(
            "pk"
        ).values_list("pk", "role", "village_id", "object_id", "groups__id", "groups__village_id"):
            row = rows.setdefault(
                pk, {"role": role, "village_id": village_id, "object_id": object_id, "g": set(), "v": set()}
            )
            if group_id is not None:
                row["g"].add(group_id)
                row["v"].add(group_village_id)
        return [
            Assignment(
                role=r["role"],
                village_id=r["village_id"],
                group_ids=frozenset(r["g"]),
                group_village_ids=frozenset(r["v"]),
                object_id=r["object_id"],
            )
            for r in rows.values()
        ]

    @property
    def role_names(self) -> list[str]:
        return [a.role for a in self.role_assignments]


class RoleAssignment(models.Model):
    """A role an account holds and the part of the town it covers: the village (cadre), the groups (grid worker),
    or one household, shop or device (`object_id`, checked by the app that owns that level)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles", verbose_name=_("user"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    village = models.ForeignKey(
        "areas.Village", on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("village")
    )
    groups = models.ManyToManyField("areas.VillageGroup", blank=True, verbose_name=_("village groups"))
    object_id = models.PositiveBigIntegerField(_("household, shop or device"), null=True, blank=True)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="role_once_per_user")]

    def __str__(self):
        return self.get_role_display()
