"""Every change of an import job: upload (checked for safety, its header layout read), column mapping (saved for
the next file of the same layout), the dry run and the commit started as background tasks and run by them, and
the clean-up of uploaded files.

The commit runs the importer inside one `transaction.atomic`: an exception rolls everything back and the job
says why. Starting it twice commits once: the state moves from "checked" to "committing" with one conditional
UPDATE, and the task claims the job again inside its transaction.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from xiangzhi.core.audit import audit_record
from xiangzhi.core.exceptions import NotInScope
from xiangzhi.core.scoping import require

from . import reading, safety
from .choices import State
from .engine import Importer, Issue, Report, SourceRow, importer_for
from .models import ImportJob, SavedMapping

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 500  # rows between two progress writes


def _setting(name: str, default):
    return getattr(settings, name, default)


def _importer(kind: str) -> Importer:
    try:
        return importer_for(kind)
    except KeyError:
        raise NotInScope from None


def job_village_id(importer: Importer, options: dict[str, Any]) -> int | None:
    """The village a job belongs to (and who may see it): the importer's `job_village(options)`, else the
    options' "village", else none (town-wide)."""
    finder = getattr(importer, "job_village", None)
    if finder is not None:
        return finder(options)
    value = options.get("village")
    return int(value) if value is not None and value != "" else None


# ---------------------------------------------------------------------------------------------- upload


