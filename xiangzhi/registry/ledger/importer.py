"""The village ledger importer (台账导入): rows of a village's workbook → a plan of households and residents to add
or update, with the row-level report; `services.ledger.ledger_apply` writes the plan.

The dry run and the commit build the same plan (`plan_ledger`), set-based: the village's households, residents,
memberships, phones and flags are read once (six queries), ID numbers not found in the village are looked up in
the whole database in chunks, and everything else is dictionaries. What a row says is read by `normalise`.

Rules a clerk can rely on:
- one row per person; a new household begins at a head row (户主/本人), or at a new household number when the
  ledger has that column; members below their head. A member with no head above is refused.
- residents are matched by ID number; without one, by name and birth date in the same household (said so in the
  report); a masked ID number (`500111********8260`, from a masked export) by name and the visible characters.
- an empty cell never erases what is on record; a masked cell keeps it.
- refused, never guessed: an ID number a spreadsheet destroyed or with a wrong check character, an ID number
  registered to a resident of another household, the same ID number twice in the file, a group the village does
  not have. A birth date or sex that disagrees with the ID number is a warning; the ID number wins.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiangzhi.areas.models import Village, VillageGroup
from xiangzhi.core.audit import audit_over_limit, audit_record_lasting
from xiangzhi.core.crypto import blind_index
from xiangzhi.core.masking import has_personal_number, mask_id_number, mask_phone
from xiangzhi.imports.engine import Field, Importer, Issue, Report, SourceRow

from .. import permissions as perms
from ..choices import LIVING_HERE, IdStatus, Relationship, ResidenceStatus, Sex
from ..idnumber import IdNumber
from ..models import ContactPhone, FlagType, Household, Membership, Resident, ResidentFlag
from . import normalise as norm
from .layout import COLUMNS

CHUNK = 2000
_DIGIT = re.compile(r"[0-9０-９]")
NO_ID_REASON = (
    "台账中未填身份证号"  # stored as the reason, like a cadre's typed one (the workbook is Chinese)
)


# -------------------------------------------------------------------------------------------------- the plan


@dataclass
class PersonRow:
    """One person's row as read, then as planned."""

    sheet: str
    row: int
    values: dict[str, Any]
    name: str = ""
    relationship: str | None = None
    sex: str | None = None
    birth_date: datetime.date | None = None
    id: IdNumber | norm._Masked | None = None
    id_blind: str | None = None
    phones: list[str] | norm._Masked | None = None
    residence: str | None = None
    flags: list[tuple[int, int | None]] | None = None  # (flag type id, level); None: keep
    notes: str | None = None
    head_name: str = ""
    refused: bool = False
    warned: bool = False
    # planning
    household: FileHousehold | None = None
    resident_id: int | None = None  # an existing resident this row updates
    outcome: str = ""  # new / changed / unchanged / refused / skipped
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    end_reason: str = ""  # the resident died or moved away: their membership ends


@dataclass
class FileHousehold:
    sheet: str
    number: str = ""
    group_cell: Any = None
    address: str = ""
    house_number: str = ""
    head: PersonRow | None = None
    members: list[PersonRow] = field(default_factory=list)
    group_id: int | None = None
    household_id: int | None = None  # the existing household it is
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)


@dataclass
class LedgerPlan:
    village: Village
    households: list[FileHousehold]
    people: list[PersonRow]
    report: Report
    existing: Existing

    def new_people(self) -> list[PersonRow]:
        return [p for p in self.people if p.outcome == "new"]

    def changed_people(self) -> list[PersonRow]:
        return [p for p in self.people if p.outcome == "changed"]


@dataclass
class ExistingResident:
    pk: int
    household_id: int
    name: str
    sex: str
    birth_date: datetime.date | None
    id_status: str
    id_number: str | None
    id_blind: str | None
    no_id_reason: str
    residence_status: str
    notes: str
    relationship: str | None = None  # of the current membership; None: none current
    phones: list[tuple[str, str, str, str, int]] = field(
        default_factory=list
    )  # number, blind, holder, name, prio
    flags: dict[int, int | None] = field(default_factory=dict)


