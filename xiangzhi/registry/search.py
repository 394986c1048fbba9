"""Chinese-aware search: the keys each resident and household is found by, and the ranked, scoped query.

Keys are rows of SearchToken, prefixed by kind (see the model). A query is classified (Han characters, Latin
letters, digits) into a few range scans on (scope column, token), each LIMITed, so the cost depends on the
number of hits shown, not on the size of the county.

A number matches only on what the mask already shows (`core.masking`: `138****5678`, `500111********123X`) — its
last four characters — or whole: a tail of five to ten digits would confirm, one query per candidate digit, a digit
the user cannot see. A whole number is a check of a number the user typed: each is audited
(`registry.search.number`, the number masked) and limited per user (`XIANGZHI_NUMBER_SEARCHES_PER_HOUR`).
"""

import collections
import datetime
import functools
import itertools
import math
import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from pypinyin import Style, pinyin
from pypinyin.constants import PHRASES_DICT

from xiangzhi.core.audit import audit_over_limit, audit_record
from xiangzhi.core.crypto import blind_index
from xiangzhi.core.masking import mask_id_number, mask_phone
from xiangzhi.core.permissions import can

from . import permissions as perms
from .choices import Relationship
from .idnumber import check_character, is_ascii_digits, parse_id_number
from .models import Household, Membership, Resident, SearchToken

NAME, PINYIN, INITIALS, ADDRESS = "n", "p", "i", "a"
PHONE_TAIL, PHONE_FULL, ID_TAIL, ID_FULL = "t", "f", "d", "x"
# What the masks show of a phone or ID number's end: all a search matches of a number short of the whole of it.
TAIL = 4
PER_SCAN = 60
# Rows a scan reads per hit shown (a resident may match one scan by two keys): the "all results" page scans deeper.
SCAN_PER_SHOWN = 3
NUMBER_SEARCH = "registry.search.number"
# Punctuation people type between syllables or digits, control characters (a NUL PostgreSQL refuses), surrogates.
_PUNCT = re.compile(r"[\s·•・.\-_'\"()（）,，\x00-\x1f\x7f-\x9f\ud800-\udfff]+")
_HAN = re.compile(r"[\u3400-\u9fff\U00020000-\U0003134f]")


def normalize(text: str) -> str:
    return _PUNCT.sub("", unicodedata.normalize("NFKC", text or "")).lower()


def _whole_pinyin(text: str) -> list[list[str]]:
    return pinyin(text, style=Style.NORMAL, heteronym=True, errors=lambda chars: [[c] for c in chars])


@functools.lru_cache(maxsize=16384)
def _char_pinyin(char: str) -> list[str]:
    return _whole_pinyin(char)[0]


def _syllables(name: str) -> list[list[str]]:
    """What `pinyin(name, heteronym=True)` answers, fast: character by character from a cache unless some part of
    the name is one of pypinyin's phrases (朱红 zhū hóng), which is read whole as pypinyin does. A whole town's names
    are read in a second rather than several (a test pins the equality)."""
    if len(name) > 1 and any(
        name[i:j] in PHRASES_DICT for i in range(len(name) - 1) for j in range(i + 2, len(name) + 1)
    ):
        return _whole_pinyin(name)
    return [_char_pinyin(c) for c in name]


@functools.lru_cache(maxsize=4096)
def _pinyin_readings(name: str, cap: int = 4) -> list[tuple[str, str]]:
    """(full pinyin, initials) for the name's likely readings; heteronyms (单 shàn/dān) give a few."""
    syllables = _syllables(name)
    # Surnames have their own readings (单 shàn, 曾 zēng, 区 ōu): try two for the first character only.
    choices = [(opts[:2] if i == 0 else opts[:1]) or [""] for i, opts in enumerate(syllables)]
    readings = []
    for combo in itertools.islice(itertools.product(*choices), cap):
        parts = [normalize(p) for p in combo if p]
        readings.append(("".join(parts), "".join(p[0] for p in parts if p)))
    return readings


