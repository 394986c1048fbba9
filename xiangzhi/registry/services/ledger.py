"""Writing a village ledger's plan (`ledger.importer.plan_ledger`) in bulk, with the invariants of the single-record
services: households numbered in the town's pattern, one current membership per resident (`start_reason`
"registered"), the household's head, ID and phone numbers encrypted with their blind indexes, phones in call order,
flags, search keys built by `search` exactly as `reindex_resident` would, and one audit row per record written
(the same actions as the cadre's forms: `registry.resident.add`, `registry.resident.update`, …, each row's `via`
saying it came from the ledger) plus one `registry.ledger.import` row for the import naming its counts.

A whole town's ledger (26,551 residents) is a few dozen statements per thousand rows instead of a dozen per row:
model rows through `bulk_create`/`bulk_update` in batches, search keys and audit rows the same way.
"""

from __future__ import annotations

import functools
import operator
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from xiangzhi.areas.models import Village, VillageGroup
from xiangzhi.core import context
from xiangzhi.core.audit import _jsonable, get_audit_action
from xiangzhi.core.crypto import blind_index
from xiangzhi.core.masking import mask_id_number, mask_phone
from xiangzhi.core.models import AuditEntry
from xiangzhi.core.scoping import require

from .. import permissions as perms
from .. import search
from ..bulk import RawInsert
from ..choices import IdStatus, MembershipEnd, MembershipStart, PhoneHolder, Relationship, ResidenceStatus
from ..models import ContactPhone, Household, Membership, Resident, ResidentFlag, SearchToken
from ._common import _END_ACTION, CALL_ORDER_ASIDE
from .households import SEQUENCE_DIGITS, household_number_fits, household_number_prefix

if TYPE_CHECKING:
    from ..ledger.importer import ExistingResident, FileHousehold, LedgerPlan, PersonRow

BATCH = 2000
VIA = "台账导入"
_CHECKED = "the service checked scope with require()"


@functools.lru_cache(maxsize=65536)
def _name_keys(name: str) -> frozenset[str]:
    return frozenset(search.resident_keys(name, [], None))


@functools.lru_cache(maxsize=65536)
def _tail(purpose: str, tail: str) -> str:
    return blind_index(purpose, tail)


def resident_search_keys(
    name: str, phones: list[tuple[str, str]], id_number: str | None, id_blind: str | None
):
    """`search.resident_keys` with each blind index computed once: names and four-digit tails repeat (a test pins
    the equality). `phones` holds (number, its "phone" blind index)."""
    keys = set(_name_keys(name))
    for number, blind in phones:
        keys.add(search.PHONE_TAIL + _tail("phone-tail", number[-search.TAIL :]))
        keys.add(search.PHONE_FULL + blind)
    if id_number and id_blind:
        keys.add(search.ID_TAIL + _tail("id-tail", id_number[-search.TAIL :]))
        keys.add(search.ID_FULL + id_blind)
    return keys


class _Audit:
    """Audit rows built as `core.audit.audit_record` builds them, written in batches."""

    def __init__(self, actor, town_id: int):
        ctx = context.current()
        self.common = {
            "actor": actor if actor is not None and actor.pk else None,
            "actor_name": getattr(actor, "username", "") or "",
        }
        self.rows: list[tuple] = []
        self.json = AuditEntry._meta.get_field("after").get_db_prep_save
        self.head = (
            town_id,
            self.common["actor"].pk if self.common["actor"] else None,
            self.common["actor_name"],
            ctx.ip_address,
            ctx.request_id,
            ctx.client_request_id,
            AuditEntry._meta.get_field("created_at").get_db_prep_save(timezone.now(), connection),
        )

    def add(self, action: str, target, *, before=None, after=None) -> None:
        get_audit_action(action)
        self.rows.append(
            (
                *self.head,
                action,
                target._meta.label_lower,
                str(target.pk),
                str(target)[:200],
                self.json(_jsonable(before), connection) if before is not None else None,
                self.json(_jsonable(after), connection) if after is not None else None,
            )
        )

    def write(self) -> None:
        # Rows are only ever inserted (the table's triggers refuse UPDATE and DELETE); written as audit_record writes
        # them, in batches.
        insert = RawInsert(
            AuditEntry,
            [
                "town_id",
                "actor_id",
                "actor_name",
                "ip_address",
                "request_id",
                "client_request_id",
                "created_at",
                "action",
                "target_type",
                "target_id",
                "target_repr",
                "before",
                "after",
            ],
        )
        for start in range(0, len(self.rows), BATCH * 5):
            insert.write(self.rows[start : start + BATCH * 5])