@dataclass
class Existing:
    """What the village holds, read once."""

    groups: list[VillageGroup]
    flag_types: list[FlagType]
    households: dict[int, dict[str, Any]]
    by_number: dict[str, int]
    residents: dict[int, ExistingResident]
    by_blind: dict[str, int]
    by_household: dict[int, list[int]]

    @classmethod
    def load(cls, *, actor, village: Village) -> Existing:
        groups = list(
            VillageGroup.objects.restrict(actor, perms.IMPORT).filter(village=village).order_by("number")
        )
        flag_types = list(FlagType.objects.restrict(actor, perms.VIEW).filter(town_id=village.town_id))
        households = {
            row["id"]: row
            for row in Household.objects.restrict(actor, perms.IMPORT)
            .filter(village=village)
            .values("id", "number", "group_id", "address", "house_number", "head_id", "status")
        }
        residents = {
            r[0]: ExistingResident(*r)
            for r in Resident.objects.restrict(actor, perms.IMPORT)
            .filter(household__village=village)
            .values_list(
                "id",
                "household_id",
                "name",
                "sex",
                "birth_date",
                "id_status",
                "id_number",
                "id_blind",
                "no_id_reason",
                "residence_status",
                "notes",
            )
        }
        for resident_id, relationship in (
            Membership.objects.restrict(actor, perms.IMPORT)
            .filter(household__village=village, ended_at__isnull=True)
            .values_list("resident_id", "relationship")
        ):
            if resident_id in residents:
                residents[resident_id].relationship = relationship
        for resident_id, number, blind, holder, holder_name, priority in (
            ContactPhone.objects.restrict(actor, perms.IMPORT)
            .filter(resident__household__village=village)
            .order_by("priority", "id")
            .values_list("resident_id", "number", "blind", "holder", "holder_name", "priority")
        ):
            if resident_id in residents:
                residents[resident_id].phones.append((number, blind, holder, holder_name, priority))
        for resident_id, flag_id, level in (
            ResidentFlag.objects.restrict(actor, perms.IMPORT)
            .filter(resident__household__village=village)
            .values_list("resident_id", "flag_id", "level")
        ):
            if resident_id in residents:
                residents[resident_id].flags[flag_id] = level
        by_household: dict[int, list[int]] = defaultdict(list)
        for r in residents.values():
            by_household[r.household_id].append(r.pk)
        return cls(
            groups=groups,
            flag_types=flag_types,
            households=households,
            by_number={h["number"]: pk for pk, h in households.items()},
            residents=residents,
            by_blind={r.id_blind: r.pk for r in residents.values() if r.id_blind},
            by_household=by_household,
        )


# ---------------------------------------------------------------------------------------------- the planner


class _Reporter:
    def __init__(self):
        self.report = Report()

    def error(self, person: PersonRow, field_key: str, problem: str, action: str | None = None) -> None:
        if not person.refused:
            self.report.issues.append(
                Issue(person.sheet, person.row, field_key, problem, action or _("row refused"), "error")
            )
        person.refused = True

    def warning(self, person: PersonRow, field_key: str, problem: str, action: str) -> None:
        self.report.issues.append(Issue(person.sheet, person.row, field_key, problem, action, "warning"))
        person.warned = True

    def info(self, person: PersonRow, field_key: str, problem: str, action: str) -> None:
        self.report.issues.append(Issue(person.sheet, person.row, field_key, problem, action, "info"))


