"""The one chokepoint for reading personal data: `Model.objects.restrict(user, action)`.

A model opts in with `scope = Scope(town=..., village=..., group=..., household=..., shop=..., device=...)`,
naming the lookups from the model to each level's record. `core.permissions.reach` says what the principal's role
assignments reach with the action; everything else is an empty queryset, so views answer 404.

`Model.objects.unrestricted(reason)` is the escape hatch for the few deliberate reads outside a user's scope (a
town-wide duplicate-ID check, the children of a parent already read through `restrict()`). A test
(`xiangzhi/tests/test_chokepoint.py`) fails when code reads a restricted model any other way.
"""

from dataclasses import dataclass

from django.db import models
from django.db.models import Q

from .permissions import Level, reach


@dataclass(frozen=True)
class Scope:
    town: str
    village: str | None = None
    group: str | None = None
    household: str | None = None
    shop: str | None = None
    device: str | None = None
    # Configuration every role of the town reads whole (its flags, scoring rules, goods): any grant in the town
    # reaches every row of the town; writing it is still a separate action held at town level.
    town_wide: bool = False

    def lookup(self, level: Level) -> str | None:
        return {
            Level.TOWN: self.town,
            Level.VILLAGE: self.village,
            Level.GROUPS: self.group,
            Level.HOUSEHOLD: self.household,
            Level.SHOP: self.shop,
            Level.DEVICE: self.device,
        }[level]

    def covers(self, level: Level) -> bool:
        if self.town_wide:
            return True
        # a model with no group of its own (a village) is reached through the villages of the groups
        if level is Level.GROUPS:
            return bool(self.group or self.village)
        return bool(self.lookup(level))


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action: str):
        scope: Scope = self.model.scope
        r = reach(user, action)
        if r is None:
            return self.none()
        qs = self.filter(**{scope.town: r.town_id})
        if r.whole_town or scope.town_wide:
            return qs
        where = Q()
        for level, ids in r.parts.items():
            lookup = scope.lookup(level)
            if lookup and ids:
                where |= Q(**{f"{lookup}__in": sorted(ids)})
            elif level is Level.GROUPS and scope.village and r.group_village_ids:
                where |= Q(**{f"{scope.village}__in": sorted(r.group_village_ids)})
        return qs.filter(where) if where else self.none()

    def unrestricted(self, reason: str):
        """A deliberate read outside any user's scope; `reason` says why, for the reader of the code."""
        if not reason:
            raise ValueError("say why this read is unrestricted")
        return self.all()


RestrictedManager = models.Manager.from_queryset(RestrictedQuerySet)


def require(actor, action: str, obj=None) -> None:
    """Services re-check scope: without the action, or for an object outside the actor's part of the town, the
    write is refused as if the object did not exist (pages and the API answer 404)."""
    from .exceptions import NotInScope

    if obj is None:
        if reach(actor, action) is None:
            raise NotInScope
        return
    if not type(obj).objects.restrict(actor, action).filter(pk=obj.pk).exists():
        raise NotInScope
