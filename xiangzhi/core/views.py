"""Shared page helpers, the home redirect and the auditor's audit-log page."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from rest_framework import exceptions

from . import permissions as perms
from .filtersets import AuditEntryFilter
from .models import AuditEntry
from .pages import requires

# Where each kind of user starts: the first page, in this order, whose permission they hold. An app adds its
# home with `HOMES.append(...)` from its own module (registered at start-up like its permissions).
HOMES: list[tuple[str, str]] = [(perms.VIEW_AUDIT, "core:audit")]


@login_required
def home(request):
    for action, url in HOMES:
        if perms.can(request.user, action):
            return redirect(url)
    return render(request, "core/home.html")


@requires(perms.VIEW_AUDIT)
def audit_log(request):
    entries = AuditEntry.objects.restrict(request.user, perms.VIEW_AUDIT).select_related("actor")
    filterset = AuditEntryFilter(request.GET or None, queryset=entries)
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "core/audit.html", {"filter": filterset, "page": page, "query": query.urlencode()})


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