def resident_keys(name: str, phones: list[str], id_number: str | None) -> set[str]:
    keys: set[str] = set()
    plain = normalize(name)
    if plain:
        # Every suffix, so the given name alone finds the resident too (三 finds 张三).
        for start in range(len(plain)):
            keys.add(NAME + plain[start:])
        for full, initials in _pinyin_readings(plain):
            # the same for pinyin: from the surname, and from the given name
            if full:
                keys.add(PINYIN + full)
                keys.add(INITIALS + initials)
            if len(initials) > 2:
                first = _pinyin_readings(plain[0], cap=1)[0][0]
                keys.add(PINYIN + full[len(first) :])
                keys.add(INITIALS + initials[1:])
    for number in phones:
        keys.add(PHONE_TAIL + blind_index("phone-tail", number[-TAIL:]))
        keys.add(PHONE_FULL + blind_index("phone", number))
    if id_number:
        keys.add(ID_TAIL + blind_index("id-tail", id_number[-TAIL:]))
        keys.add(ID_FULL + blind_index("id", id_number))
    return keys


# Where a cadre may start typing an address: after the town, the village or community (社区 as one word, so the
# group that follows starts a key), the group (组, or 社 as Chongqing says), the road or the house number.
_ADDRESS_BOUNDARY = re.compile(r"社区|[镇乡村组社区路街巷号]")


def household_keys(household: Household) -> set[str]:
    """Household number, house number and address keys. What cadres type is a prefix of one of them: `8组1号`,
    `8组` and `1号` of the address from its group or house number on, `宝兴社区8组` of the whole address. The group's
    own name and house number make the same key when the address leaves them out (the services hold the group
    already; the demo town's loader too)."""
    keys = {ADDRESS + normalize(household.number)}
    house = normalize(household.house_number)
    if house:
        keys.add(ADDRESS + house)
    address = normalize(household.address)
    for match in itertools.chain([None], _ADDRESS_BOUNDARY.finditer(address)):
        rest = address[match.end() :] if match else address
        if len(rest) >= 2:
            keys.add(ADDRESS + rest)
    group = normalize(household.group.name) if household.group_id else ""
    if group and house:
        keys.add(ADDRESS + group + house)  # mostly one of the fragments already
    return keys


def _token_rows(resident: Resident | None, household: Household, keys: set[str]) -> list[SearchToken]:
    return [
        SearchToken(
            town_id=household.town_id,
            village_id=household.village_id,
            group_id=household.group_id,
            household_id=household.pk,
            resident_id=resident.pk if resident else None,
            token=key[:80],
        )
        for key in sorted(keys)
    ]


def build_resident_tokens(resident: Resident, phones: list[str] | None = None) -> list[SearchToken]:
    if phones is None:
        phones = [p.number for p in resident.phones.all()]
    keys = resident_keys(resident.name, phones, resident.id_number)
    return _token_rows(resident, resident.household, keys)


def build_household_tokens(household: Household) -> list[SearchToken]:
    return _token_rows(None, household, household_keys(household))


def reindex_resident(resident: Resident) -> None:
    SearchToken.objects.unrestricted("keys of a record its service is writing").filter(
        resident=resident
    ).delete()
    SearchToken.objects.bulk_create(build_resident_tokens(resident))


def reindex_household(household: Household) -> None:
    """Household keys, and its members' keys (they carry the household's village and group)."""
    SearchToken.objects.unrestricted("keys of a record its service is writing").filter(
        household=household
    ).delete()
    rows = build_household_tokens(household)
    for resident in household.residents.prefetch_related("phones"):
        rows += build_resident_tokens(resident)
    SearchToken.objects.bulk_create(rows)


# ---------------------------------------------------------------------------------------------------- query