def _read_row(source: SourceRow, existing: Existing, out: _Reporter) -> PersonRow | None:
    values = source.values
    if not norm.has_content(values) or norm.is_subtotal(values):
        return None
    person = PersonRow(source.sheet, source.row, values)
    person.name = norm.text(values.get("name"))
    if person.name in ("姓名", "名字"):  # the header repeated on a later sheet or page
        return None
    person.head_name = norm.text(values.get("head_name"))
    if not person.name:
        out.error(person, "name", _("The row has no name."))
        return person
    if _DIGIT.search(person.name) and has_personal_number(person.name):
        out.error(person, "name", _("The name holds a phone or ID number."))
        return person
    readers: list[tuple[str, Callable[[Any], Any]]] = [
        ("relationship", norm.parse_relationship),
        ("sex", norm.parse_sex),
        ("birth_date", norm.parse_date),
        ("id", norm.parse_id),
        ("phones", norm.parse_phones),
        ("residence", norm.parse_residence),
    ]
    cells = {"id": "id_number", "residence": "residence_status"}
    for attr, reader in readers:
        key = cells.get(attr, attr)
        try:
            setattr(person, attr, reader(values.get(key)))
        except ValidationError as exc:
            if attr == "birth_date" and values.get("id_number"):
                out.warning(person, key, exc.messages[0], _("ignored: the ID number says the birth date"))
                continue
            out.error(person, key, " ".join(exc.messages))
    if person.refused:
        return person
    if "flags" in values and norm.text(values.get("flags")):
        found, unknown = norm.parse_flags(values["flags"], existing.flag_types)
        person.flags = [(cast(FlagType, f.flag).pk, f.level) for f in found]
        for word in unknown:
            out.warning(
                person, "flags", _("%(flag)s is not one of the town's flags.") % {"flag": word}, _("left out")
            )
        for f in found:
            if f.flag.has_level and f.level is None:
                out.info(
                    person,
                    "flags",
                    _("%(flag)s has no level.") % {"flag": f.flag.name},
                    _("kept without level"),
                )
    notes = norm.text(values.get("notes"))
    if notes:
        if has_personal_number(notes):
            out.warning(
                person,
                "notes",
                _("Put phone and ID numbers in their own fields, not in this text."),
                _("notes left out"),
            )
        else:
            person.notes = notes
    if isinstance(person.id, IdNumber):
        if norm.ends_like_destroyed(person.id.number):
            out.warning(
                person,
                "id_number",
                _(
                    "The ID number ends in 000, as one a spreadsheet cut short would; its check character is right."
                ),
                _("kept: compare it with the ID card"),
            )
        if person.birth_date and person.birth_date != person.id.birth_date:
            out.warning(
                person,
                "birth_date",
                _("The birth date does not match the ID number."),
                _("kept the ID number's"),
            )
        if person.sex and person.sex != person.id.sex:
            out.warning(
                person,
                "sex",
                _("The ID number says the resident is %(sex)s.")
                % {"sex": _("male") if person.id.sex == Sex.MALE else _("female")},
                _("kept the ID number's"),
            )
        person.birth_date, person.sex = person.id.birth_date, person.id.sex
        person.id_blind = blind_index("id", person.id.number)
    return person


def _group_households(people: list[PersonRow], out: _Reporter) -> list[FileHousehold]:
    households: list[FileHousehold] = []
    by_number: dict[str, FileHousehold] = {}
    current: FileHousehold | None = None
    sheet = None
    for p in people:
        if p.sheet != sheet:
            sheet, current = p.sheet, None
        if p.refused and not p.name:
            continue
        number = norm.text(p.values.get("household_number"))
        if p.relationship is None and p.head_name and p.head_name == p.name:
            p.relationship = Relationship.HEAD
        if number:
            fh = by_number.get(number)
            if fh is None:
                fh = by_number[number] = FileHousehold(sheet=p.sheet, number=number)
                households.append(fh)
            current = fh
        elif p.relationship == Relationship.HEAD:
            current = fh = FileHousehold(sheet=p.sheet)
            households.append(fh)
        else:
            fh = current
            if fh is not None and p.head_name and fh.head is not None and fh.head.name != p.head_name:
                fh = None
        if fh is None:
            out.error(p, "relationship", _("No head of household above this member."))
            continue
        if p.relationship is None and not p.refused:
            out.error(p, "relationship", _("Say the relationship to the head (户主, 配偶, 子 …)."))
        if p.relationship == Relationship.HEAD:
            if fh.head is not None and not p.refused:
                out.error(
                    p,
                    "relationship",
                    _("The household already has a head on row %(row)d.") % {"row": fh.head.row},
                )
            else:
                fh.head = p
        p.household = fh
        fh.members.append(p)
        if fh.group_cell in (None, "") and norm.text(p.values.get("group")):
            fh.group_cell = p.values.get("group")
        fh.address = fh.address or norm.text(p.values.get("address"))
        fh.house_number = fh.house_number or norm.text(p.values.get("house_number"))
    return households


