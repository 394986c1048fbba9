"""Shared page helpers, the home redirect and the auditor's audit-log page."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

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


def error_404(request, exception=None):
    return render(request, "core/error.html", {"code": 404}, status=404)


def error_400(request, exception=None):
    return render(request, "core/error.html", {"code": 400}, status=400)


def error_403(request, exception=None):
    return render(request, "core/error.html", {"code": 403}, status=403)


def error_500(request):
    return render(request, "core/error.html", {"code": 500}, status=500)