@dataclass
class Hit:
    kind: str  # "resident" or "household"
    score: int
    resident: Resident | None = None
    household: Household | None = None
    matched: set[str] = field(default_factory=set)  # the kinds of key that matched (NAME, PINYIN, …)
    query: str = ""  # normalized

    @property
    def relationship(self) -> str | None:
        """The resident's relationship to the head (`Relationship` value), from their current membership."""
        if self.resident is None:
            return Relationship.HEAD if self.household and self.household.head_id else None
        return getattr(self.resident, "relationship", None)

    @property
    def relationship_label(self) -> str:
        value = self.relationship
        return Relationship(value).label if value in Relationship.values else ""

    @property
    def head_name(self) -> str | None:
        """The name of the household's head (read with the hit: `head_name` beside a resident, the loaded head of a
        household)."""
        if self.resident is not None:
            return getattr(self.resident, "head_name", None)
        return self.household.head.name if self.household and self.household.head_id else None

    @functools.cached_property
    def marks(self) -> dict[str, tuple[int, int]]:
        """What to highlight: the span of the matched part in each field a hit shows ("name" — the resident's or,
        for a household, its head's —, "house_number", "number", "address"). Computed when a page shows it, not
        for the API."""
        return highlights(self)

    @property
    def numbers(self) -> list[tuple[str, str]]:
        """The numbers that matched, as (label, text) built from the query alone: a phone or ID tail is the four
        characters the user typed and the mask shows anyway, a whole number is shown masked. Nothing is read from
        the record, so a highlight can never show a digit the mask hides."""
        q = self.query
        shown = []
        if PHONE_FULL in self.matched:
            shown.append((_("phone"), mask_phone(q)))
        elif PHONE_TAIL in self.matched:
            shown.append((_("phone ending"), q))
        if ID_FULL in self.matched:
            shown.append((_("ID number"), mask_id_number(_whole_id_number(q.upper()) or "")))
        elif ID_TAIL in self.matched:
            shown.append((_("ID number ending"), q.upper()))
        return shown


@dataclass
class Found:
    """A search's hits, and how many it found: `total` counts every resident and household the scans reached; when
    `capped` a scan stopped at its limit, so there are at least `total`."""

    hits: list[Hit]
    total: int
    capped: bool

    @property
    def more(self) -> bool:
        return self.capped or self.total > len(self.hits)


# ------------------------------------------------------------------------------------------------ highlighting


def _normalized_with_positions(text: str) -> tuple[str, list[int]]:
    """normalize(text), and for each of its characters the index in text it came from."""
    out, where = [], []
    for i, ch in enumerate(text):
        for c in normalize(ch):
            out.append(c)
            where.append(i)
    return "".join(out), where


def text_span(text: str, q: str) -> tuple[int, int] | None:
    """Where q (normalized) occurs in text as the user reads it (spaces and punctuation ignored, as search does)."""
    if not q or not text:
        return None
    plain, where = _normalized_with_positions(text)
    at = plain.find(q)
    if at < 0:
        return None
    return where[at], where[at + len(q) - 1] + 1


@functools.lru_cache(maxsize=65536)
def _char_readings(ch: str) -> tuple[str, ...]:
    """Every pinyin reading of one character (or the character itself when it has none). Cached: names repeat
    their characters."""
    options = pinyin(ch, style=Style.NORMAL, heteronym=True, errors=lambda chars: [[c] for c in chars])
    readings = (normalize(r) for opts in options for r in opts)
    return tuple(dict.fromkeys(r for r in readings if r)) or (ch,)


def pinyin_span(name: str, q: str, *, initials: bool) -> tuple[int, int] | None:
    """The characters of name whose pinyin (or initials) q spells, a last syllable possibly cut short: `zhangs`
    marks 张三, `xm` marks 小明 of 张小明."""
    plain, where = _normalized_with_positions(name)
    readings = [_char_readings(c) for c in plain]

    def end_of(i: int, rest: str) -> int | None:
        if i >= len(plain):
            return None
        for reading in readings[i]:
            syllable = reading[:1] if initials else reading
            if rest.startswith(syllable):
                if len(rest) == len(syllable):
                    return i + 1
                end = end_of(i + 1, rest[len(syllable) :])
                if end is not None:
                    return end
            elif syllable.startswith(rest):
                return i + 1
        return None

    if not q:
        return None
    for start in range(len(plain)):
        end = end_of(start, q)
        if end is not None:
            return where[start], where[end - 1] + 1
    return None


