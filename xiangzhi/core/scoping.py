"""The one chokepoint for reading personal data: `Model.objects.restrict(user, action)`.

A model opts in with `scope = Scope(town=..., village=..., group=...)`, naming the lookups from the model to its
town, village and village group. The user's role (accounts.roles) says which actions it may take and at what
level (town, village, groups); everything else is an empty queryset, so views answer 404.
"""

from dataclasses import dataclass

from django.db import models


@dataclass(frozen=True)
class Scope:
    town: str
    village: str | None = None
    group: str | None = None


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user, action: str):
        from xiangzhi.accounts.roles import Level, level_for

        scope: Scope = self.model.scope
        level = level_for(user, action)
        if level is None or not user.town_id:
            return self.none()
        qs = self.filter(**{scope.town: user.town_id})
        if level is Level.TOWN:
            return qs
        if level is Level.VILLAGE and scope.village and user.village_id:
            return qs.filter(**{scope.village: user.village_id})
        if level is Level.GROUPS:
            group_ids = user.scope_group_ids
            if scope.group:
                return qs.filter(**{f"{scope.group}__in": group_ids})
            if scope.village:
                return qs.filter(**{f"{scope.village}__in": user.scope_village_ids})
        return self.none()


RestrictedManager = models.Manager.from_queryset(RestrictedQuerySet)
