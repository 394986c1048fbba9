"""Import pages: the jobs, a new upload, the job's page (column matching, progress, dry-run report, commit) and
the report as .xlsx."""

from functools import wraps
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from xiangzhi.core.pages import apply_errors, render_page_or_fragment
from xiangzhi.core.permissions import can

from . import selectors, services
from .choices import RUNNING, State
from .engine import importer_for
from .export import report_xlsx
from .forms import MappingForm, UploadForm

ISSUES_PER_PAGE = 50
LEVELS = ("error", "warning", "info")


def importing(view):
    """Signed in and allowed to use at least one importer; 404 otherwise (each job is checked on its own)."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not selectors.usable_importers(user=request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


@importing
def job_list(request):
    page = Paginator(selectors.jobs(user=request.user).select_related("created_by", "village"), 20).get_page(
        request.GET.get("page")
    )
    labels = {i.kind: i.label for i in selectors.usable_importers(user=request.user)}
    for job in page:
        job.kind_label = labels.get(job.kind, job.kind)  # type: ignore[attr-defined]
    return render(
        request,
        "imports/list.html",
        {"page": page, "importers": selectors.usable_importers(user=request.user)},
    )


@importing
def job_new(request, kind):
    try:
        importer = importer_for(kind)
    except KeyError:
        raise Http404 from None
    if not can(request.user, importer.action):
        raise Http404
    data = request.POST if request.method == "POST" else None
    form = UploadForm(data, request.FILES or None)
    options = importer.options_form(user=request.user, data=data)
    if request.method == "POST" and form.is_valid() and (options is None or options.is_valid()):
        try:
            job = services.job_upload(
                actor=request.user,
                kind=kind,
                upload=form.cleaned_data["file"],
                options=importer.options_to_json(options.cleaned_data) if options is not None else {},
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("imports:job", pk=job.pk)
    return render(request, "imports/new.html", {"form": form, "options": options, "importer": importer})


def _context(request, job) -> dict:
    importer = importer_for(job.kind)
    report = job.report or {}
    level = request.GET.get("level", "")
    issues = [i for i in report.get("issues", []) if not level or i["level"] == level]
    headers = {f.key: f.header for f in importer.fields}
    for issue in issues:
        issue["header"] = headers.get(issue["field"], issue["field"])
    by_level = {lv: 0 for lv in LEVELS}
    for issue in report.get("issues", []):
        by_level[issue["level"]] = by_level.get(issue["level"], 0) + 1
    return {
        "job": job,
        "importer": importer,
        "counts": report.get("counts", {}),
        "issues": Paginator(issues, ISSUES_PER_PAGE).get_page(request.GET.get("page")),
        "level": level,
        "by_level": by_level,
        "left_out": report.get("issues_left_out", 0),
        "running": job.state in RUNNING,
        "percent": min(100, job.rows_done * 100 // job.rows_total) if job.rows_total else 0,
        "skipped_sheets": [s["name"] for s in job.layouts if not s["header_row"]],
    }


@importing
def job_detail(request, pk):
    job = selectors.job_get(user=request.user, pk=pk)
    importer = importer_for(job.kind)
    mapping = None
    if job.state in (State.UPLOADED, State.MAPPED, State.CHECKED, State.FAILED) and not job.committed_at:
        mapping = MappingForm(request.POST if request.method == "POST" else None, importer=importer, job=job)
        if request.method == "POST" and mapping.is_valid():
            try:
                job = services.job_map(
                    actor=request.user,
                    job=job,
                    mapping=mapping.mapping(),
                    save_as=mapping.cleaned_data["save_as"],
                )
                services.job_check(actor=request.user, job=job)
            except ValidationError as exc:
                apply_errors(mapping, exc)
            else:
                return redirect("imports:job", pk=job.pk)
    context = _context(request, job) | {
        "mapping": mapping,
        "saved": services.saved_mapping_for(actor=request.user, job=job),
    }
    return render_page_or_fragment(request, "imports/job.html", "imports/_issues.html", context)


@importing
def job_progress(request, pk):
    """The progress bar, polled by htmx while the job runs; when it ends the page reloads itself."""
    job = selectors.job_get(user=request.user, pk=pk)
    context = _context(request, job)
    response = render(request, "imports/_progress.html", context)
    if not context["running"] and request.htmx:
        response["HX-Refresh"] = "true"
    return response


@importing
@require_POST
def job_commit(request, pk):
    job = selectors.job_get(user=request.user, pk=pk)
    try:
        services.job_commit(actor=request.user, job=job)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("imports:job", pk=job.pk)


@importing
def job_report(request, pk):
    job = selectors.job_get(user=request.user, pk=pk)
    if not job.report:
        raise Http404
    importer = importer_for(job.kind)
    data = report_xlsx(job, field_headers={f.key: str(f.header) for f in importer.fields})
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = _("import report %(number)s.xlsx") % {"number": job.pk}
    response["Content-Disposition"] = (
        f"attachment; filename=\"import-report-{job.pk}.xlsx\"; filename*=UTF-8''{quote(name)}"
    )
    return response