def highlights(hit: Hit) -> dict[str, tuple[int, int]]:
    q, marks = hit.query, {}
    if hit.resident is not None:
        name = hit.resident.name
        span = None
        if NAME in hit.matched:
            span = text_span(name, q)
        if span is None and PINYIN in hit.matched:
            span = pinyin_span(name, q, initials=False)
        if span is None and INITIALS in hit.matched:
            span = pinyin_span(name, q, initials=True)
        if span:
            marks["name"] = span
    elif ADDRESS in hit.matched and hit.household is not None:
        household = hit.household
        # the first shown field the query is part of; a household number or house number matches from its start
        for key, text in (
            ("house_number", household.house_number),
            ("number", household.number),
            ("address", household.address),
        ):
            span = text_span(text, q)
            if span and (key == "address" or span[0] == 0):
                marks[key] = span
                break
    return marks


def _successor(prefix: str) -> str:
    """The least string above every string that starts with prefix."""
    if prefix[-1] == chr(0x10FFFF):  # the last code point has no successor: bound by the one before it
        return _successor(prefix[:-1])
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _scan_all(tokens, scans: list[tuple[str, bool]], per_scan: int) -> list[tuple[str, int, int | None]]:
    """Every range scan of a query in one statement: a UNION ALL of LIMITed subqueries, valid SQL for SQLite and
    PostgreSQL alike (a round trip to PostgreSQL costs as much as the scan itself). Each scan is built by the ORM
    from the scoped queryset, so restrict() applies inside every part."""
    parts = []
    for prefix, exact_only in scans:
        qs = (
            tokens.filter(token=prefix)
            if exact_only
            else tokens.filter(token__gte=prefix, token__lt=_successor(prefix))
        )
        qs = qs.order_by("token").values_list("token", "household_id", "resident_id")
        parts.append(qs[:per_scan].query.sql_with_params())
    # the parts are the ORM's own SQL with their parameters kept apart: no input is pasted into the text
    sql = " UNION ALL ".join(f"SELECT * FROM ({part}) scan{i}" for i, (part, _) in enumerate(parts))  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [param for _, params in parts for param in params])
        rows = cursor.fetchall()
    rows.sort(key=lambda row: (row[0], row[2] or 0, row[1]))  # token order, as one scan gives it
    return rows


# Lower is better: an exact name beats an exact pinyin, which beats a name prefix, …
_SCORES = {
    (NAME, True): 0,
    (PINYIN, True): 1,
    (INITIALS, True): 2,
    (PHONE_FULL, True): 0,
    (ID_FULL, True): 0,
    (NAME, False): 3,
    (PINYIN, False): 4,
    (INITIALS, False): 5,
    (ADDRESS, True): 6,
    (ADDRESS, False): 7,
    (PHONE_TAIL, True): 2,
    (ID_TAIL, True): 2,
}


# What a hit shows (the search page, the API's SearchHit): only these columns are read. Half the time of a search
# on PostgreSQL went into loading timestamps and ID numbers no hit displays.
HIT_RESIDENT_FIELDS = ("name", "sex", "birth_date", "id_status", "residence_status", "household")
HIT_HOUSEHOLD_FIELDS = ("number", "address", "house_number", "status", "head", "village__name", "group__name")
# A resident's relationship to the head, from the one current membership (a unique partial index), as a correlated
# subquery written out: the ORM's Subquery() took 0.7 ms to compile, a third of a whole search. Identifiers from the
# models' meta, quoted; no input.
_CURRENT_RELATIONSHIP = (  # noqa: S608
    "SELECT m.{relationship} FROM {membership} m WHERE m.{resident} = {residents}.{pk} AND m.{ended} IS NULL LIMIT 1"
).format(
    relationship=connection.ops.quote_name(Membership._meta.get_field("relationship").column),
    membership=connection.ops.quote_name(Membership._meta.db_table),
    resident=connection.ops.quote_name(Membership._meta.get_field("resident").column),
    residents=connection.ops.quote_name(Resident._meta.db_table),
    pk=connection.ops.quote_name(Resident._meta.pk.column),
    ended=connection.ops.quote_name(Membership._meta.get_field("ended_at").column),
)