def _refuse_household(fh: FileHousehold, out: _Reporter, field_key: str, problem: str) -> None:
    for p in fh.members:
        out.error(p, field_key, problem)


def _resolve_groups(households: list[FileHousehold], existing: Existing, out: _Reporter) -> None:
    for fh in households:
        cell = (
            fh.group_cell if norm.text(fh.group_cell) else fh.sheet
        )  # one sheet per group: the sheet's name
        group = norm.match_group(cell, existing.groups)
        if group is None and not norm.text(fh.group_cell) and fh.household_id is not None:
            group_id = existing.households[fh.household_id]["group_id"]
            group = next((g for g in existing.groups if g.pk == group_id), None)
        if group is None:
            _refuse_household(
                fh,
                out,
                "group",
                _("The village has no group %(group)s.") % {"group": norm.text(cell) or "—"}
                if norm.text(cell)
                else _("Say which group the household belongs to."),
            )
            continue
        fh.group_id = group.pk


def _where(p: PersonRow) -> str:
    return (
        _("sheet %(sheet)s row %(row)d") % {"sheet": p.sheet, "row": p.row}
        if p.sheet
        else _("row %(row)d") % {"row": p.row}
    )


def _duplicates_in_file(people: list[PersonRow], out: _Reporter) -> None:
    seen: dict[str, list[PersonRow]] = defaultdict(list)
    for p in people:
        if isinstance(p.id, IdNumber) and not p.refused:
            seen[p.id.number].append(p)
    for rows in seen.values():
        if len(rows) < 2:
            continue
        for p in rows:
            others = ", ".join(_where(o) for o in rows if o is not p)
            out.error(
                p,
                "id_number",
                _("The same ID number is also on %(rows)s.") % {"rows": others},
                _("row refused: decide which row is right"),
            )


def _elsewhere(actor, people: list[PersonRow], existing: Existing, out: _Reporter) -> None:
    """ID numbers the village does not hold: registered elsewhere? Looked up in chunks. Who may not view that
    household learns only that the number is taken, each such answer is a lasting audit row, and past the hourly
    limit the numbers are not checked at all (as `services.resident_add` does): the import is no oracle."""
    wanted = {
        p.id_blind: p for p in people if p.id_blind and not p.refused and p.id_blind not in existing.by_blind
    }
    if not wanted:
        return
    found: dict[str, tuple[int, int]] = {}
    blinds = list(wanted)
    for start in range(0, len(blinds), CHUNK):
        found.update(
            (blind, (pk, household_id))
            for blind, pk, household_id in Resident.objects.unrestricted(
                "an ID number is registered once in the whole database"
            )
            .filter(id_blind__in=blinds[start : start + CHUNK])
            .values_list("id_blind", "id", "household_id")
        )
    if not found:
        return
    visible = dict(
        Household.objects.restrict(actor, perms.VIEW)
        .filter(pk__in={h for _pk, h in found.values()})
        .values_list("pk", "number")
    )
    from ..services._common import DUPLICATE_ID_ACTION

    since = timezone.now() - settings.XIANGZHI_DUPLICATE_ID_WINDOW
    limit = settings.XIANGZHI_DUPLICATE_ID_LIMIT
    over = audit_over_limit(actor=actor, action=DUPLICATE_ID_ACTION, since=since, limit=limit - 1) is not None
    for blind, person in wanted.items():
        if over:
            out.error(
                person,
                "id_number",
                _("Too many ID numbers you entered were already registered; try again in an hour."),
            )
            continue
        if blind not in found:
            continue
        _pk, household_id = found[blind]
        if household_id in visible:
            out.error(
                person,
                "id_number",
                _("This ID number is registered to a resident of household %(number)s.")
                % {"number": visible[household_id]},
            )
            continue
        audit_record_lasting(
            actor=actor,
            action=DUPLICATE_ID_ACTION,
            town=actor.town,
            after={"id_number": mask_id_number(person.id.number)},  # type: ignore[union-attr]
        )
        out.error(person, "id_number", _("This ID number is already registered to another resident."))
        over = (
            audit_over_limit(actor=actor, action=DUPLICATE_ID_ACTION, since=since, limit=limit - 1)
            is not None
        )


