"""An import job (one uploaded file through check and commit, with its report) and the column mappings a town
saved for the next file of the same layout."""

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xiangzhi.core.models import TownScopedModel
from xiangzhi.core.scoping import Scope

from .choices import State


def private_storage():
    """Outside the web root (settings.STORAGES["private"]); the file is read only by the engine."""
    return storages["private"]


def _file_path(instance, filename: str) -> str:
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    extension = extension if extension in ("xlsx", "xls", "csv") else "bin"
    return f"imports/{instance.town_id}/{uuid.uuid4().hex}.{extension}"


class ImportJob(TownScopedModel):
    """One file brought in. Who may see it is decided by its importer's action (`kind`), over the village its
    options name, or the whole town."""

    kind = models.CharField(_("kind of table"), max_length=64)
    village = models.ForeignKey(
        "areas.Village",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("village"),
    )
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.UPLOADED)
    file = models.FileField(_("file"), storage=private_storage, upload_to=_file_path, blank=True)
    file_name = models.CharField(_("file name"), max_length=200)
    file_kind = models.CharField(max_length=8)  # xlsx, xls, csv: what the file really is
    encoding = models.CharField(max_length=16, blank=True)  # of a CSV
    formulas = models.JSONField(default=dict)  # sheet → references of cells holding a formula
    merges = models.JSONField(default=dict)  # sheet → merged ranges, for a streamed .xlsx
    streamed = models.BooleanField(default=False)  # an .xlsx too big for calamine: read by openpyxl, streamed
    layouts = models.JSONField(default=list)  # each sheet: header row, headers, samples, rows
    signature = models.CharField(max_length=32, blank=True)  # the header layout, for saved mappings
    options = models.JSONField(_("options"), default=dict)
    mapping = models.JSONField(_("column mapping"), default=dict)  # normalised header → field key or ""
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    report = models.JSONField(default=dict)  # Report.to_json() of the dry run, then of the commit
    counts = models.JSONField(default=dict)
    reason = models.CharField(_("why it failed"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("imported by"),
    )
    committed_at = models.DateTimeField(_("imported"), null=True, blank=True)
    file_deleted_at = models.DateTimeField(_("file deleted"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope = Scope(town="town", village="village")

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["town", "kind", "created_at"], name="import_job_list")]

    def __str__(self):
        return f"{self.file_name} #{self.pk}"


class SavedMapping(TownScopedModel):
    """A column mapping saved under a name, offered for the next file whose headers are the same."""

    kind = models.CharField(_("kind of table"), max_length=64)
    signature = models.CharField(max_length=32)
    name = models.CharField(_("name"), max_length=60)
    mapping = models.JSONField(_("column mapping"), default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("saved by")
    )
    created_at = models.DateTimeField(_("saved"), default=timezone.now)

    # the town's layouts: every role that imports this kind reads them (writing needs the importer's action)
    scope = Scope(town="town", town_wide=True)

    class Meta:
        verbose_name = _("saved column mapping")
        verbose_name_plural = _("saved column mappings")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["town", "kind", "signature"], name="saved_mapping_one_per_layout")
        ]

    def __str__(self):
        return self.name
