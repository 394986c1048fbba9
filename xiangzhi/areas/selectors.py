"""Reads of villages and groups, always through `restrict()`; out of scope raises DoesNotExist (→ 404)."""

from django.db.models import Prefetch

from . import permissions as perms
from .models import Village, VillageGroup


def villages_for(*, user, action: str = perms.VIEW):
    return Village.objects.restrict(user, action).order_by("code", "name")


def groups_for(*, user, village_id=None, action: str = perms.VIEW):
    qs = VillageGroup.objects.restrict(user, action).select_related("village")
    return qs.filter(village_id=village_id) if village_id else qs


def _id(raw) -> int | None:
    raw = str(raw or "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 12 else None


def area_filter(*, user, village: str | None, group: str | None) -> tuple[int | None, int | None]:
    """The ?village= and ?group= of a list, dashboard or export, as ids. One that names no village or group the
    user may view raises DoesNotExist: pages and the API answer 404, as for any record out of scope."""
    ids: list[int | None] = []
    for raw, allowed in ((village, villages_for), (group, groups_for)):
        if not raw:
            ids.append(None)
            continue
        pk = _id(raw)
        if pk is None or not allowed(user=user).filter(pk=pk).exists():
            raise allowed(user=user).model.DoesNotExist
        ids.append(pk)
    return ids[0], ids[1]


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
