"""Shared page helpers, the home redirect and the auditor's audit-log page."""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tasks_db.models import DBTaskResult
from rest_framework import exceptions

from . import audit, background
from . import permissions as perms
from .filtersets import AuditEntryFilter
from .landing import landing_for
from .models import AuditEntry
from .pages import requires


@login_required
def home(request):
    """Send the user to the page for their work (`core.landing`)."""
    url_name = landing_for(request.user)
    if url_name:
        return redirect(url_name)
    return render(request, "core/home.html")


@dataclass
class AuditRow:
    """One audit row as the auditor reads it: the action's label, the target named (a link where they may follow
    it) and what changed, field by field."""

    entry: AuditEntry
    action: str
    target_kind: str
    target_url: str | None
    changes: list[tuple[str, str, str]]  # (field label, before, after), already in the reader's words


def _audit_row(entry: AuditEntry, links: dict[str, str | None]) -> AuditRow:
    url_name = links.get(entry.target_type)
    return AuditRow(
        entry=entry,
        action=audit.action_label(entry.action),
        target_kind=audit.target_kind(entry),
        target_url=reverse(url_name, args=[entry.target_id])
        if url_name and entry.target_id.isdigit()
        else None,
        changes=[
            (c.label, audit.display_value(entry, c, c.before), audit.display_value(entry, c, c.after))
            for c in audit.audit_changes(entry)
        ],
    )


@requires(perms.VIEW_AUDIT)
def audit_log(request):
    entries = AuditEntry.objects.restrict(request.user, perms.VIEW_AUDIT)
    filterset = AuditEntryFilter(request.GET or None, queryset=entries, request=request)
    # a filter that does not hold (an account of another town typed into the address) lists nothing, not all
    found = filterset.qs if not filterset.is_bound or filterset.is_valid() else entries.none()
    page = Paginator(found, 50).get_page(request.GET.get("page"))
    # the pages the reader may follow a target to: those of the permissions they hold (the page itself answers
    # 404 for a record out of their scope); an auditor alone holds none, and reads the target's name
    links = {
        label: spec.link[0] if spec.link and perms.can(request.user, spec.link[1]) else None
        for label, spec in audit.audited_models().items()
    }
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "core/audit.html",
        {
            "filter": filterset,
            "page": page,
            "rows": [_audit_row(e, links) for e in page],
            "query": query.urlencode(),
        },
    )


def _error(request, code: int, api_error: type[exceptions.APIException]):
    # A URL under /api/ that no route matches is still an API answer: JSON, as the schema promises, not a page.
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(api_error.default_detail)}, status=code)
    return render(request, "core/error.html", {"code": code}, status=code)


def error_404(request, exception=None):
    return _error(request, 404, exceptions.NotFound)


def error_400(request, exception=None):
    return _error(request, 400, exceptions.ParseError)


def error_403(request, exception=None):
    return _error(request, 403, exceptions.PermissionDenied)


def error_500(request):
    return _error(request, 500, exceptions.APIException)


@requires(perms.VIEW_TASKS)
def failed_tasks(request):
    """Background tasks that failed: those that will not be tried again first, then those waiting to retry."""
    rows = background.failed_tasks()
    return render(
        request,
        "core/tasks.html",
        {"final": [r for r in rows if not r.will_retry], "retrying": [r for r in rows if r.will_retry]},
    )


@requires(perms.VIEW_TASKS)
@require_POST
def task_retry(request, pk):
    try:
        failed = DBTaskResult.objects.failed().get(pk=pk)
    except (DBTaskResult.DoesNotExist, ValidationError):
        raise Http404 from None
    again = background.task_retry(result_id=failed.pk)
    audit.audit_record(
        actor=request.user,
        action="core.task.retry",
        after={"task": failed.task_path, "failed_run": str(failed.pk), "new_run": str(again.pk)},
    )
    messages.success(request, _("The task will run again shortly."))
    return redirect("core:tasks")
