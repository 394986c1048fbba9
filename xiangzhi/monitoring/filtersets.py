"""The point list's filters (?category=&kind=&status=&village=&reservoir=&public=&q=), for the page and the API."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from xiangzhi.areas.models import Village
from xiangzhi.core.filtersets import ScopedFilterSet, ScopedModelChoiceFilter

from . import permissions as perms
from .choices import PointCategory, PointKind, PointStatus
from .models import Point, Reservoir


class PointFilter(ScopedFilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("code or name"))
    category = django_filters.ChoiceFilter(
        choices=PointCategory.choices, label=_("category"), empty_label=_("any category")
    )
    kind = django_filters.ChoiceFilter(choices=PointKind.choices, label=_("kind"), empty_label=_("any kind"))
    status = django_filters.ChoiceFilter(
        choices=PointStatus.choices, label=_("status"), empty_label=_("any status")
    )
    village = ScopedModelChoiceFilter(Village, perms.VIEW, label=_("village"), empty_label=_("any village"))
    town_wide = django_filters.BooleanFilter(
        method="filter_town_wide",
        label=_("town-wide points only"),
        widget=django_filters.widgets.BooleanWidget(),
    )
    reservoir = ScopedModelChoiceFilter(
        Reservoir, perms.VIEW, label=_("reservoir"), empty_label=_("any reservoir")
    )
    public_area = django_filters.ChoiceFilter(
        choices=[("yes", _("public-area points only")), ("no", _("other points only"))],
        method="filter_public_area",
        label=_("public-area points"),
        empty_label=_("all points"),
    )

    class Meta:
        model = Point
        fields = ["q", "category", "kind", "status", "village", "reservoir", "public_area"]

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(code__istartswith=value) | Q(name__icontains=value))

    def filter_public_area(self, queryset, name, value):
        return queryset.filter(public_area=value == "yes") if value else queryset

    def filter_town_wide(self, queryset, name, value):
        return queryset.filter(village__isnull=True) if value else queryset
