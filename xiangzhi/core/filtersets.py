"""Audit-log filters, shared by the auditor's page and the API."""

import django_filters
from django.utils.translation import gettext_lazy as _

from .forms import DateInput
from .models import AuditEntry


class AuditEntryFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(field_name="actor_name", lookup_expr="iexact", label=_("actor"))
    action = django_filters.CharFilter(field_name="action", lookup_expr="startswith", label=_("action"))
    target_type = django_filters.CharFilter(field_name="target_type", label=_("target type"))
    target_id = django_filters.CharFilter(field_name="target_id", label=_("target id"))
    since = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label=_("from"),
        widget=DateInput(),
    )
    until = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label=_("until"),
        widget=DateInput(),
    )

    class Meta:
        model = AuditEntry
        fields: list[str] = []


def in_scope(model, action: str):
    """A filter's choices are the records the user may reach: one out of scope is as invalid as one that does not
    exist (the same answer), so a filter cannot tell whether a record outside the user's area exists."""

    def queryset(request):
        return model.objects.restrict(request.user, action) if request else model.objects.none()

    return queryset