def _whole_id_number(digits: str) -> str | None:
    """An 18-character ID number as stored, from all 18, the first 17 (the check character left off) or an old
    15-digit number (upgraded); None for a fragment."""
    if len(digits) == 17 and is_ascii_digits(digits):
        return digits + check_character(digits)
    if len(digits) in (15, 18):
        try:
            return parse_id_number(digits).number
        except ValidationError:
            return digits if len(digits) == 18 else None
    return None


class NumberSearchLimit(Exception):
    """More searches by a whole number in the last hour than the user may make: the search finds nothing."""

    def __init__(self, per_hour: int, retry_after: datetime.timedelta):
        super().__init__(per_hour, retry_after)
        self.per_hour = per_hour
        self.retry_after_seconds = max(1, math.ceil(retry_after.total_seconds()))

    @property
    def message(self) -> str:
        return _(
            "Too many searches by a whole phone or ID number: at most %(limit)d an hour. Try again in "
            "%(minutes)d min; a name or the last four digits can still be searched."
        ) % {"limit": self.per_hour, "minutes": math.ceil(self.retry_after_seconds / 60)}


_HOUR = datetime.timedelta(hours=1)


class WholeNumberQuery(Exception):
    """A live (as-you-type) search reached a whole phone or ID number: checking it is recorded and limited, so it
    waits for the user to submit the search on purpose (a pause while typing an ID number is no check)."""


def _number_checked(user, kind: str, number: str) -> None:
    """Audit a search by a whole number (masked: the row is no place for the number) and refuse it beyond the
    user's hourly limit. The row is written before counting, outside any transaction of ours: a request counts
    its own row and every row committed before it, so of overlapping requests only the first `per_hour` pass, with
    no lock. Every attempt counts, refused ones too: a script that keeps trying stays refused."""
    masked = mask_phone(number) if kind == "phone" else mask_id_number(number)
    audit_record(actor=user, action=NUMBER_SEARCH, after={kind: masked})
    per_hour = settings.XIANGZHI_NUMBER_SEARCHES_PER_HOUR
    now = timezone.now()
    counted = audit_over_limit(actor=user, action=NUMBER_SEARCH, since=now - _HOUR, limit=per_hour)
    if counted is not None:
        raise NumberSearchLimit(per_hour, counted + _HOUR - now)


def search(user, query: str, limit: int = 20, *, live: bool = False) -> list[Hit]:
    """The user's best hits for a query, from what the user may view. Raises NumberSearchLimit when the query is a
    whole phone or ID number and the user made too many such searches in the last hour; with `live` (typing), a
    whole number raises WholeNumberQuery instead of being checked."""
    return find(user, query, limit, live=live).hits


# The most hits one page lists ("all results"): beyond it, the user types more.
ALL_LIMIT = 200


