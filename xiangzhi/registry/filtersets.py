"""Filters of the registry lists: the household list page, its CSV export and the API lists use the same ones.

An area (?village=, ?group=) or household (?household=) the user may not view answers 404 everywhere, as a record
that does not exist (`core.filtersets.ScopedFilterSet`).
"""

from xiangzhi.areas.filtersets import AreaFilter
from xiangzhi.core.filtersets import ScopedFilterSet, ScopedModelChoiceFilter

from . import permissions as perms
from .models import Household, Resident


class HouseholdFilter(AreaFilter):
    class Meta:
        model = Household
        fields = ["village", "group", "status", "number"]


class ResidentFilter(ScopedFilterSet):
    household = ScopedModelChoiceFilter(Household, perms.VIEW)

    class Meta:
        model = Resident
        fields = ["household", "sex", "residence_status", "id_status"]
