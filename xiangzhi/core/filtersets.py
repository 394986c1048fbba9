"""Filterset plumbing every app's lists share (pages and API alike), and the audit-log filters."""

import django_filters
from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ModelChoiceField

from . import permissions as perms
from .audit import audit_actions
from .forms import DateInput
from .models import AuditEntry


def action_choices():
    """The registered actions, one group per app, each group led by "every action of that app" (its label)."""
    groups: dict[str, list] = {}
    for action in audit_actions():
        groups.setdefault(action.app, []).append((action.name, action.label))
    choices = []
    for app, items in groups.items():
        try:
            name = apps.get_app_config(app).verbose_name
        except LookupError:
            name = app
        choices.append((name, [(app, gettext("every %(app)s action") % {"app": name}), *items]))
    return choices


class PersonChoiceField(ModelChoiceField):
    def label_from_instance(self, obj):
        name = getattr(obj, "display_name", "")
        return f"{name} ({obj.username})" if name else obj.username


class PersonFilter(django_filters.ModelChoiceFilter):
    field_class = PersonChoiceField


def town_accounts(request):
    """Whose actions the auditor may list: the accounts of their town."""
    User = get_user_model()
    if request is None:
        return User.objects.none()
    return User.objects.restrict(request.user, perms.VIEW_AUDIT).order_by("username")


class AuditEntryFilter(django_filters.FilterSet):
    # by username: readable in a link (?actor=alice), and what the API took before it was a choice
    actor = PersonFilter(
        field_name="actor",
        to_field_name="username",
        queryset=town_accounts,
        label=_("actor"),
        empty_label=_("anyone"),
    )
    action = django_filters.ChoiceFilter(
        choices=action_choices, method="filter_action", label=_("action"), empty_label=_("any action")
    )
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

    def filter_action(self, queryset, name, value):
        if "." in value:
            return queryset.filter(action=value)
        return queryset.filter(action__startswith=f"{value}.")  # every action of one app


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

    def __init__(self, model, action: str, *, label, **kwargs):
        # The label is required: django-filter would derive it from the filterset's model, and `self.model`
        # here is the model chosen, not the one filtered — a page showed "[invalid name]" for 村 depending on
        # which list was opened first.
        self.model = model
        super().__init__(queryset=in_scope(model, action), label=label, **kwargs)


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
