"""A realistic, deterministic demo town (and county-scale data for benchmarks).

The reference town is 宝兴镇 of the BRIEF: 6,975 households and 26,551 residents in 15 villages and communities
of 120 groups. Two parts: the generator (`Generator`: plain `FakeHousehold`/`Person` values, deterministic for a
seed, no database) and the bulk loader (`build_town`, `_write_batch`: rows written in bulk, as this is seed data,
not user writes, with the same encryption, blind indexes and search keys as the services produce — a test pins
the keys). A million residents (a county) take a few minutes: most rows go through the DB-API as plain tuples
(COPY on PostgreSQL) rather than model instances.
"""

import collections
import contextlib
import datetime
import functools
import operator
import random
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from xiangzhi.areas.choices import VillageKind
from xiangzhi.areas.models import Village, VillageGroup
from xiangzhi.areas.services import town_create
from xiangzhi.core.crypto import blind_index
from xiangzhi.core.models import Town

from . import search
from .bulk import RawInsert as _RawInsert
from .choices import IdStatus, MembershipEnd, MembershipStart, PhoneHolder, Relationship, ResidenceStatus
from .idnumber import check_character
from .models import (
    ContactPhone,
    FlagType,
    Household,
    Membership,
    Resident,
    ResidentFlag,
    SearchToken,
)
from .services import town_flags_seed
from .services.households import SEQUENCE_DIGITS, household_number_prefix

