"""Filterset plumbing every app's lists share (pages and API alike), and the audit-log filters."""

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


class ScopedModelChoiceFilter(django_filters.ModelChoiceFilter):
    """A filter naming one record among those the user may reach through `action` (?village=, ?group=,
    ?household=). One out of scope, absent or malformed is a 404 (`ScopedFilterSet` raises it), as for any record
    out of scope — on a page and in the API alike, so neither tells whether a record outside the user's area
    exists."""

    def __init__(self, model, action: str, **kwargs):
        self.model = model
        super().__init__(queryset=in_scope(model, action), **kwargs)


class ScopedFilterSet(django_filters.FilterSet):
    """A list's filters, shared by its page and its API endpoint (both pass the request, whose user scopes the
    choices). A `ScopedModelChoiceFilter` that names nothing the user may reach raises the model's `DoesNotExist`,
    which pages (`NotFoundMiddleware`) and the API (`core.api.base.exception_handler`) answer with 404; any other
    invalid value stays a form error (400 in the API, ignored by a page)."""

    def _refuse_out_of_scope(self) -> None:
        if not self.is_bound:
            return
        errors = self.form.errors
        for name, filter_ in self.filters.items():
            if name in errors and isinstance(filter_, ScopedModelChoiceFilter):
                raise filter_.model.DoesNotExist(f"?{name}= names nothing in the user's scope")

    def is_valid(self) -> bool:
        self._refuse_out_of_scope()
        return super().is_valid()

    @property
    def errors(self):
        self._refuse_out_of_scope()
        return super().errors
