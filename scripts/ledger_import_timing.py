"""Time the village ledger import of a whole town (26,551 residents by default, N=… to change): a fresh town with
one village of 120 groups, the demo generator's people as ledger rows (`SourceRow`s, as the import engine hands
them), then dry run + commit twice (the second import changes nothing). Prints wall and CPU seconds.

    DATABASE_URL=sqlite:////tmp/ledger.sqlite3 DJANGO_SETTINGS_MODULE=xiangzhi.config.settings.base \
        PYTHONPATH=$PWD .venv/bin/python scripts/ledger_import_timing.py

Writes to the database it is given (migrating it first): never point it at a town's own. `bench/import.py` will
hold the benchmark proper.
"""

import os
import time

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from xiangzhi.accounts.services import RoleInput  # noqa: E402
from xiangzhi.accounts.tests.factories import UserFactory  # noqa: E402
from xiangzhi.areas.models import Village, VillageGroup  # noqa: E402
from xiangzhi.areas.services import town_create  # noqa: E402
from xiangzhi.core.permissions import Role  # noqa: E402
from xiangzhi.imports.engine import SourceRow  # noqa: E402
from xiangzhi.registry.demo import CENTER, REFERENCE_HOUSEHOLDS, REFERENCE_RESIDENTS, Generator  # noqa: E402
from xiangzhi.registry.ledger.importer import LedgerImporter  # noqa: E402
from xiangzhi.registry.models import FlagType  # noqa: E402
from xiangzhi.registry.services import town_flags_seed  # noqa: E402

RELATIONSHIP = {
    "head": "户主",
    "spouse": "配偶",
    "son": "长子",
    "daughter": "长女",
    "grandson": "孙子",
    "granddaughter": "孙女",
    "father": "父亲",
    "mother": "母亲",
    "daughter_in_law": "儿媳",
    "son_in_law": "女婿",
    "grandfather": "祖父",
    "grandmother": "祖母",
    "sibling": "弟",
    "other": "其他",
}
STATUS = {
    "at_home": "在家",
    "migrant": "外出务工",
    "studying": "外出就学",
    "moved_out": "迁出",
    "deceased": "死亡",
}


def ledger_rows(n: int, groups, flag_names) -> list[SourceRow]:
    gen = Generator(7, timezone.localdate())
    households = round(n * REFERENCE_HOUSEHOLDS / REFERENCE_RESIDENTS)
    rows, line = [], 0
    for i, size in enumerate(gen.household_sizes(households, n)):
        group = groups[i * len(groups) // households]
        fake = gen.household(
            number="", village_name="全镇", group_name=group.name, house_index=i + 1, center=CENTER, size=size
        )
        for p in fake.people:
            line += 1
            rows.append(
                SourceRow(
                    sheet=group.name,
                    row=line + 2,
                    values={
                        "group": group.name,
                        "house_number": fake.house_number,
                        "address": fake.address,
                        "name": p.name,
                        "relationship": RELATIONSHIP[p.relationship],
                        "sex": "男" if p.sex == "M" else "女",
                        "birth_date": p.birth,
                        "id_number": p.id_number or "",
                        "phones": "、".join(number for number, *_ in p.phones),
                        "residence_status": STATUS[p.status],
                        "flags": "、".join(flag_names[c] + (f"({lv}级)" if lv else "") for c, lv in p.flags),
                        "notes": "",
                    },
                )
            )
    return rows


def main() -> None:
    call_command("migrate", verbosity=0)
    n = int(os.environ.get("N", REFERENCE_RESIDENTS))
    with transaction.atomic():
        town = town_create(name=f"台账镇{time.time_ns() % 100000}", code="500111108000")
        town_flags_seed(town=town)
        village = Village.objects.create(town=town, name="全镇", code="500111108001")
        groups = VillageGroup.objects.bulk_create(
            [VillageGroup(town=town, village=village, number=k + 1, name=f"{k + 1}组") for k in range(120)]
        )
    admin = UserFactory(username=f"ledger{town.pk}", town=town, roles=[RoleInput(Role.TOWN_ADMIN)])
    names = dict(FlagType.objects.unrestricted("set-up").filter(town=town).values_list("code", "name"))
    rows = ledger_rows(n, groups, names)
    importer, options = LedgerImporter(), {"village": village.pk}
    print(f"{connection.vendor}: {len(rows)} rows, load average {os.getloadavg()[0]:.1f}")
    for attempt in ("first import", "same file again"):
        wall, cpu = time.perf_counter(), time.process_time()
        importer.dry_run(actor=admin, rows=rows, options=options)
        dry = (time.perf_counter() - wall, time.process_time() - cpu)
        wall, cpu = time.perf_counter(), time.process_time()
        with transaction.atomic():
            report = importer.commit(actor=admin, rows=rows, options=options, progress=lambda done: None)
        commit = (time.perf_counter() - wall, time.process_time() - cpu)
        print(
            f"{attempt}: dry run {dry[0]:.1f} s (CPU {dry[1]:.1f}), commit {commit[0]:.1f} s (CPU {commit[1]:.1f}), "
            f"{report.counts}"
        )


main()