def _match(p: PersonRow, fh: FileHousehold, existing: Existing, out: _Reporter) -> None:
    """Which existing resident the row is, if any; adopts the existing household of a head found by ID."""
    if isinstance(p.id, IdNumber):
        pk = existing.by_blind.get(p.id_blind)  # type: ignore[arg-type]
        if pk is not None:
            resident = existing.residents[pk]
            if fh.household_id is None and p is fh.head and not fh.number:
                fh.household_id = resident.household_id
            if resident.household_id != fh.household_id:
                number = existing.households.get(resident.household_id, {}).get("number", "")
                out.error(
                    p,
                    "id_number",
                    _("This ID number is registered to a resident of household %(number)s.")
                    % {"number": number},
                )
                return
            p.resident_id = pk
            return
    if fh.household_id is None:
        if p.id is norm.MASKED:
            out.error(p, "id_number", _("The ID number is masked and the resident is not on record."))
        return
    candidates = [existing.residents[pk] for pk in existing.by_household.get(fh.household_id, [])]
    if p.id is norm.MASKED:
        masked = norm.text(p.values.get("id_number")).replace("＊", "*")
        hit = [r for r in candidates if r.name == p.name and mask_id_number(r.id_number) == masked]
        if len(hit) == 1:
            p.resident_id = hit[0].pk
        else:
            out.error(p, "id_number", _("The ID number is masked and the resident is not on record."))
        return
    if p.birth_date is None:
        return
    hit = [r for r in candidates if r.name == p.name and r.birth_date == p.birth_date]
    if len(hit) == 1 and (p.id is None or hit[0].id_number is None):
        p.resident_id = hit[0].pk
        out.info(
            p,
            "",
            _("No ID number to match by: matched by name and birth date in the household."),
            _("matched %(name)s") % {"name": p.name},
        )


def _flags_label(flags: Iterable[tuple[int, int | None]], names: dict[int, str]) -> str:
    return "、".join(sorted(f"{names.get(pk, pk)}{f'({level})' if level else ''}" for pk, level in flags))


