"""The report as an .xlsx the clerk can keep or pass on (openpyxl, write-only); cells that a spreadsheet would
take for a formula are neutralised."""

import io

from django.utils.translation import gettext as _

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
LEVELS = {"error": "error", "warning": "warning", "info": "info"}


def neutralise(value):
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def report_xlsx(job, *, field_headers: dict[str, str]) -> bytes:
    from openpyxl import Workbook

    level_names = {"error": _("Refused"), "warning": _("Warning"), "info": _("Note")}
    book = Workbook(write_only=True)
    counts = book.create_sheet(_("Counts"))
    report = job.report or {}
    for key, label in _count_labels().items():
        counts.append([label, report.get("counts", {}).get(key, 0)])
    issues = book.create_sheet(_("Issues"))
    issues.append([_("Sheet"), _("Row"), _("Column"), _("Level"), _("Problem"), _("What was done")])
    for issue in report.get("issues", []):
        issues.append(
            [
                neutralise(issue["sheet"]),
                issue["row"] or None,
                neutralise(field_headers.get(issue["field"], issue["field"])),
                level_names.get(issue["level"], issue["level"]),
                neutralise(issue["problem"]),
                neutralise(issue["action"]),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _count_labels() -> dict[str, str]:
    return {
        "rows": _("Rows read"),
        "new": _("New"),
        "changed": _("Changed"),
        "unchanged": _("Unchanged"),
        "refused": _("Refused"),
        "warnings": _("With warnings"),
    }
