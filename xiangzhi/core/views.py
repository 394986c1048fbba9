"""Shared page helpers, the home redirect and the auditor's audit-log page."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from xiangzhi.accounts import roles

from .filtersets import AuditEntryFilter
from .models import AuditEntry


def apply_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on the named fields, or on the form as a whole."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
def home(request):
    if roles.can(request.user, roles.VIEW):
        return redirect("registry:home")
    if roles.can(request.user, roles.VIEW_AUDIT):
        return redirect("core:audit")
    return render(request, "core/home.html")


@login_required
def audit_log(request):
    if not roles.can(request.user, roles.VIEW_AUDIT):
        raise Http404
    entries = AuditEntry.objects.restrict(request.user, roles.VIEW_AUDIT).select_related("actor")
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
