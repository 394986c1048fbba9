"""Audit-log filters, shared by the auditor's page and the API."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

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
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label=_("until"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEntry
        fields: list[str] = []