# The demo's registry was filled this long ago; its history (births, deaths, moves, splits) spans the last
# HISTORY_DAYS, so the population changes and the household cards have something to show.
REGISTERED_DAYS_AGO = 730
HISTORY_DAYS = 548
REFERENCE_RESIDENTS = 26_551
REFERENCE_HOUSEHOLDS = 6_975
VILLAGE_NAMES = [
    ("宝兴社区", VillageKind.COMMUNITY),
    ("玉峰村", VillageKind.VILLAGE),
    ("高峰村", VillageKind.VILLAGE),
    ("金星村", VillageKind.VILLAGE),
    ("双河村", VillageKind.VILLAGE),
    ("石岭村", VillageKind.VILLAGE),
    ("大佛村", VillageKind.VILLAGE),
    ("龙水村", VillageKind.VILLAGE),
    ("青杠村", VillageKind.VILLAGE),
    ("红星村", VillageKind.VILLAGE),
    ("新桥社区", VillageKind.COMMUNITY),
    ("柏林村", VillageKind.VILLAGE),
    ("三驱村", VillageKind.VILLAGE),
    ("太平村", VillageKind.VILLAGE),
    ("永兴村", VillageKind.VILLAGE),
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪"
    "范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
# Heavier weights for the surnames most common in Chongqing.
SURNAME_WEIGHTS = [12, 11, 10, 9, 8, 6, 5, 5, 4, 4] + [2] * 30 + [1] * (len(SURNAMES) - 40)
GIVEN_MALE = "伟强军勇杰涛明超亮刚平辉鹏华飞鑫波斌宇浩凯健俊帆林峰磊建国志成海文兵德顺福贵忠良"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英华玲桂兰萍红梅琴云莲菊凤珍燕婷雪倩颖慧琳佳欣月春翠"
MINORITY_NAMES = ["阿依古丽·买买提", "热依拉·艾力", "扎西·多吉", "次仁·卓玛", "阿卜杜·热合曼"]
AREA_CODES = ["500111"] * 9 + ["500225", "510322", "500230"]
CENTER = (29.70, 105.72)  # WGS-84, near 大足


@dataclass
class Person:
    name: str
    sex: str
    birth: datetime.date
    relationship: str
    status: str = ResidenceStatus.AT_HOME
    id_number: str | None = None
    no_id_reason: str = ""
    phones: list[tuple[str, str, str, int]] = field(
        default_factory=list
    )  # number, holder, holder name, priority
    flags: list[tuple[str, int | None]] = field(default_factory=list)
    joined: tuple[str, datetime.date] | None = None  # why and when, if within the history; else registered
    left: tuple[str, datetime.date] | None = None  # died or moved out of the town


@dataclass
class FakeHousehold:
    number: str
    address: str
    house_number: str
    latitude: float
    longitude: float
    confirmed_days_ago: int
    people: list[Person]
    registered: datetime.date | None = None  # within the history: moved in from outside, or split off
    split_off: bool = False  # from the household before it in its group


# ----------------------------------------------------------------------------------------------- the generator


class Generator:
    def __init__(self, seed: int, today: datetime.date):
        self.rnd = random.Random(seed)
        self.today = today
        self.ids: set[str] = set()
        self.phones: set[str] = set()

    def surname(self) -> str:
        return self.rnd.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]

    def name(self, sex: str, surname: str | None = None) -> str:
        if self.rnd.random() < 0.002:
            return self.rnd.choice(MINORITY_NAMES)
        pool = GIVEN_MALE if sex == "M" else GIVEN_FEMALE
        given = self.rnd.choice(pool) + (self.rnd.choice(pool) if self.rnd.random() < 0.7 else "")
        return (surname or self.surname()) + given

    def birth(self, low: int, high: int) -> datetime.date:
        age_days = self.rnd.randint(low * 365, high * 365 + 364)
        return self.today - datetime.timedelta(days=max(age_days, 1))

    def id_number(self, birth: datetime.date, sex: str) -> str:
        while True:
            seq = self.rnd.randrange(0, 999)
            if (seq % 2 == 1) != (sex == "M"):
                seq = (seq + 1) % 1000
            body = f"{self.rnd.choice(AREA_CODES)}{birth:%Y%m%d}{seq:03d}"
            number = body + check_character(body)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def phone(self) -> str:
        while True:
            number = self.rnd.choice(["13", "15", "18", "19", "17"]) + f"{self.rnd.randrange(10**9):09d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def household(
        self, *, number: str, village_name: str, group_name: str, house_index: int, center, size: int
    ) -> FakeHousehold:
        """One household of `size` people at its place (the village's centre, its group), as plain values."""
        lat, lon = center
        house_no = f"{house_index}号"
        fake = FakeHousehold(
            number=number,
            address=f"{village_name}{group_name}{house_no}",
            house_number=house_no,
            latitude=round(lat + self.rnd.uniform(-0.01, 0.01), 6),
            longitude=round(lon + self.rnd.uniform(-0.01, 0.01), 6),
            confirmed_days_ago=self.rnd.randint(0, 400),
            people=self.family(size),
        )
        self.history(fake, may_split=house_index > 1)
        return fake

    def recent(self) -> datetime.date:
        return self.today - datetime.timedelta(days=self.rnd.randint(1, HISTORY_DAYS))

    def history(self, fake: FakeHousehold, *, may_split: bool) -> None:
        """What happened to the household in the last HISTORY_DAYS: it moved in from outside the town or split
        off its neighbour, babies were born, spouses married in, old parents died, young adults left the town.
        Heads stay (every demo household has one)."""
        rnd, people = self.rnd, fake.people
        roll = rnd.random()
        if roll < 0.012 or (roll < 0.03 and may_split):
            fake.registered = self.recent()
            fake.split_off = roll >= 0.012
            reason = MembershipStart.SPLIT if fake.split_off else MembershipStart.MOVED_IN
            for p in people:
                p.joined = (reason, fake.registered)
        for p in people:
            age_days = (self.today - p.birth).days
            if age_days < HISTORY_DAYS and (fake.registered is None or p.birth > fake.registered):
                # recorded a few days or weeks after the birth
                p.joined = (
                    MembershipStart.BIRTH,
                    p.birth + datetime.timedelta(days=rnd.randint(0, min(40, age_days))),
                )
            elif (
                p.relationship in (Relationship.SPOUSE, Relationship.DAUGHTER_IN_LAW, Relationship.SON_IN_LAW)
                and p.joined is None
                and self.age(p) < 35
                and rnd.random() < 0.25
            ):
                p.joined = (MembershipStart.MARRIAGE, self.recent())
            if p.relationship == Relationship.HEAD:
                continue
            since = p.joined[1] if p.joined else self.today - datetime.timedelta(days=HISTORY_DAYS)
            if self.age(p) >= 68 and rnd.random() < 0.1 + (self.age(p) - 68) * 0.01:
                p.left = (MembershipEnd.DECEASED, self.recent())
            elif 18 <= self.age(p) <= 40 and rnd.random() < 0.025:
                p.left = (MembershipEnd.MOVED_OUT, self.recent())
            if p.left and p.left[1] <= since:
                p.left = None
            elif p.left:
                p.status = (
                    ResidenceStatus.DECEASED
                    if p.left[0] == MembershipEnd.DECEASED
                    else ResidenceStatus.MOVED_OUT
                )

    def household_sizes(self, households: int, residents: int) -> list[int]:
        sizes = self.rnd.choices([1, 2, 3, 4, 5, 6, 7], weights=[11, 22, 22, 22, 14, 7, 2], k=households)
        diff = residents - sum(sizes)
        while diff:
            i = self.rnd.randrange(households)
            if diff > 0 and sizes[i] < 9:
                sizes[i] += 1
                diff -= 1
            elif diff < 0 and sizes[i] > 1:
                sizes[i] -= 1
                diff += 1
        return sizes

    def family(self, size: int) -> list[Person]:
        rnd = self.rnd
        surname = self.surname()
        head_sex = "M" if rnd.random() < 0.82 else "F"
        if size == 1:
            head_age = rnd.randint(62, 92) if rnd.random() < 0.6 else rnd.randint(25, 61)
        else:
            head_age = rnd.randint(30, 78)
        head = Person(
            self.name(head_sex, surname), head_sex, self.birth(head_age, head_age), Relationship.HEAD
        )
        people = [head]
        if size >= 2 and rnd.random() < 0.88:
            sex = "F" if head_sex == "M" else "M"
            age = max(20, head_age + rnd.randint(-5, 3))
            people.append(Person(self.name(sex), sex, self.birth(age, age), Relationship.SPOUSE))
        if len(people) < size and head_age >= 50 and rnd.random() < 0.15 and head_age < 70:
            sex = rnd.choice("MF")
            age = head_age + rnd.randint(22, 30)
            people.append(
                Person(
                    self.name(sex, surname if sex == "M" else None),
                    sex,
                    self.birth(age, age),
                    Relationship.FATHER if sex == "M" else Relationship.MOTHER,
                )
            )
        child_gen = []
        while len(people) < size:
            if head_age >= 55 and child_gen and rnd.random() < 0.5:
                parent_age = (self.today - child_gen[0].birth).days // 365
                sex = rnd.choice("MF")
                age = rnd.randint(0, max(0, min(parent_age - 20, 17)))
                people.append(
                    Person(
                        self.name(sex, surname),
                        sex,
                        self.birth(age, age),
                        Relationship.GRANDSON if sex == "M" else Relationship.GRANDDAUGHTER,
                    )
                )
            elif head_age >= 50 and child_gen and rnd.random() < 0.35:
                sex = "F" if child_gen[0].sex == "M" else "M"
                age = max(18, (self.today - child_gen[0].birth).days // 365 + rnd.randint(-3, 3))
                people.append(
                    Person(
                        self.name(sex),
                        sex,
                        self.birth(age, age),
                        Relationship.DAUGHTER_IN_LAW if sex == "F" else Relationship.SON_IN_LAW,
                    )
                )
            else:
                sex = rnd.choice("MF")
                age = max(0, head_age - rnd.randint(22, 34))
                child = Person(
                    self.name(sex, surname),
                    sex,
                    self.birth(age, age),
                    Relationship.SON if sex == "M" else Relationship.DAUGHTER,
                )
                child_gen.append(child)
                people.append(child)
        for person in people:
            self.details(person)
        self.household_flags(people)
        return people

    def age(self, person: Person) -> int:
        return (self.today - person.birth).days // 365

    def details(self, p: Person) -> None:
        rnd, age = self.rnd, self.age(p)
        if 18 <= age <= 55 and rnd.random() < 0.32:
            p.status = ResidenceStatus.MIGRANT
        elif 18 <= age <= 22 and rnd.random() < 0.3:
            p.status = ResidenceStatus.STUDYING
        if age < 1 and rnd.random() < 0.4:
            p.no_id_reason = "新生儿，尚未办理身份证"
        else:
            p.id_number = self.id_number(p.birth, p.sex)
        if (16 <= age <= 70 and rnd.random() < 0.88) or (age > 70 and rnd.random() < 0.35):
            p.phones.append((self.phone(), PhoneHolder.SELF, "", 1))
        if rnd.random() < 0.06 and age >= 5:
            p.flags.append(("disabled", rnd.choices([1, 2, 3, 4], weights=[1, 2, 3, 4])[0]))
        if age >= 18 and rnd.random() < 0.05:
            p.flags.append(("party_member", None))
        if p.sex == "M" and 22 <= age <= 75 and rnd.random() < 0.025:
            p.flags.append(("veteran", None))

    def household_flags(self, people: list[Person]) -> None:
        rnd = self.rnd
        at_home = [p for p in people if p.status == ResidenceStatus.AT_HOME]
        working_away = [p for p in people if p.status == ResidenceStatus.MIGRANT]
        elderly = [p for p in at_home if self.age(p) >= 65]
        children = [p for p in at_home if self.age(p) < 16]
        home_adults = [p for p in at_home if 18 <= self.age(p) < 65]
        if len(people) == 1 and elderly:
            elderly[0].flags.append(("elderly_alone", None))
        if working_away and not home_adults:
            for p in elderly:
                p.flags.append(("left_behind_elderly", None))
            for p in children:
                p.flags.append(("left_behind_child", None))
        # Elderly people's calls go first to a child in the city who answers for them.
        for p in elderly:
            if working_away:
                answerer = working_away[0]
                if answerer.phones:
                    p.phones.append(
                        (answerer.phones[0][0], PhoneHolder.CHILD, answerer.name, len(p.phones) + 1)
                    )
            elif len(people) == 1 and rnd.random() < 0.7:
                p.phones.append(
                    (self.phone(), PhoneHolder.CHILD, self.name(rnd.choice("MF")), len(p.phones) + 1)
                )
        roll = rnd.random()
        head = people[0]
        if roll < 0.045:
            head.flags.append(("dibao", None))
        elif roll < 0.12:
            head.flags.append(("lifted_poverty", None))
            if rnd.random() < 0.12:
                head.flags.append(("relapse_watch", None))
        if elderly and len(people) <= 2 and rnd.random() < 0.04:
            elderly[0].flags.append(("tekun", None))


# ----------------------------------------------------------------------------------------------- the bulk loader


@functools.cache
def _name_keys(name: str) -> frozenset[str]:
    return frozenset(search.resident_keys(name, [], None))


class _Keys:
    """A resident's search keys, equal to search.resident_keys(), with each blind index computed once.

    Names repeat (cached for the process); the four-digit tails repeat too (only 10,000 of each, cached per build,
    as they depend on the field key); a full phone or ID blind index is the one its row stores anyway.
    """

    def __init__(self):
        self._tails: dict[tuple[str, str], str] = {}

    def tail(self, purpose: str, number: str) -> str:
        key = (purpose, number[-search.TAIL :])
        value = self._tails.get(key)
        if value is None:
            value = self._tails[key] = blind_index(*key)
        return value

    def resident(self, name: str, phones: list[tuple[str, str]], id_number: str | None, id_blind: str | None):
        """`phones` holds (number, its "phone" blind index); `id_blind` is the number's "id" blind index."""
        keys = set(_name_keys(name))
        for number, blind in phones:
            keys.add(search.PHONE_TAIL + self.tail("phone-tail", number))
            keys.add(search.PHONE_FULL + blind)
        if id_number:
            keys.add(search.ID_TAIL + self.tail("id-tail", id_number))
            keys.add(search.ID_FULL + id_blind)
        return keys


def build_town(
    *,
    residents: int = REFERENCE_RESIDENTS,
    seed: int = 1,
    name: str = "宝兴镇",
    villages: int = 15,
    groups: int = 120,
    batch: int = 1000,
    progress=None,
) -> Town:
    today = timezone.localdate()
    gen = Generator(seed, today)
    households = max(1, round(residents * REFERENCE_HOUSEHOLDS / REFERENCE_RESIDENTS))
    sizes = gen.household_sizes(households, residents)
    with transaction.atomic():
        town = town_create(name=name, code="500111108000")
        town_flags_seed(town=town)
        flag_ids = dict(
            FlagType.objects.unrestricted("seed data of a new town")
            .filter(town=town)
            .values_list("code", "pk")
        )
        village_rows = []
        for i in range(villages):
            vname, kind = VILLAGE_NAMES[i % len(VILLAGE_NAMES)]
            if i >= len(VILLAGE_NAMES):
                vname = f"{vname[:-1]}{i // len(VILLAGE_NAMES) + 1}{vname[-1]}"
            village_rows.append(Village(town=town, name=vname, kind=kind, code=f"500111108{i + 1:03d}"))
        village_rows = Village.objects.bulk_create(village_rows)
        group_rows = []
        per_village = [groups // villages + (1 if i < groups % villages else 0) for i in range(villages)]
        for village, n in zip(village_rows, per_village, strict=True):
            group_rows += [
                VillageGroup(town=town, village=village, number=k + 1, name=f"{k + 1}组") for k in range(n)
            ]
        group_rows = VillageGroup.objects.bulk_create(group_rows)
        centers = {
            v.pk: (CENTER[0] + gen.rnd.uniform(-0.06, 0.06), CENTER[1] + gen.rnd.uniform(-0.06, 0.06))
            for v in village_rows
        }
    # Households fill the groups in contiguous blocks, numbered within each group.
    placement, per_group = [], {}
    for index in range(households):
        group = group_rows[index * len(group_rows) // households]
        per_group[group.pk] = per_group.get(group.pk, 0) + 1
        placement.append((group, per_group[group.pk]))
    created = timezone.now() - datetime.timedelta(days=REGISTERED_DAYS_AGO)
    inserters, keys = _inserters(), _Keys()
    done = 0
    with _bulk_load_session():
        for start in range(0, households, batch):
            with transaction.atomic():
                _write_batch(
                    gen,
                    town,
                    placement[start : start + batch],
                    centers,
                    sizes[start : start + batch],
                    flag_ids,
                    created,
                    inserters,
                    keys,
                )
            done += sum(sizes[start : start + batch])
            if progress:
                progress(done, residents)
    return town


@contextlib.contextmanager
def _bulk_load_session():
    """Connection settings for the bulk load, restored afterwards; integrity is never traded away.

    SQLite: a 256 MB page cache (the search index grows far beyond the 2 MB default at county scale) and, in WAL
    mode only, synchronous=NORMAL (a power cut may lose the last batches, never corrupt the file). PostgreSQL:
    synchronous_commit=off (a crash may lose the last batches, never consistency).
    """
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA journal_mode")
            # (SQLite refuses to change the safety level inside a transaction)
            wal = cursor.fetchone()[0].lower() == "wal" and not connection.in_atomic_block
            cursor.execute("PRAGMA synchronous")
            synchronous = int(cursor.fetchone()[0])
            cursor.execute("PRAGMA cache_size")
            cache_size = int(cursor.fetchone()[0])
            cursor.execute("PRAGMA cache_size = -262144")
            if wal:
                cursor.execute("PRAGMA synchronous = NORMAL")
        elif connection.vendor == "postgresql":
            cursor.execute("SET synchronous_commit = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute(f"PRAGMA cache_size = {cache_size}")
                if wal:
                    cursor.execute(f"PRAGMA synchronous = {synchronous}")
            elif connection.vendor == "postgresql":
                cursor.execute("RESET synchronous_commit")


def _inserters() -> dict[str, _RawInsert]:
    return {
        "membership": _RawInsert(
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
        "phone": _RawInsert(
            ContactPhone, ["town_id", "resident_id", "number", "blind", "holder", "holder_name", "priority"]
        ),
        "flag": _RawInsert(ResidentFlag, ["town_id", "resident_id", "flag_id", "level"]),
        "token": _RawInsert(
            SearchToken, ["town_id", "village_id", "group_id", "household_id", "resident_id", "token"]
        ),
    }


# What the members of a split-off household had been in the household they left: its head's children and their
# families.
_BEFORE_SPLIT = {
    (Relationship.HEAD, "M"): Relationship.SON,
    (Relationship.HEAD, "F"): Relationship.DAUGHTER,
    (Relationship.SPOUSE, "F"): Relationship.DAUGHTER_IN_LAW,
    (Relationship.SPOUSE, "M"): Relationship.SON_IN_LAW,
    (Relationship.SON, "M"): Relationship.GRANDSON,
    (Relationship.DAUGHTER, "F"): Relationship.GRANDDAUGHTER,
}
_BEFORE_SPLIT = collections.defaultdict(lambda: Relationship.OTHER, _BEFORE_SPLIT)


def _instant(day: datetime.date) -> datetime.datetime:
    """A history date as the moment it was recorded: a working hour of that day, in the town's time zone."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, day.toordinal() % 50)))


def _write_batch(gen, town, placement, centers, sizes, flag_ids, created, inserters, keys):
    fakes = [
        gen.household(
            # the town's pattern (services.households): village code, group, sequence in the group
            number=f"{household_number_prefix(group)}{house_index:0{SEQUENCE_DIGITS}d}",
            village_name=group.village.name,
            group_name=group.name,
            house_index=house_index,
            center=centers[group.village_id],
            size=size,
        )
        for (group, house_index), size in zip(placement, sizes, strict=True)
    ]
    _load_batch(town, [group for group, _ in placement], fakes, flag_ids, created, inserters, keys)


def _load_batch(town, groups, fakes: list[FakeHousehold], flag_ids, created, inserters, keys) -> None:
    """Write generated households (each in its group) and everything of their people: no randomness here."""
    house_rows = Household.objects.bulk_create(
        Household(
            town=town,
            village_id=group.village_id,
            group=group,
            number=fake.number,
            address=fake.address,
            house_number=fake.house_number,
            latitude=fake.latitude,
            longitude=fake.longitude,
            created_at=_instant(fake.registered) if fake.registered else created,
            confirmed_at=timezone.now() - datetime.timedelta(days=fake.confirmed_days_ago),
        )
        for group, fake in zip(groups, fakes, strict=True)
    )
    families = [fake.people for fake in fakes]
    resident_rows, id_blinds = [], []
    for household, family in zip(house_rows, families, strict=True):
        for p in family:
            id_blinds.append(blind_index("id", p.id_number) if p.id_number else None)
            resident_rows.append(
                Resident(
                    town=town,
                    household=household,
                    name=p.name,
                    sex=p.sex,
                    birth_date=p.birth,
                    id_status=IdStatus.PRESENT if p.id_number else IdStatus.NONE,
                    id_number=p.id_number,
                    id_blind=id_blinds[-1],
                    no_id_reason=p.no_id_reason,
                    residence_status=p.status,
                    created_at=created,
                )
            )
    resident_rows = Resident.objects.bulk_create(resident_rows)
    # The rest goes through the DB-API as plain tuples (see _RawInsert), with the values the fields would store.
    town_id = town.pk
    moment = Membership._meta.get_field("started_at").get_db_prep_save
    started = moment(created, connection)
    encrypt = ContactPhone._meta.get_field("number").get_db_prep_save
    heads, memberships, phones, flags, tokens, split_from = [], [], [], [], [], []
    it = zip(resident_rows, id_blinds, strict=True)
    previous = None
    for household, fake, family in zip(house_rows, fakes, families, strict=True):
        h_id, v_id, g_id = household.pk, household.village_id, household.group_id
        # split off the household before it in its group (in this batch: else it came from outside the town)
        source = previous.pk if fake.split_off and previous and previous.group_id == g_id else None
        if source:
            split_from.append((source, h_id))
        previous = household
        for p in family:
            resident, id_blind = next(it)
            r_id = resident.pk
            if p.relationship == Relationship.HEAD:
                heads.append((r_id, h_id))
            reason, since = p.joined or (MembershipStart.REGISTERED, None)
            if reason == MembershipStart.SPLIT and not source:
                reason = MembershipStart.MOVED_IN
            start = moment(_instant(since), connection) if since else started
            if reason == MembershipStart.SPLIT:  # their membership of the household they split off
                memberships.append(
                    (
                        town_id,
                        source,
                        r_id,
                        _BEFORE_SPLIT[p.relationship, p.sex],
                        started,
                        "registered",
                        start,
                        "split",
                    )
                )
            end, end_reason = (moment(_instant(p.left[1]), connection), p.left[0]) if p.left else (None, "")
            memberships.append((town_id, h_id, r_id, p.relationship, start, reason, end, end_reason))
            numbers = []
            for number, holder, holder_name, priority in p.phones:
                blind = blind_index("phone", number)
                numbers.append((number, blind))
                phones.append(
                    (town_id, r_id, encrypt(number, connection), blind, holder, holder_name, priority)
                )
            for code, level in p.flags:
                flags.append((town_id, r_id, flag_ids[code], level))
            for key in keys.resident(p.name, numbers, p.id_number, id_blind):
                tokens.append((town_id, v_id, g_id, h_id, r_id, key[:80]))
        for key in search.household_keys(household):
            tokens.append((town_id, v_id, g_id, h_id, None, key[:80]))
    table = connection.ops.quote_name(Household._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET head_id = %s WHERE id = %s", heads)  # noqa: S608
        if split_from:
            cursor.executemany(f"UPDATE {table} SET split_from_id = %s WHERE id = %s", split_from)  # noqa: S608
    inserters["membership"].write(memberships)
    inserters["phone"].write(phones)
    inserters["flag"].write(flags)
    # In key order: consecutive rows land on the same index pages (the indexes lead with the token's scope).
    tokens.sort(key=operator.itemgetter(5))
    inserters["token"].write(tokens)