@contextlib.contextmanager
def _spooled(upload) -> Iterator[str]:
    """A local file holding what was uploaded (the readers need a path)."""
    path = getattr(upload, "temporary_file_path", None)
    if path is not None:
        yield path()
        return
    handle, name = tempfile.mkstemp(suffix=".upload")
    try:
        with os.fdopen(handle, "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        yield name
    finally:
        os.unlink(name)


@contextlib.contextmanager
def local_copy(job: ImportJob) -> Iterator[str]:
    """The job's file as a local path (copied out of storages that have none)."""
    try:
        path = job.file.path
    except (NotImplementedError, AttributeError, ValueError):
        path = ""
    if path and os.path.exists(path):  # an in-memory storage answers a path that is not on disk
        yield path
        return
    handle, name = tempfile.mkstemp(suffix="." + job.file_kind)
    try:
        with os.fdopen(handle, "wb") as out, job.file.open("rb") as source:
            shutil.copyfileobj(source, out, 1 << 20)
        yield name
    finally:
        os.unlink(name)


@transaction.atomic
def job_upload(*, actor, kind: str, upload, options: dict[str, Any]) -> ImportJob:
    """Check the file (safety, then its header layout) and keep it as a new job with its columns matched
    automatically — or by the mapping the town saved for this layout. A refused file changes nothing."""
    importer = _importer(kind)
    require(actor, importer.action)
    with _spooled(upload) as path:
        with open(path, "rb") as handle:
            found = safety.inspect(handle, name=upload.name)
        stream_above = int(_setting("XIANGZHI_IMPORT_STREAM_BYTES", 32 * 1024 * 1024))
        streamed = found.kind == "xlsx" and max(found.sizes.values(), default=0) > stream_above
        try:
            layouts = reading.layout(
                path,
                found.kind,
                importer.fields,
                found.encoding or "utf-8",
                streamed=found.merges if streamed else None,
                formulas=found.formulas,
            )
        except Exception:
            logger.warning("import: a file passed the checks but could not be read", exc_info=True)
            raise safety.Refused(
                _("The workbook is damaged or unsafe to open, so it was not read."), code="unreadable"
            ) from None
        if not any(s.header_row for s in layouts):
            raise safety.Refused(
                _(
                    "No header row was recognised in the first %(rows)s rows of any sheet. The header must name "
                    "the columns, for example: %(example)s."
                )
                % {
                    "rows": reading.HEADER_SEARCH_ROWS,
                    "example": "、".join(str(f.header) for f in importer.fields[:4]),
                },
                code="no_header",
            )
        headers = [h for s in layouts if s.header_row for h in s.headers]
        signature = reading.signature(headers)
        saved = _saved_mapping(actor, importer, signature)
        mapping = reading.auto_mapping(layouts, importer.fields)
        if saved is not None:
            mapping.update({k: v for k, v in saved.mapping.items() if k in mapping})
        job = ImportJob(
            town_id=actor.town_id,
            kind=kind,
            village_id=job_village_id(importer, options),
            file_name=os.path.basename(upload.name or "")[:200],
            file_kind=found.kind,
            encoding=found.encoding,
            formulas=found.formulas,
            merges=found.merges if streamed else {},
            streamed=streamed,
            layouts=[s.to_json() for s in layouts],
            signature=signature,
            options=options,
            mapping=mapping,
            rows_total=sum(s.rows for s in layouts),
            created_by=actor,
        )
        job.save()
        require(actor, importer.action, job)  # a village's cadre cannot start a job for the whole town
        with open(path, "rb") as handle:
            job.file.save(f"upload.{found.kind}", File(handle), save=True)
    audit_record(
        actor=actor,
        action="imports.job.upload",
        target=job,
        after={"kind": kind, "file_name": job.file_name, "saved_mapping": saved.name if saved else ""},
    )
    return job


def _saved_mapping(actor, importer: Importer, signature: str) -> SavedMapping | None:
    return (
        SavedMapping.objects.restrict(actor, importer.action)
        .filter(kind=importer.kind, signature=signature)
        .first()
    )


def saved_mapping_for(*, actor, job: ImportJob) -> SavedMapping | None:
    return _saved_mapping(actor, _importer(job.kind), job.signature)


# ---------------------------------------------------------------------------------------------- mapping


def _check_mapping(importer: Importer, job: ImportJob, mapping: dict[str, str]) -> dict[str, str]:
    keys = {f.key: f for f in importer.fields}
    headers = {reading.normalise(h): h for s in job.layouts for h in s["headers"] if reading.normalise(h)}
    clean = {n: (mapping.get(n) or "") for n in headers}
    errors = []
    unknown = sorted({v for v in clean.values() if v and v not in keys})
    if unknown:
        errors.append(_("Unknown field: %(fields)s.") % {"fields": ", ".join(unknown)})
    seen: dict[str, list[str]] = {}
    for n, key in clean.items():
        if key:
            seen.setdefault(key, []).append(headers[n])
    for key, columns in seen.items():
        if len(columns) > 1:
            errors.append(
                _("“%(field)s” is chosen for more than one column: %(columns)s.")
                % {"field": keys[key].header, "columns": "、".join(columns)}
            )
    missing = [str(f.header) for f in importer.fields if f.required and f.key not in seen]
    if missing:
        errors.append(_("No column is matched to: %(fields)s.") % {"fields": "、".join(missing)})
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def job_map(*, actor, job: ImportJob, mapping: dict[str, str], save_as: str = "") -> ImportJob:
    """Set which column is which field (normalised header → field key, "" for a column not imported); with
    `save_as`, keep the mapping for the next file of the same layout (replacing the one saved before)."""
    importer = _importer(job.kind)
    require(actor, importer.action, job)
    job = (
        ImportJob.objects.unrestricted("the job just checked in scope, locked")
        .select_for_update()
        .get(pk=job.pk)
    )
    if job.state not in (State.UPLOADED, State.MAPPED, State.CHECKED, State.FAILED):
        raise ValidationError(_("This import can no longer be changed."))
    job.mapping = _check_mapping(importer, job, mapping)
    job.state = State.MAPPED
    job.report, job.counts, job.rows_done = {}, {}, 0
    job.save(update_fields=["mapping", "state", "report", "counts", "rows_done", "updated_at"])
    audit_record(actor=actor, action="imports.job.map", target=job, after={"mapping": job.mapping})
    if save_as.strip():
        mapping_save(actor=actor, job=job, name=save_as.strip())
    return job


@transaction.atomic
def mapping_save(*, actor, job: ImportJob, name: str) -> SavedMapping:
    importer = _importer(job.kind)
    require(actor, importer.action, job)
    saved, _created = SavedMapping.objects.unrestricted(
        "one saved mapping per layout of the town"
    ).update_or_create(
        town_id=job.town_id,
        kind=job.kind,
        signature=job.signature,
        defaults={"name": name[:60], "mapping": job.mapping, "created_by": actor},
    )
    audit_record(actor=actor, action="imports.mapping.save", target=saved, after={"name": saved.name})
    return saved


# ---------------------------------------------------------------------------------------------- start


@transaction.atomic
def job_check(*, actor, job: ImportJob) -> ImportJob:
    """Start the dry run (in the background)."""
    from . import tasks

    importer = _importer(job.kind)
    require(actor, importer.action, job)
    started = (
        ImportJob.objects.unrestricted("a conditional update of a job just checked in scope")
        .filter(pk=job.pk, state__in=(State.MAPPED, State.CHECKED))
        .update(state=State.CHECKING, rows_done=0, report={}, counts={}, reason="", updated_at=timezone.now())
    )
    job.refresh_from_db()
    if not started:
        if job.state == State.CHECKING:
            return job  # already started (a second click)
        raise ValidationError(_("Match the columns first."))
    audit_record(actor=actor, action="imports.job.check", target=job)
    tasks.import_check.enqueue(job.pk, actor.pk)  # a row of this transaction: exists iff the state moved
    return job


@transaction.atomic
def job_commit(*, actor, job: ImportJob) -> ImportJob:
    """Start the commit (in the background), once: a second start while it runs or after it is done changes
    nothing."""
    from . import tasks

    importer = _importer(job.kind)
    require(actor, importer.action, job)
    started = (
        ImportJob.objects.unrestricted("a conditional update of a job just checked in scope")
        .filter(pk=job.pk, state=State.CHECKED)
        .update(state=State.COMMITTING, committed_by=actor, rows_done=0, updated_at=timezone.now())
    )
    job.refresh_from_db()
    if not started:
        if job.state in (State.COMMITTING, State.COMMITTED):
            return job
        raise ValidationError(_("Check the file first; the import starts after the check."))
    tasks.import_commit.enqueue(job.pk)
    return job


# ---------------------------------------------------------------------------------------------- running


class _Progress:
    """Writes how many rows are done now and then. During the commit the job's own transaction would hide it, so
    on PostgreSQL it is written through a connection of its own; SQLite allows one writer, so there the bar
    waits for the end."""

    def __init__(self, job_id: int, *, side: bool):
        self.job_id = job_id
        self.done = 0
        self.written = 0
        self.connection = None
        if side and connection.vendor == "postgresql":
            self.connection = connections.create_connection(DEFAULT_DB_ALIAS)
            with self.connection.cursor() as cursor:
                # never wait on the commit's own locks: a progress write that cannot go through fails at once
                cursor.execute("SET lock_timeout = '5s'")
        self.side = side

    def __call__(self, done: int) -> None:
        self.done = max(self.done, done)
        if self.done - self.written >= PROGRESS_EVERY:
            self.flush()

    def flush(self) -> None:
        self.written = self.done
        if self.side:
            if self.connection is None:
                return
            with self.connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {ImportJob._meta.db_table} SET rows_done = %s WHERE id = %s",  # noqa: S608 (a model constant)
                    [self.done, self.job_id],
                )
            return
        ImportJob.objects.unrestricted("the worker's progress of its own job").filter(pk=self.job_id).update(
            rows_done=self.done
        )

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def _rows(job: ImportJob, path: str, log: reading.ReadLog, progress: _Progress) -> Iterator[SourceRow]:
    layouts = [reading.SheetLayout.from_json(s) for s in job.layouts]
    for number, row in enumerate(
        reading.read_rows(
            path,
            job.file_kind,
            layouts=layouts,
            mapping=job.mapping,
            log=log,
            encoding=job.encoding or "utf-8",
            formulas=job.formulas,
            streamed=job.merges if job.streamed else None,
        ),
        start=1,
    ):
        yield row
        progress(number)