def _diff(p: PersonRow, fh: FileHousehold, existing: Existing, out: _Reporter) -> None:
    r = existing.residents[p.resident_id]  # type: ignore[index]
    changes = p.changes
    if p.name != r.name:
        changes["name"] = (r.name, p.name)
    if p.sex and p.sex != r.sex:
        changes["sex"] = (r.sex, p.sex)
    if isinstance(p.id, IdNumber) and r.id_number != p.id.number:
        changes["id_number"] = (mask_id_number(r.id_number), mask_id_number(p.id.number))
    if p.birth_date and p.birth_date != r.birth_date and not isinstance(p.id, norm._Masked):
        shown = r.id_status != IdStatus.PRESENT and not isinstance(p.id, IdNumber)
        changes["birth_date"] = (r.birth_date, p.birth_date) if shown else ("…", "…")
    if p.residence and p.residence != r.residence_status:
        if r.residence_status not in LIVING_HERE:
            out.warning(
                p,
                "residence_status",
                _("The record says %(status)s.") % {"status": ResidenceStatus(r.residence_status).label},
                _("not changed: change it on the household card"),
            )
        elif p.residence in LIVING_HERE:
            changes["residence_status"] = (r.residence_status, p.residence)
        elif r.relationship is not None:
            changes["residence_status"] = (r.residence_status, p.residence)
            p.end_reason = "deceased" if p.residence == ResidenceStatus.DECEASED else "moved_out"
    if p.notes is not None and p.notes != r.notes:
        changes["notes"] = (r.notes, p.notes)
    if (
        isinstance(p.phones, list)
        and p.phones
        and [blind_index("phone", n) for n in p.phones] != [ph[1] for ph in r.phones]
    ):
        changes["phones"] = (
            "、".join(mask_phone(ph[0]) for ph in r.phones),
            "、".join(mask_phone(n) for n in p.phones),
        )
    if p.flags is not None and dict(p.flags) != r.flags:
        names = {f.pk: f.name for f in existing.flag_types}
        changes["flags"] = (_flags_label(r.flags.items(), names), _flags_label(p.flags, names))
    if p.relationship and r.relationship and p.relationship != r.relationship:
        out.warning(
            p,
            "relationship",
            _("The record says %(relationship)s.") % {"relationship": Relationship(r.relationship).label},
            _("not changed: change the head or the member on the household card"),
        )


def plan_ledger(*, actor, village: Village, rows: Iterable[SourceRow]) -> LedgerPlan:
    out = _Reporter()
    existing = Existing.load(actor=actor, village=village)
    people = [p for p in (_read_row(row, existing, out) for row in rows) if p is not None]
    households = _group_households(people, out)
    for fh in households:
        if fh.number:
            fh.household_id = existing.by_number.get(fh.number)
            if fh.household_id is None:
                from ..services._common import _check_household_number

                try:
                    _check_household_number(fh.number)
                except ValidationError as exc:
                    _refuse_household(fh, out, "household_number", exc.messages[0])
    _duplicates_in_file(people, out)
    _elsewhere(actor, people, existing, out)
    for fh in households:
        if fh.head is not None:  # the head first: an existing head brings its household
            _match(fh.head, fh, existing, out)
    _resolve_groups(households, existing, out)
    for fh in households:
        head_on_record = (
            fh.household_id is not None and existing.households[fh.household_id]["head_id"] is not None
        )
        if (fh.head is None or fh.head.refused) and not head_on_record:
            problem = (
                _("The head's row is refused, so its members are too.")
                if fh.head is not None
                else _("No head of household above this member.")
            )
            _refuse_household(fh, out, "relationship", problem)
            continue
        if fh.head is not None and head_on_record and fh.head.resident_id is None:
            _refuse_household(fh, out, "relationship", _("The household on record already has another head."))
            continue
        for p in fh.members:
            if p is not fh.head and not p.refused:
                _match(p, fh, existing, out)
        if fh.household_id is not None:
            record = existing.households[fh.household_id]
            if fh.group_id and fh.group_id != record["group_id"]:
                out.warning(
                    fh.members[0],
                    "group",
                    _("The household is in another group on record."),
                    _("not changed: move the household on its card"),
                )
            for key in ("address", "house_number"):
                value = getattr(fh, key)
                if value and value != record[key]:
                    fh.changes[key] = (record[key], value)
    claimed: dict[int, PersonRow] = {}
    for p in people:
        if p.refused or p.household is None:
            continue
        if p.resident_id is not None:
            if p.resident_id in claimed:
                out.error(
                    p,
                    "name",
                    _("The same resident is also on %(rows)s.") % {"rows": _where(claimed[p.resident_id])},
                )
                continue
            claimed[p.resident_id] = p
            _diff(p, p.household, existing, out)
            p.outcome = "changed" if p.changes else "unchanged"
        elif p.residence in (ResidenceStatus.DECEASED, ResidenceStatus.MOVED_OUT):
            out.warning(
                p,
                "residence_status",
                _("Not on record and no longer living here."),
                _("not registered"),
            )
            p.outcome = "skipped"
        else:
            if p.id is None:
                out.warning(p, "id_number", _("No ID number."), _("registered without one"))
            p.outcome = "new"
    report = out.report
    for p in people:
        if p.refused:
            p.outcome = "refused"
    counts = report.counts
    counts["skipped"] = 0
    counts["households_new"] = 0
    counts["households_changed"] = 0
    for p in people:
        counts[p.outcome] = counts.get(p.outcome, 0) + 1
        counts["warnings"] += p.warned
    for fh in households:
        if fh.household_id is None and any(p.outcome == "new" for p in fh.members):
            counts["households_new"] += 1
        elif fh.changes:
            counts["households_changed"] += 1
            first = fh.members[0]
            report.changes.append(
                {"sheet": first.sheet, "row": first.row, "record": fh.number, "changes": _shown(fh.changes)}
            )
    for p in people:
        if p.outcome == "changed":
            report.changes.append(
                {"sheet": p.sheet, "row": p.row, "record": p.name, "changes": _shown(p.changes)}
            )
    report.issues.sort(key=lambda i: (i.sheet, i.row))
    return LedgerPlan(village=village, households=households, people=people, report=report, existing=existing)