def _resident_snapshot(
    r: Resident, phones: list[tuple[str, str, str, int]], flags: dict[int, int | None], codes: dict[int, str]
) -> dict[str, Any]:
    """What `snapshot(resident)` keeps (registry/audit.py), from values in hand: phones are (number, holder,
    holder_name, priority)."""
    return {
        "name": r.name,
        "sex": r.sex,
        "id_status": r.id_status,
        "id_number": mask_id_number(r.id_number),
        "no_id_reason": r.no_id_reason,
        "residence_status": r.residence_status,
        "household": r.household_id,
        "notes": r.notes,
        "birth_date": r.birth_date if r.id_status != IdStatus.PRESENT else None,
        "phones": [
            {"number": mask_phone(n), "holder": h, "holder_name": hn, "priority": p} for n, h, hn, p in phones
        ],
        "flags": sorted(f"{codes[f]}:{level}" if level else codes[f] for f, level in flags.items()),
    }


def _existing_as_resident(e: ExistingResident, town_id: int) -> Resident:
    return Resident(
        pk=e.pk,
        town_id=town_id,
        household_id=e.household_id,
        name=e.name,
        sex=e.sex,
        birth_date=e.birth_date,
        id_status=e.id_status,
        id_number=e.id_number,
        id_blind=e.id_blind,
        no_id_reason=e.no_id_reason,
        residence_status=e.residence_status,
        notes=e.notes,
    )


def _next_numbers(village: Village, groups: dict[int, VillageGroup]) -> dict[int, int]:
    """The highest sequence taken per group (the town's pattern), read under a lock on the groups' rows so a
    concurrent `household_create` waits."""
    list(VillageGroup.objects.unrestricted(_CHECKED).select_for_update().filter(village=village))
    highest: dict[int, int] = defaultdict(int)
    taken = Household.objects.unrestricted(
        "the numbers taken in the village, to give free ones; none is shown"
    ).filter(village=village)
    numbers = set(taken.values_list("number", flat=True))
    for group in groups.values():
        prefix = household_number_prefix(group)
        for number in numbers:
            if number.startswith(prefix) and household_number_fits(group=group, number=number):
                highest[group.pk] = max(highest[group.pk], int(number[len(prefix) :]))
    return highest