def _merge(job: ImportJob, report: Report, log: reading.ReadLog) -> dict[str, Any]:
    order = {s["name"]: i for i, s in enumerate(job.layouts)}
    issues: list[Issue] = sorted(
        [*log.issues, *report.issues], key=lambda i: (order.get(i.sheet, 0), i.row, i.level != "error")
    )
    limit = int(_setting("XIANGZHI_IMPORT_MAX_ISSUES", 20000))
    merged = Report(issues=issues[:limit], counts=dict(report.counts), changes=report.changes[:limit])
    merged.counts["rows"] = log.rows_read
    data = merged.to_json()
    data["issues_left_out"] = max(len(issues) - limit, 0)
    return data


def _failure_reason(exc: BaseException) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(str(m) for m in exc.messages)[:480]
    return _("An unexpected error stopped it (%(error)s). Nothing was changed.") % {
        "error": type(exc).__name__
    }


def _fail(job_id: int, reason: str, actor) -> None:
    with transaction.atomic():
        job = ImportJob.objects.unrestricted("the worker records its own job's failure").get(pk=job_id)
        job.state, job.reason = State.FAILED, reason[:500]
        job.save(update_fields=["state", "reason", "updated_at"])
        audit_record(actor=actor, action="imports.job.fail", target=job, after={"reason": job.reason})


