"""Shared page helpers, the home redirect and the auditor's audit-log page."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers

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


HTMX_VARY = ("HX-Request", "HX-History-Restore-Request")


def vary_on_htmx(response):
    """Mark a response that depends on whether htmx asked: a cache (the browser's, on Back) must not give the
    fragment htmx fetched for a URL to a plain visit of the same URL, or the page to htmx."""
    patch_vary_headers(response, HTMX_VARY)
    return response


def render_page_or_fragment(request, template: str, fragment: str, context: dict):
    """The whole page, or only `fragment` when htmx swaps it into the page. A history restore wants the whole
    page even from htmx: htmx 2 puts that answer in place of <body>."""
    wants_fragment = request.htmx and not request.htmx.history_restore_request
    return vary_on_htmx(render(request, fragment if wants_fragment else template, context))


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