@transaction.atomic
def ledger_apply(*, actor, village: Village, plan: LedgerPlan) -> dict[str, int]:
    """Write what `plan` accepted; returns the counts written. Runs the whole import in one transaction."""
    require(actor, perms.IMPORT, village)
    town_id = village.town_id
    now = timezone.now()
    existing = plan.existing
    codes = {f.pk: f.code for f in existing.flag_types}
    groups = {g.pk: g for g in existing.groups}
    audit = _Audit(actor, town_id)
    tokens: list[tuple] = []
    reindex_residents: list[int] = []
    reindex_households: list[Household] = []

    # ---- households: new ones, numbered in the town's pattern when the ledger gives none
    new_households = [
        fh
        for fh in plan.households
        if fh.household_id is None and any(p.outcome == "new" for p in fh.members)
    ]
    highest = _next_numbers(village, groups) if any(not fh.number for fh in new_households) else {}
    rows: list[Household] = []
    for fh in new_households:
        group = groups[fh.group_id]  # type: ignore[index]
        number = fh.number
        if not number:
            highest[group.pk] += 1
            number = f"{household_number_prefix(group)}{highest[group.pk]:0{SEQUENCE_DIGITS}d}"
        rows.append(
            Household(
                town_id=town_id,
                village_id=village.pk,
                group=group,
                number=number,
                address=fh.address,
                house_number=fh.house_number,
                confirmed_at=now,
                created_at=now,
            )
        )
    Household.objects.bulk_create(rows, batch_size=BATCH)
    household_of: dict[int, Household] = {}
    for fh, household in zip(new_households, rows, strict=True):
        household_of[id(fh)] = household
        fh.household_id = household.pk
        tokens += [
            (town_id, household.village_id, household.group_id, household.pk, None, key[:80])
            for key in search.household_keys(household)
        ]
        audit.add(
            "registry.household.create", household, after={**_household_snapshot(household), "via": VIA}
        )

    # ---- households on record whose address or house number the ledger changes
    changed_households = [fh for fh in plan.households if fh.changes and id(fh) not in household_of]
    if changed_households:
        by_pk = {
            h.pk: h
            for h in Household.objects.unrestricted(_CHECKED)
            .select_related("group")
            .filter(pk__in=[fh.household_id for fh in changed_households])
        }
        updated = []
        for fh in changed_households:
            household = by_pk[fh.household_id]  # type: ignore[index]
            before = _household_snapshot(household)
            for key, (_old, new) in fh.changes.items():
                setattr(household, key, new)
            household.updated_at = now
            updated.append(household)
            reindex_households.append(household)
            audit.add(
                "registry.household.update",
                household,
                before=before,
                after={**_household_snapshot(household), "via": VIA},
            )
        Household.objects.bulk_update(updated, ["address", "house_number", "updated_at"], batch_size=BATCH)

    # ---- new residents, their memberships, phones and flags
    new_people = plan.new_people()
    residents = []
    for p in new_people:
        household_id = p.household.household_id  # type: ignore[union-attr]
        number = p.id.number if hasattr(p.id, "number") else None  # type: ignore[union-attr]
        residents.append(
            Resident(
                town_id=town_id,
                household_id=household_id,
                name=p.name,
                sex=p.sex or "",
                birth_date=p.birth_date,
                id_status=IdStatus.PRESENT if number else IdStatus.NONE,
                id_number=number,
                id_blind=p.id_blind if number else None,
                no_id_reason="" if number else _no_id_reason(),
                residence_status=p.residence or ResidenceStatus.AT_HOME,
                notes=p.notes or "",
                created_at=now,
            )
        )
    Resident.objects.bulk_create(residents, batch_size=BATCH)
    encrypt = ContactPhone._meta.get_field("number").get_db_prep_save
    started = Membership._meta.get_field("started_at").get_db_prep_save(now, connection)
    memberships: list[tuple] = []
    phones: list[tuple] = []
    flags: list[tuple] = []
    heads: list[tuple[int, int]] = []
    for p, resident in zip(new_people, residents, strict=True):
        p.resident_id = r_id = resident.pk
        h_id = resident.household_id
        memberships.append(
            (town_id, h_id, r_id, p.relationship, started, MembershipStart.REGISTERED.value, None, "")
        )
        numbers = p.phones if isinstance(p.phones, list) else []
        phone_rows = [
            (n, blind_index("phone", n), PhoneHolder.SELF.value, "", place)
            for place, n in enumerate(numbers, start=1)
        ]
        phones += [(town_id, r_id, encrypt(n, connection), b, h, hn, pr) for n, b, h, hn, pr in phone_rows]
        flag_map = dict(p.flags or [])
        flags += [(town_id, r_id, f, level) for f, level in flag_map.items()]
        if p.relationship == Relationship.HEAD:
            heads.append((r_id, h_id))
        household = household_of.get(id(p.household)) or _household_stub(
            p.household, existing, village, town_id
        )
        keys = resident_search_keys(
            resident.name, [(n, b) for n, b, *_ in phone_rows], resident.id_number, resident.id_blind
        )
        v_id, g_id = household.village_id, household.group_id
        tokens += [(town_id, v_id, g_id, h_id, r_id, key[:80]) for key in keys]
        audit.add(
            "registry.resident.add",
            resident,
            after={
                **_resident_snapshot(
                    resident, [(n, h, hn, pr) for n, _b, h, hn, pr in phone_rows], flag_map, codes
                ),
                "relationship": p.relationship,
                "start_reason": MembershipStart.REGISTERED,
                "via": VIA,
            },
        )
    _INSERT["membership"]().write(memberships)
    if heads:
        table = connection.ops.quote_name(Household._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {table} SET head_id = %s WHERE id = %s", heads)  # noqa: S608

    # ---- residents on record the ledger changes
    changed = plan.changed_people()
    _apply_changes(changed, existing, town_id, now, codes, audit, phones, flags, reindex_residents)
    _INSERT["phone"]().write(phones)
    _INSERT["flag"]().write(flags)

    # ---- search keys: new records' keys built above; changed records rebuilt from the database as the services do
    rebuilt: list[SearchToken] = []
    if reindex_residents:
        for start in range(0, len(reindex_residents), BATCH):
            chunk = reindex_residents[start : start + BATCH]
            SearchToken.objects.unrestricted("keys of records this service is writing").filter(
                resident_id__in=chunk
            ).delete()
            for resident in (
                Resident.objects.unrestricted(_CHECKED)
                .filter(pk__in=chunk)
                .select_related("household__group")
                .prefetch_related("phones")
            ):
                rebuilt += search.build_resident_tokens(resident)
    for household in reindex_households:
        SearchToken.objects.unrestricted("keys of records this service is writing").filter(
            household=household, resident__isnull=True
        ).delete()
        rebuilt += search.build_household_tokens(household)
    tokens += [(t.town_id, t.village_id, t.group_id, t.household_id, t.resident_id, t.token) for t in rebuilt]
    # in key order: consecutive rows land on the same index pages
    tokens.sort(key=operator.itemgetter(5))
    _INSERT["token"]().write(tokens)

    counts = {key: value for key, value in plan.report.counts.items() if isinstance(value, int)}
    if new_people or changed or new_households or changed_households:
        audit.add(
            "registry.ledger.import",
            village,
            after={
                "new": len(new_people),
                "changed": len(changed),
                "unchanged": counts.get("unchanged", 0),
                "refused": counts.get("refused", 0),
                "households_new": len(new_households),
                "households_changed": len(changed_households),
            },
        )
    audit.write()
    return counts


_INSERT = {
    "membership": lambda: RawInsert(
        Membership,
        [
            "town_id",
            "household_id",
            "resident_id",
            "relationship",
            "started_at",
            "start_reason",
            "ended_at",
            "end_reason",
        ],
    ),
    "phone": lambda: RawInsert(
        ContactPhone, ["town_id", "resident_id", "number", "blind", "holder", "holder_name", "priority"]
    ),
    "flag": lambda: RawInsert(ResidentFlag, ["town_id", "resident_id", "flag_id", "level"]),
    "token": lambda: RawInsert(
        SearchToken, ["town_id", "village_id", "group_id", "household_id", "resident_id", "token"]
    ),
}


def _no_id_reason() -> str:
    from ..ledger.importer import NO_ID_REASON

    return NO_ID_REASON


def _household_snapshot(h: Household) -> dict[str, Any]:
    return {
        "number": h.number,
        "group": h.group_id,
        "address": h.address,
        "house_number": h.house_number,
        "latitude": h.latitude,
        "longitude": h.longitude,
        "head": h.head_id,
        "status": h.status,
    }


def _household_stub(fh: FileHousehold | None, existing, village: Village, town_id: int) -> Household:
    """An existing household as the search keys need it (its town, village, group and pk)."""
    assert fh is not None and fh.household_id is not None
    group_id = existing.households[fh.household_id]["group_id"]
    return Household(pk=fh.household_id, town_id=town_id, village_id=village.pk, group_id=group_id)


def _apply_changes(
    changed: list[PersonRow],
    existing,
    town_id: int,
    now,
    codes: dict[int, str],
    audit: _Audit,
    phones: list[tuple],
    flags: list[tuple],
    reindex: list[int],
) -> None:
    if not changed:
        return
    fields = [
        "name",
        "sex",
        "birth_date",
        "id_status",
        "id_number",
        "id_blind",
        "no_id_reason",
        "residence_status",
        "notes",
        "updated_at",
    ]
    residents, befores = [], []
    phone_changes: dict[int, list[str]] = {}
    flag_changes: dict[int, dict[int, int | None]] = {}
    ending: list[tuple[Resident, str]] = []
    for p in changed:
        e = existing.residents[p.resident_id]
        old_phones = [(n, h, hn, pr) for n, _b, h, hn, pr in e.phones]
        befores.append(_resident_snapshot(_existing_as_resident(e, town_id), old_phones, e.flags, codes))
        r = _existing_as_resident(e, town_id)
        r.name = p.name
        r.sex = p.sex or r.sex
        if hasattr(p.id, "number"):
            r.id_status, r.id_number = IdStatus.PRESENT, p.id.number  # type: ignore[union-attr]
            r.id_blind, r.no_id_reason = blind_index("id", r.id_number), ""
            r.birth_date = p.birth_date
        elif p.birth_date and "birth_date" in p.changes:
            r.birth_date = p.birth_date
        if p.residence:
            r.residence_status = p.residence
        if p.notes is not None:
            r.notes = p.notes
        r.updated_at = now
        residents.append(r)
        if "phones" in p.changes:
            phone_changes[r.pk] = list(p.phones)  # type: ignore[arg-type]
        if "flags" in p.changes:
            flag_changes[r.pk] = dict(p.flags or [])
        if p.end_reason:
            ending.append((r, p.end_reason))
        if {"name", "id_number", "phones"} & set(p.changes):
            reindex.append(r.pk)
    Resident.objects.bulk_update(residents, fields, batch_size=BATCH)
    new_phones = _replace_phones(phone_changes, existing, town_id)
    phones += new_phones
    if flag_changes:
        ResidentFlag.objects.unrestricted(_CHECKED).filter(resident_id__in=list(flag_changes)).delete()
        flags += [
            (town_id, pk, f, level) for pk, wanted in flag_changes.items() for f, level in wanted.items()
        ]
    if ending:
        _end_memberships(ending, now, audit, {r.pk: b for r, b in zip(residents, befores, strict=True)})
    ended = {r.pk for r, _reason in ending}
    for r, before in zip(residents, befores, strict=True):
        e = existing.residents[r.pk]
        if r.pk in phone_changes:
            after_phones = [(n, PhoneHolder.SELF, "", i) for i, n in enumerate(phone_changes[r.pk], start=1)]
            kept = {n: (h, hn) for n, _b, h, hn, _p in e.phones}
            after_phones = [(n, *kept.get(n, (h, hn)), i) for n, h, hn, i in after_phones]
        else:
            after_phones = [(n, h, hn, pr) for n, _b, h, hn, pr in e.phones]
        after_flags = flag_changes.get(r.pk, e.flags)
        if r.pk in ended:
            continue  # its row is the membership's end, written with it
        audit.add(
            "registry.resident.update",
            r,
            before=before,
            after={**_resident_snapshot(r, after_phones, after_flags, codes), "via": VIA},
        )


def _replace_phones(wanted: dict[int, list[str]], existing, town_id: int) -> list[tuple]:
    """As `_common._set_phones` for many residents: a number kept keeps its row (and the calls made to it), the
    call order is rewritten 1, 2, 3… after the kept rows step aside, rows no longer listed are deleted."""
    if not wanted:
        return []
    rows = list(ContactPhone.objects.unrestricted(_CHECKED).filter(resident_id__in=list(wanted)))
    by_resident: dict[int, dict[str, ContactPhone]] = defaultdict(dict)
    for row in rows:
        by_resident[row.resident_id][row.blind] = row
    encrypt = ContactPhone._meta.get_field("number").get_db_prep_save
    keep: list[ContactPhone] = []
    create: list[tuple] = []
    drop: list[int] = []
    for resident_id, numbers in wanted.items():
        have = by_resident.get(resident_id, {})
        blinds = [blind_index("phone", n) for n in numbers]
        for place, (number, blind) in enumerate(zip(numbers, blinds, strict=True), start=1):
            row = have.pop(blind, None)
            if row is None:
                create.append(
                    (
                        town_id,
                        resident_id,
                        encrypt(number, connection),
                        blind,
                        PhoneHolder.SELF.value,
                        "",
                        place,
                    )
                )
            else:
                row.priority = place
                keep.append(row)
        drop += [row.pk for row in have.values()]
    phones = ContactPhone.objects.unrestricted(_CHECKED)
    phones.filter(pk__in=drop).delete()
    phones.filter(pk__in=[row.pk for row in keep]).update(priority=F("priority") + CALL_ORDER_ASIDE)
    ContactPhone.objects.bulk_update(keep, ["priority"], batch_size=BATCH)
    return create


def _end_memberships(
    ending: list[tuple[Resident, str]], now, audit: _Audit, befores: dict[int, dict]
) -> None:
    """A death or a move out the ledger records: the membership ends today (as `membership_end`), a head leaves the
    household without one."""
    by_resident = {r.pk: (r, reason) for r, reason in ending}
    current = list(
        Membership.objects.unrestricted(_CHECKED)
        .select_related("household")
        .filter(resident_id__in=list(by_resident), ended_at__isnull=True)
    )
    heads = []
    for membership in current:
        r, reason = by_resident[membership.resident_id]
        membership.ended_at = now
        membership.end_reason = MembershipEnd(reason)
        if membership.household.head_id == r.pk:
            membership.household.head_id = None
            membership.household.updated_at = now
            heads.append(membership.household)
    Membership.objects.bulk_update(current, ["ended_at", "end_reason"], batch_size=BATCH)
    Household.objects.bulk_update(heads, ["head", "updated_at"], batch_size=BATCH)
    for r, reason in ending:
        audit.add(
            _END_ACTION[MembershipEnd(reason)],
            r,
            before=befores.get(r.pk),
            after={
                "residence_status": r.residence_status,
                "date": timezone.localdate().isoformat(),
                "via": VIA,
            },
        )