def find(user, query: str, limit: int = 20, *, live: bool = False) -> Found:
    """search(), with how many it found. The count comes from the same scans (no statement of its own), each
    LIMITed to three times what is shown, so it is exact up to that and "at least" beyond: counting every match of
    a one-letter query would read a county's index. A whole number is counted only after its check is recorded
    and allowed, like its hits."""
    q = normalize(query)
    if not q or len(q) > 40:
        return Found([], 0, False)
    tokens = SearchToken.objects.restrict(user, perms.VIEW)
    scans: list[tuple[str, bool]] = []  # (token prefix, exact only)
    checked: tuple[str, str] | None = None  # (kind, whole number) the query checks
    if _HAN.search(q):
        scans += [(NAME + q, False), (ADDRESS + q, False)]
    elif q.isascii() and q.isalpha():
        scans += [(PINYIN + q, False), (INITIALS + q, False)]
    elif is_ascii_digits(q) or (len(q) >= TAIL and is_ascii_digits(q[:-1]) and q[-1] == "x"):
        digits = q.upper()
        if is_ascii_digits(q):
            scans.append((ADDRESS + q, False))
            if len(q) == 11:
                scans.append((PHONE_FULL + blind_index("phone", q), True))
                checked = ("phone", q)
            elif len(q) == TAIL:
                scans.append((PHONE_TAIL + blind_index("phone-tail", q), True))
        # ID numbers only for who may reveal them; shop clerks, grid workers and duty officers never see one
        if can(user, perms.REVEAL_ID):
            full = _whole_id_number(digits)
            if full:
                scans.append((ID_FULL + blind_index("id", full), True))
                checked = ("id_number", full)
            elif len(digits) == TAIL:
                scans.append((ID_TAIL + blind_index("id-tail", digits), True))
    else:
        scans.append((ADDRESS + q, False))
    if not scans:  # an ID fragment from who may not search ID numbers
        return Found([], 0, False)
    if checked:
        if live:
            raise WholeNumberQuery
        _number_checked(user, *checked)

    per_scan = max(PER_SCAN, SCAN_PER_SHOWN * limit)
    found = _scan_all(tokens, scans, per_scan)
    prefixes = {prefix for prefix, _ in scans}
    # a scan that returned as many rows as it may was cut short: the count is a lower bound (the scans of a query
    # each read keys of a kind of their own, so a scan's rows are those of its kind)
    per_kind = collections.Counter(row[0][0] for row in found)
    capped = any(per_kind[prefix[0]] >= per_scan for prefix, _ in scans)

    best: dict[tuple[str, int], tuple[int, set[str]]] = {}
    for token, household_id, resident_id in found:
        score = _SCORES.get((token[0], token in prefixes), 8)
        key = ("resident", resident_id) if resident_id else ("household", household_id)
        if key not in best:
            best[key] = (score, {token[0]})
        else:
            best[key] = (min(score, best[key][0]), best[key][1] | {token[0]})
    # a few more than shown, so that among equal scores those living here and shorter names come first; each
    # candidate loaded costs four model instances, the larger part of a search's time
    ranked = sorted(best.items(), key=lambda item: item[1][0])[: limit + 5]

    resident_ids = [key[1] for key, _ in ranked if key[0] == "resident"]
    household_ids = [key[1] for key, _ in ranked if key[0] == "household"]
    # the relationship to the head and the head's name come in the same statement, as plain values (a model
    # instance more per hit would cost a fifth more)
    residents = (
        Resident.objects.unrestricted("candidates the restricted scan found")
        .select_related("household__village", "household__group")
        .only(*HIT_RESIDENT_FIELDS, *(f"household__{f}" for f in HIT_HOUSEHOLD_FIELDS))
        .annotate(head_name=F("household__head__name"), relationship=RawSQL(_CURRENT_RELATIONSHIP, ()))  # noqa: S611
        .in_bulk(resident_ids)
    )
    households = (
        Household.objects.unrestricted("candidates the restricted scan found")
        .select_related("village", "group", "head")
        .only(*HIT_HOUSEHOLD_FIELDS, "head__name")
        .in_bulk(household_ids)
    )
    hits = []
    for (kind, pk), (score, matched) in ranked:
        if kind == "resident" and pk in residents:
            resident = residents[pk]
            hits.append(
                Hit(
                    "resident",
                    score,
                    resident=resident,
                    household=resident.household,
                    matched=matched,
                    query=q,
                )
            )
        elif kind == "household" and pk in households:
            hits.append(Hit("household", score, household=households[pk], matched=matched, query=q))
    # exact name first; among equals, active residents before those who moved away or died, then shorter names
    hits.sort(
        key=lambda h: (
            h.score,
            not (h.resident.is_active if h.resident else True),
            len(h.resident.name) if h.resident else 99,
            h.resident.name if h.resident else "",
        )
    )
    return Found(hits[:limit], len(best), capped)