def run_check(*, job_id: int, actor) -> None:
    """The dry run, in the worker: read every row, let the importer check them, keep the report."""
    job = ImportJob.objects.unrestricted("the worker runs the job its user started").get(pk=job_id)
    if job.state != State.CHECKING:
        return
    importer = _importer(job.kind)
    log = reading.ReadLog()
    progress = _Progress(job.pk, side=False)
    try:
        with local_copy(job) as path:
            report = importer.dry_run(actor=actor, rows=_rows(job, path, log, progress), options=job.options)
    except Exception as exc:
        logger.exception("import %s: the check failed", job_id)
        _fail(job_id, _failure_reason(exc), actor)
        return
    data = _merge(job, report, log)
    ImportJob.objects.unrestricted("the worker runs the job its user started").filter(
        pk=job_id, state=State.CHECKING
    ).update(
        state=State.CHECKED,
        report=data,
        counts=data["counts"],
        rows_done=log.rows_read,
        rows_total=log.rows_read,
        checked_at=timezone.now(),
        updated_at=timezone.now(),
    )


def run_commit(*, job_id: int) -> None:
    """The commit, in the worker: the importer's writes and the job's new state in one transaction."""
    job = ImportJob.objects.unrestricted("the worker runs the job its user started").get(pk=job_id)
    if job.state != State.COMMITTING:
        return
    importer = _importer(job.kind)
    actor = job.committed_by
    log = reading.ReadLog()
    progress = _Progress(job.pk, side=True)
    # the claim commits on its own: held inside the commit's transaction, the job's row would stay locked until
    # the end, and on PostgreSQL the progress written through a connection of its own would wait on it for ever
    claimed = (
        ImportJob.objects.unrestricted("the worker claims the job it runs")
        .filter(pk=job_id, state=State.COMMITTING, committed_at__isnull=True)
        .update(committed_at=timezone.now())
    )
    if not claimed:
        progress.close()
        return  # another worker holds or finished it
    try:
        with transaction.atomic():
            with local_copy(job) as path:
                report = importer.commit(
                    actor=actor,
                    rows=_rows(job, path, log, progress),
                    options=job.options,
                    progress=progress,
                )
            data = _merge(job, report, log)
            job.refresh_from_db()
            job.state, job.report, job.counts = State.COMMITTED, data, data["counts"]
            job.rows_done = log.rows_read
            job.save(update_fields=["state", "report", "counts", "rows_done", "updated_at"])
            audit_record(actor=actor, action="imports.job.commit", target=job, after={"counts": job.counts})
    except Exception as exc:
        logger.exception("import %s: the commit failed and was rolled back", job_id)
        ImportJob.objects.unrestricted("the failed commit's claim is let go").filter(pk=job_id).update(
            committed_at=None
        )
        _fail(job_id, _failure_reason(exc), actor)
    finally:
        progress.close()


# ---------------------------------------------------------------------------------------------- clean-up


def files_due(now: datetime.datetime | None = None) -> list[int]:
    """Jobs whose file has been kept long enough: `XIANGZHI_IMPORT_FILE_RETENTION` (7 days by default) after
    the commit, or after the upload of a job never committed."""
    now = now or timezone.now()
    keep = _setting("XIANGZHI_IMPORT_FILE_RETENTION", datetime.timedelta(days=7))
    base = (
        ImportJob.objects.unrestricted("the clean-up job reads every town's old files")
        .filter(file_deleted_at__isnull=True)
        .exclude(file="")
    )
    done = base.filter(state=State.COMMITTED, committed_at__lt=now - keep)
    idle = base.exclude(state__in=(State.COMMITTED, State.CHECKING, State.COMMITTING)).filter(
        updated_at__lt=now - keep
    )
    return sorted({*done.values_list("pk", flat=True), *idle.values_list("pk", flat=True)})


@transaction.atomic
def job_file_delete(*, job_id: int) -> int:
    job = ImportJob.objects.unrestricted("the clean-up job").select_for_update().get(pk=job_id)
    if not job.file:
        return 0
    job.file.delete(save=False)
    job.file = ""
    job.file_deleted_at = timezone.now()
    job.save(update_fields=["file", "file_deleted_at", "updated_at"])
    audit_record(actor=None, action="imports.job.file_delete", target=job)
    return 1
