"""Reads of villages and groups, always through `restrict()`; out of scope raises DoesNotExist (→ 404)."""

from django.db.models import Prefetch

from . import permissions as perms
from .models import Village, VillageGroup


def villages_for(*, user, action: str = perms.VIEW):
    return Village.objects.restrict(user, action).order_by("code", "name")


def groups_for(*, user, village_id=None, action: str = perms.VIEW):
    qs = VillageGroup.objects.restrict(user, action).select_related("village")
    return qs.filter(village_id=village_id) if village_id else qs


def area_tree(*, user) -> list[Village]:
    """The villages the user sets up, with their groups (two queries)."""
    return list(
        Village.objects.restrict(user, perms.CONFIGURE)
        .prefetch_related(
            Prefetch(
                "groups",
                queryset=VillageGroup.objects.unrestricted(
                    "groups of villages read through restrict()"
                ).order_by("number"),
            )
        )
        .order_by("code", "name")
    )


def village_get(*, user, pk, action: str = perms.VIEW) -> Village:
    return Village.objects.restrict(user, action).get(pk=pk)


def group_get(*, user, pk, action: str = perms.VIEW) -> VillageGroup:
    return VillageGroup.objects.restrict(user, action).select_related("village").get(pk=pk)


def next_group_number(village: Village) -> int:
    last = village.groups.order_by("-number").values_list("number", flat=True).first()
    return (last or 0) + 1