def _shown(changes: dict[str, tuple[Any, Any]]) -> dict[str, list[str]]:
    def show(value: Any) -> str:
        if value is None or value == "":
            return "—"
        return value.isoformat() if isinstance(value, datetime.date) else str(value)

    return {key: [show(old), show(new)] for key, (old, new) in changes.items()}


# ------------------------------------------------------------------------------------------------ importer


class LedgerOptionsForm(forms.Form):
    village = forms.ModelChoiceField(queryset=Village.objects.none(), label=gettext_lazy("Village"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        from xiangzhi.areas.selectors import villages_for

        cast(forms.ModelChoiceField, self.fields["village"]).queryset = villages_for(
            user=user, action=perms.IMPORT
        )


FIELDS: tuple[Field, ...] = (
    *(Field(c.key, c.header, c.synonyms, c.required) for c in COLUMNS),
    # Some ledgers repeat the head's name on every row of a household (or leave it blank below the head).
    Field("head_name", "户主", ("户主名", "户主姓名(本户)")),
)


class LedgerImporter(Importer):
    kind = "registry.ledger"
    label = gettext_lazy("Village ledger (村民台账)")
    action = perms.IMPORT
    fields = FIELDS

    def options_form(self, *, user, data=None) -> forms.Form:
        return LedgerOptionsForm(data, user=user)

    def options_to_json(self, cleaned_data: dict[str, Any]) -> dict[str, Any]:
        return {"village": cleaned_data["village"].pk}

    def _village(self, actor, options: dict[str, Any]) -> Village:
        return Village.objects.restrict(actor, perms.IMPORT).get(pk=options["village"])

    def dry_run(self, *, actor, rows: Iterable[SourceRow], options: dict[str, Any]) -> Report:
        return plan_ledger(actor=actor, village=self._village(actor, options), rows=rows).report

    def commit(
        self,
        *,
        actor,
        rows: Iterable[SourceRow],
        options: dict[str, Any],
        progress: Callable[[int], None],
    ) -> Report:
        from ..services.ledger import ledger_apply

        plan = plan_ledger(actor=actor, village=self._village(actor, options), rows=rows)
        progress(len(plan.people) // 2)
        ledger_apply(actor=actor, village=plan.village, plan=plan)
        progress(len(plan.people))
        return plan.report
