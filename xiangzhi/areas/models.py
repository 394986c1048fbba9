"""A town's villages and communities (村/社区) and their village groups (组): the parts every scope names."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from xiangzhi.core.models import TownScopedModel
from xiangzhi.core.scoping import Scope

from .choices import VillageKind


class Village(TownScopedModel):
    name = models.CharField(pgettext_lazy("of a place or a flag", "name"), max_length=60)
    kind = models.CharField(
        _("kind"), max_length=16, choices=VillageKind.choices, default=VillageKind.VILLAGE
    )
    code = models.CharField(_("statistical division code"), max_length=12, blank=True)

    scope = Scope(town="town", village="pk")

    class Meta:
        verbose_name = _("village / community (村/社区)")
        verbose_name_plural = _("villages / communities")
        ordering = ["code", "name"]
        constraints = [models.UniqueConstraint(fields=["town", "name"], name="village_unique_name")]

    def __str__(self):
        return self.name


class VillageGroup(TownScopedModel):
    village = models.ForeignKey(
        Village, on_delete=models.PROTECT, related_name="groups", verbose_name=_("village")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(pgettext_lazy("of a place or a flag", "name"), max_length=60)

    scope = Scope(town="town", village="village", group="pk")

    class Meta:
        verbose_name = _("village group (组)")
        verbose_name_plural = _("village groups")
        ordering = ["village_id", "number"]
        constraints = [models.UniqueConstraint(fields=["village", "number"], name="group_unique_number")]

    def __str__(self):
        return self.name
