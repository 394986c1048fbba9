"""The import engine's contract: what an app implements to bring a kind of spreadsheet in.

The engine (this app) reads the file safely (xlsx, xls, csv in UTF-8 or GBK/GB18030), finds the header row under
any title rows, fills merged cells, maps headers to an importer's fields (recognised automatically, corrected by the
user, saved for the next file of the same layout) and hands the importer `SourceRow`s. The importer — registered by
the app that owns the rows (`registry.ledger`, `monitoring.points`) — checks them and writes through its own
services. The engine runs a dry run first, then the commit in one transaction in the background with progress,
and keeps the row-level report (page and .xlsx).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from django import forms

Cell = str | int | float | bool | datetime.date | datetime.datetime | None


@dataclass(frozen=True)
class Field:
    """A column an importer understands. `header` is the word it exports under; `synonyms` are other words cadres
    use for it (compared after removing spaces and punctuation)."""

    key: str
    header: str
    synonyms: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class SourceRow:
    sheet: str  # the sheet's name as the workbook shows it ("" for CSV)
    row: int  # the row number as Excel shows it (1-based, title rows counted)
    values: dict[
        str, Cell
    ]  # field key -> the cell as read (merged cells already filled); unmapped fields absent
    # field keys whose cell held a formula: its value is not trusted, so it is absent from `values` (the engine
    # has reported it as a warning already); an importer may refuse the row when such a field is required
    formulas: tuple[str, ...] = ()


Level = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Issue:
    """One line of the report: where, what is wrong, what was done. An "error" refuses the row (or the household
    it belongs to); a "warning" keeps it; "info" says what was done (a value normalised, a match by name)."""

    sheet: str
    row: int
    field: str  # a field key, or "" for the whole row
    problem: str  # translated, for the clerk
    action: str  # translated: what was done about it ("refused", "kept as 1958-03-12", ...)
    level: Level = "error"


@dataclass
class Report:
    """What a dry run found, or a commit did. `counts` has at least new, changed, unchanged, refused, warnings
    (rows); `changes` lists, for a changed record, the sheet, row and what changed from what to what."""

    issues: list[Issue] = field(default_factory=list)
    counts: dict[str, int] = field(
        default_factory=lambda: {"new": 0, "changed": 0, "unchanged": 0, "refused": 0, "warnings": 0}
    )
    changes: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "counts": dict(self.counts),
            "issues": [
                {
                    "sheet": i.sheet,
                    "row": i.row,
                    "field": i.field,
                    "problem": str(i.problem),
                    "action": str(i.action),
                    "level": i.level,
                }
                for i in self.issues
            ],
            "changes": self.changes,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Report:
        report = cls(changes=list(data.get("changes", [])))
        report.counts.update(data.get("counts", {}))
        report.issues = [Issue(**i) for i in data.get("issues", [])]
        return report


class Importer:
    """Subclass and register one instance with `register_importer` from the owning app's `permissions.py`."""

    kind: ClassVar[str]  # "registry.ledger"
    label: ClassVar[Any]  # a lazy translation: "村民台账"
    action: ClassVar[str]  # the permission needed to import (and to see the job)
    fields: ClassVar[Sequence[Field]]

    def options_form(self, *, user, data=None) -> forms.Form | None:
        """A form for what the file does not say (the village a ledger belongs to); its cleaned data must be
        JSON-serialisable through `options_to_json`. None when nothing is asked."""
        return None

    def options_to_json(self, cleaned_data: dict[str, Any]) -> dict[str, Any]:
        return dict(cleaned_data)

    def dry_run(self, *, actor, rows: Iterable[SourceRow], options: dict[str, Any]) -> Report:
        """Check every row against the rules and the database; write nothing."""
        raise NotImplementedError

    def commit(
        self,
        *,
        actor,
        rows: Iterable[SourceRow],
        options: dict[str, Any],
        progress: Callable[[int], None],
    ) -> Report:
        """Write what the dry run would accept, through the app's services, inside the engine's transaction
        (raise to roll everything back). Call `progress(rows_done)` now and then. Importing the same rows twice
        must change nothing the second time."""
        raise NotImplementedError


_IMPORTERS: dict[str, Importer] = {}


def register_importer(importer: Importer) -> None:
    _IMPORTERS[importer.kind] = importer


def importer_for(kind: str) -> Importer:
    return _IMPORTERS[kind]


def importers() -> list[Importer]:
    return list(_IMPORTERS.values())
