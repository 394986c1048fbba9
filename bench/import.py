"""The ledger (台账) round trip at town scale, beside django-import-export, and a county file with flat memory.

    .venv/bin/python bench/import.py [--db sqlite|postgres|both] [--county-rows 1000000] [--no-peer] [--no-county]

For each database, in its own process and a fresh database (bench/results/import.sqlite3, PostgreSQL
xiangzhi_bench_import on postgres://postgres:postgres@127.0.0.1:5432): builds the demo town (`manage.py
demo_town`: 26,551 residents in 6,975 households), exports the whole town's ledger with
`xiangzhi.registry.ledger.export` into one workbook (a sheet per group; full numbers, as a town administrator's
export for a move to another system), then
  (a) imports it with our engine (`xiangzhi.imports`, the `registry.ledger` importer) into a second town set up
      with the same villages and groups: dry run, then commit — and once more into the first town, where the round
      trip must change nothing;
  (b) imports the same workbook through django-import-export (bench/import_peer.py) into a third such town, dry
      run then commit, and prints the ratio (target: ours ≥ 5× faster);
and, once: (c) writes a synthetic county ledger of 1,000,000 rows (CSV and .xlsx) and reads it through our
engine's reader in a child process each, reporting peak RSS beside a 100,000-row file's (flat memory: about the
same peak for ten times the rows).

Writes bench/results/import.json (a top-level `checks` list, STYLE.md) and prints a table.
"""

import argparse
import datetime
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
WORK = RESULTS / "import-files"  # the workbooks written (git-ignored: *.xlsx, *.csv, *.sqlite3)
PG_SERVER = "postgres://postgres:postgres@127.0.0.1:5432"
PG_NAME = "xiangzhi_bench_import"  # and xiangzhi_bench_import_ours, xiangzhi_bench_import_peer
BENCH_FIELD_KEY = "xiangzhi-bench-only-field-key-not-a-secret"
TARGET_SECONDS = 15.0  # dry run + commit of the town's ledger (issue 10 §5)
TARGET_RATIO = 5.0  # django-import-export's time over ours
TARGET_FLAT = 1.5  # the 1,000,000-row file's peak RSS over the 100,000-row file's
SEED = 1


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def database_name(stage: str) -> str:
    """One database per stage: the source town; the targets our import and the peer's write into."""
    return PG_NAME if stage == "source" else f"{PG_NAME}_{stage}"


def database_url(db: str, stage: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{RESULTS / (database_name(stage) + '.sqlite3')}"
    return f"{PG_SERVER}/{database_name(stage)}"


def fresh_database(db: str, stage: str) -> None:
    name = database_name(stage)
    if db == "sqlite":
        for path in RESULTS.glob(f"{name}.sqlite3*"):
            path.unlink()
        return
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(db: str | None, stage: str = "source") -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "xiangzhi.config.settings.dev"
    os.environ["XIANGZHI_FIELD_KEY"] = BENCH_FIELD_KEY
    if db:
        os.environ["DATABASE_URL"] = database_url(db, stage)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False


def peak_rss_mb() -> float:
    """This process's peak resident set (Linux reports kB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# ------------------------------------------------------------------------------------ our engine, one adapter


def _engine():
    """The import engine (`xiangzhi.imports`, merged from its branch), or None where it is not there."""
    try:
        from xiangzhi.imports import reading, services
    except ImportError:
        return None
    return services if hasattr(reading, "read_rows") else None


def our_import(path: Path, *, actor, village_id: int, commit: bool) -> dict:
    """One village's workbook through the engine's job, as the pages run it but in this process: upload (the
    safety checks and the header found), the dry run (`run_check`, the background task's body) and, with
    `commit`, the commit (`run_commit`: one transaction). Returns the seconds of each step and the counts."""
    from django.core.files import File

    from xiangzhi.imports import services as jobs
    from xiangzhi.imports.choices import State

    out: dict = {}
    started = time.perf_counter()
    with path.open("rb") as handle:
        job = jobs.job_upload(
            actor=actor,
            kind="registry.ledger",
            upload=File(handle, name=path.name),
            options={"village": village_id},
        )
    if job.state == State.UPLOADED:  # the columns were not all recognised: take the automatic mapping
        job = jobs.job_map(actor=actor, job=job, mapping=job.mapping)
    jobs.job_check(actor=actor, job=job)
    jobs.run_check(job_id=job.pk, actor=actor)
    job.refresh_from_db()
    out["dry_run_seconds"] = time.perf_counter() - started
    out["dry_run_counts"] = dict(job.counts)
    if job.state != State.CHECKED:
        raise RuntimeError(f"the dry run of {path.name} ended {job.state}: {job.reason}")
    if commit:
        started = time.perf_counter()
        jobs.job_commit(actor=actor, job=job)
        jobs.run_commit(job_id=job.pk)
        job.refresh_from_db()
        out["commit_seconds"] = time.perf_counter() - started
        out["commit_counts"] = dict(job.counts)
        if job.state != State.COMMITTED:
            raise RuntimeError(f"the commit of {path.name} ended {job.state}: {job.reason}")
    return out


def import_town(db: str, *, actor, commit: bool) -> dict:
    """The town's ledger through our engine, village by village: the ledger importer takes one village's
    workbook at a time (its options name the village), so the town's rows go in as the villages' workbooks the
    same export wrote. Sums the seconds and the counts."""
    from xiangzhi.areas.models import Village

    setup = json.loads((WORK / f"setup-{db}.json").read_text())
    total: dict = {"dry_run_seconds": 0.0, "commit_seconds": 0.0, "dry_run_counts": {}, "commit_counts": {}}
    for v in setup["villages"]:
        village = Village.objects.restrict(actor, "registry.import").get(code=v["code"])
        one = our_import(
            WORK / f"village-{db}-{v['code']}.xlsx", actor=actor, village_id=village.pk, commit=commit
        )
        for key in ("dry_run_seconds", "commit_seconds"):
            total[key] += one.get(key, 0.0)
        for key in ("dry_run_counts", "commit_counts"):
            for name, n in one.get(key, {}).items():
                if isinstance(n, int):
                    total[key][name] = total[key].get(name, 0) + n
    total["dry_run_seconds"] = round(total["dry_run_seconds"], 2)
    total["commit_seconds"] = round(total["commit_seconds"], 2)
    total["villages"] = len(setup["villages"])
    return total


# ------------------------------------------------------------------------------------------------ the worker


def write_setup(town, path: Path, rows: int) -> None:
    """The town's name, code, villages and groups: what a target database is set up with before an import."""
    from xiangzhi.areas.models import Village, VillageGroup

    villages = Village.objects.unrestricted("bench set-up").filter(town=town).order_by("pk")
    groups = (
        VillageGroup.objects.unrestricted("bench set-up").filter(town=town).order_by("village_id", "number")
    )
    path.write_text(
        json.dumps(
            {
                "town": {"name": town.name, "code": town.code},
                "villages": [{"name": v.name, "kind": v.kind, "code": v.code} for v in villages],
                "groups": [{"village": g.village.code, "number": g.number, "name": g.name} for g in groups],
                "rows": rows,
            },
            ensure_ascii=False,
        )
    )


def target_town(path: Path):
    """A fresh database's town set up as the source's was, with no households, and its administrator (ID numbers
    are unique across a database, so a ledger's people land as new rows only in another database)."""
    from xiangzhi.accounts.models import RoleAssignment, User
    from xiangzhi.areas.models import Village, VillageGroup
    from xiangzhi.areas.services import town_create
    from xiangzhi.core.permissions import Role
    from xiangzhi.registry.services import town_flags_seed

    setup = json.loads(path.read_text())
    town = town_create(**setup["town"])  # (its "rows" is the ledger's, for the peer's scaling)
    town_flags_seed(town=town)
    villages = {v["code"]: Village.objects.create(town=town, **v) for v in setup["villages"]}
    VillageGroup.objects.bulk_create(
        [
            VillageGroup(town=town, village=villages[g["village"]], number=g["number"], name=g["name"])
            for g in setup["groups"]
        ]
    )
    admin = User.objects.create(username="bench-admin", town=town)
    RoleAssignment.objects.create(user=admin, role=Role.TOWN_ADMIN)
    return town, admin


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, round(time.perf_counter() - started, 2)


def db_version(db: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("show server_version" if db == "postgres" else "select sqlite_version()")
        return ("PostgreSQL " if db == "postgres" else "SQLite ") + cursor.fetchone()[0]


def stage_source(db: str, result: dict, reuse: bool) -> None:
    """Build the demo town, export its ledger (workbook with full numbers; masked CSV), and read the workbook back
    into the same town: the round trip must change nothing."""
    from django.core.management import call_command
    from django.db import connection

    from xiangzhi.accounts.models import User
    from xiangzhi.registry.ledger import export
    from xiangzhi.registry.models import Resident

    call_command("migrate", verbosity=0)
    if reuse and User.objects.filter(username="admin").exists():
        log(f"{db}: reusing the demo town of an earlier run (--reuse)")
        result["build_seconds"] = None
    else:
        log(f"{db}: building the demo town …")
        _, result["build_seconds"] = timed(call_command, "demo_town", "--quiet", "--seed", str(SEED))
        if db == "postgres":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
    result["version"] = db_version(db)
    admin = User.objects.get(username="admin")
    town = admin.town
    result["residents"] = Resident.objects.filter(town=town).count()

    # the whole town in one workbook, full numbers, as for a move to another system
    WORK.mkdir(parents=True, exist_ok=True)
    workbook = WORK / f"town-ledger-{db}.xlsx"
    started = time.perf_counter()
    decided = export.ledger_export(actor=admin, unmasked=True, reason="benchmark: the town's ledger")
    with workbook.open("wb") as f:
        written = export.write_xlsx(decided.ledger_rows(), f, many_villages=True, masked=False)
    write_setup(town, WORK / f"setup-{db}.json", written)
    result["export_xlsx"] = {
        "rows": written,
        "seconds": round(time.perf_counter() - started, 2),
        "mb": round(workbook.stat().st_size / 2**20, 2),
    }
    started = time.perf_counter()
    masked = export.ledger_export(actor=admin, format="csv")
    size = sum(len(line.encode()) for line in export.csv_lines(masked.ledger_rows()))
    result["export_csv_masked"] = {
        "rows": masked.rows,
        "seconds": round(time.perf_counter() - started, 2),
        "mb": round(size / 2**20, 2),
    }
    log(f"{db}: exported {written:,} rows: {result['export_xlsx']} / csv {result['export_csv_masked']}")
    # each village's workbook too: what the village ledger importer takes
    from xiangzhi.areas.models import Village

    started = time.perf_counter()
    for village in Village.objects.restrict(admin, "registry.view").order_by("code"):
        one = export.ledger_export(
            actor=admin, scope=export.LedgerScope(village=village), unmasked=True, reason="benchmark"
        )
        with (WORK / f"village-{db}-{village.code}.xlsx").open("wb") as f:
            export.write_xlsx(one.ledger_rows(), f, many_villages=False, masked=False)
    result["export_villages_seconds"] = round(time.perf_counter() - started, 2)
    if _engine() is not None:
        round_trip, seconds = timed(import_town, db, actor=admin, commit=False)
        result["round_trip_into_source"] = round_trip | {"seconds": seconds}
        log(f"{db}: round trip into the source town: {round_trip}")


def stage_ours(db: str, result: dict) -> None:
    """Our engine into a fresh database set up like the source: dry run, commit, and a second dry run (which must
    find everything unchanged)."""
    from django.core.management import call_command

    if _engine() is None:
        result["ours"] = {"skipped": "the import engine's reader is not merged into this branch yet"}
        log(f"{db}: our import skipped (engine not merged)")
        return
    call_command("migrate", verbosity=0)
    _town, admin = target_town(WORK / f"setup-{db}.json")
    first = import_town(db, actor=admin, commit=True)
    again = import_town(db, actor=admin, commit=False)
    result["ours"] = {
        "dry_run_seconds": first["dry_run_seconds"],
        "commit_seconds": first["commit_seconds"],
        "total_seconds": round(first["dry_run_seconds"] + first["commit_seconds"], 2),
        "villages": first["villages"],
        "dry_run_counts": first["dry_run_counts"],
        "commit_counts": first["commit_counts"],
        "second_import": {"dry_run_seconds": again["dry_run_seconds"], "counts": again["dry_run_counts"]},
    }
    log(
        f"{db}: ours dry run {first['dry_run_seconds']} s + commit {first['commit_seconds']} s; {first['commit_counts']}"
    )


def stage_peer(db: str, result: dict, limit: int | None) -> None:
    """django-import-export into a fresh database set up like the source: dry run, then commit — of the whole
    workbook, or of its first `limit` rows (`--peer-rows`), its time then scaled to the whole file by rows (the
    peer's cost is per row: a query or more each)."""
    from django.core.management import call_command
    from import_peer import peer_import

    from xiangzhi.registry.models import Resident

    import_export = __import__("import_export")
    call_command("migrate", verbosity=0)
    town, _admin = target_town(WORK / f"setup-{db}.json")
    workbook = str(WORK / f"town-ledger-{db}.xlsx")
    _dry, dry_s = timed(peer_import, workbook, town=town, dry_run=True, limit=limit)
    log(f"{db}: django-import-export dry run {dry_s} s")
    commit, commit_s = timed(peer_import, workbook, town=town, dry_run=False, limit=limit)
    log(f"{db}: django-import-export commit {commit_s} s ({commit['rows']:,} rows)")
    whole = json.loads((WORK / f"setup-{db}.json").read_text())["rows"]
    scale = whole / commit["rows"]
    result["peer"] = {
        "engine": f"django-import-export {import_export.__version__}",
        "rows_timed": commit["rows"],
        "rows_in_file": whole,
        "dry_run_seconds": dry_s,
        "commit_seconds": commit_s,
        "timed_seconds": round(dry_s + commit_s, 2),
        # the whole file's time: measured when it was all imported, else scaled by rows
        "total_seconds": round((dry_s + commit_s) * scale, 1),
        "scaled": scale != 1,
        "commit": commit,
        "residents_after": Resident.objects.filter(town=town).count(),
    }


def worker(db: str, stage: str, out: Path, reuse: bool, peer_rows: int | None) -> None:
    if not (reuse and stage == "source"):
        fresh_database(db, stage)
    setup_django(db, stage)
    result: dict = {"db": db, "load_average_before": os.getloadavg()}
    if stage == "source":
        stage_source(db, result, reuse)
    elif stage == "ours":
        stage_ours(db, result)
    else:
        stage_peer(db, result, peer_rows)
    result["load_average_after"] = os.getloadavg()
    result[f"{stage}_peak_rss_mb"] = peak_rss_mb()
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))


# ------------------------------------------------------------------------------------------- the county file


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
)
GIVEN = "建国华明秀英兰芳伟强军平红梅丽娟志勇杰涛超霞燕玲桂珍淑敏静婷雪浩宇轩"


def _id_number(rnd: random.Random, birth: datetime.date, male: bool) -> str:
    body = f"500111{birth:%Y%m%d}{rnd.randrange(0, 50) * 2 + (1 if male else 0):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def county_rows(n: int):
    """A county's ledger, synthetic: households of 1–6 people in 30 towns × 15 villages × 8 groups."""
    sys.path.insert(0, str(ROOT))
    from xiangzhi.registry.ledger.layout import COLUMNS  # plain data: no Django needed

    rnd = random.Random(SEED)
    yield [c.header for c in COLUMNS]
    written, household = 0, 0
    relations = ["配偶", "子", "女", "孙子", "孙女", "母亲"]
    while written < n:
        household += 1
        group = f"{household % 8 + 1}组"
        size = min(rnd.randint(1, 6), n - written)
        for k in range(size):
            male = rnd.random() < 0.5
            birth = datetime.date(1930, 1, 1) + datetime.timedelta(days=rnd.randrange(0, 33000))
            yield [
                group,
                f"{household:08d}",
                f"{household % 300 + 1}号",
                f"某镇某村{group}{household % 300 + 1}号",
                rnd.choice(SURNAMES) + "".join(rnd.choices(GIVEN, k=rnd.randint(1, 2))),
                "户主" if k == 0 else relations[k - 1],
                "男" if male else "女",
                birth.isoformat(),
                _id_number(rnd, birth, male),
                f"1{rnd.choice('3578')}{rnd.randrange(10**9):09d}",
                "在家" if rnd.random() < 0.8 else "外出务工",
                "低保" if rnd.random() < 0.03 else "",
                "",
            ]
            written += 1


def write_county(n: int, kind: str) -> Path:
    path = WORK / f"county-{n}.{kind}"
    if path.exists():  # written whole by an earlier run (a partial one has the .part name)
        return path
    WORK.mkdir(parents=True, exist_ok=True)
    final, path = path, path.with_name(path.name + ".part")
    if kind == "csv":
        import csv

        with path.open("w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows(county_rows(n))
    else:
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("县台账")
        ws.append(["某县 村民台账（合成数据）"])
        for row in county_rows(n):
            ws.append(row)
        wb.save(path)
    path.rename(final)
    return final


def read_only(path: Path, out: Path) -> None:
    """Child process: the engine's checks and reader over the file, as an import job reads it (`safety.inspect`,
    the header found, the automatic mapping, then `reading.read_rows` row by row, keeping nothing); report the
    rows, the time and the peak RSS."""
    setup_django(None)
    from django.conf import settings

    from xiangzhi.imports import reading, safety, services

    # a county's file is over the 100 MB a town's upload may be; the reader is what is measured here
    settings.XIANGZHI_IMPORT_MAX_BYTES = 4 * 2**30
    from xiangzhi.imports.engine import importer_for

    baseline = peak_rss_mb()
    importer = importer_for("registry.ledger")
    started = time.perf_counter()
    with path.open("rb") as handle:
        found = safety.inspect(handle, name=path.name)
    stream_above = int(getattr(services.settings, "XIANGZHI_IMPORT_STREAM_BYTES", 32 * 1024 * 1024))
    streamed = (
        found.merges if found.kind == "xlsx" and max(found.sizes.values(), default=0) > stream_above else None
    )
    layouts = reading.layout(
        str(path),
        found.kind,
        importer.fields,
        found.encoding or "utf-8",
        streamed=streamed,
        formulas=found.formulas,
    )
    mapping = reading.auto_mapping(layouts, importer.fields)
    checked = time.perf_counter() - started
    log_ = reading.ReadLog()
    rows = 0
    for _row in reading.read_rows(
        str(path),
        found.kind,
        layouts=layouts,
        mapping=mapping,
        log=log_,
        encoding=found.encoding or "utf-8",
        formulas=found.formulas,
        streamed=streamed,
    ):
        rows += 1
    out.write_text(
        json.dumps(
            {
                "rows": rows,
                "reader": "openpyxl streaming"
                if streamed is not None
                else ("csv" if found.kind == "csv" else "calamine"),
                "checks_seconds": round(checked, 2),
                "seconds": round(time.perf_counter() - started, 2),
                "peak_rss_mb": peak_rss_mb(),
                "rss_after_django_setup_mb": baseline,
            }
        )
    )


def county(n: int, kinds: list[str]) -> dict:
    result: dict = {}
    for kind in kinds:
        for rows in (n // 10, n):
            started = time.perf_counter()
            path = write_county(rows, kind)
            log(f"county {kind} of {rows:,} rows ready in {time.perf_counter() - started:.0f} s")
            with tempfile.TemporaryDirectory() as tmp:
                out = Path(tmp) / "read.json"
                subprocess.run([sys.executable, __file__, "--read", str(path), "--out", str(out)], check=True)
                read = json.loads(out.read_text())
            read["mb"] = round(path.stat().st_size / 2**20, 1)
            result[f"{kind}_{rows}"] = read
            log(f"county {kind} {rows:,}: {read}")
    return result


# ------------------------------------------------------------------------------------------------ the parent


def _check(name: str, value, op: str, target: float, unit: str) -> dict:
    met = value is not None and (value <= target if op == "<=" else value >= target)
    return {"name": name, "value": value, "op": op, "target": target, "unit": unit, "met": met}


def checks(results: dict) -> list[dict]:
    out = []
    for db, data in results["databases"].items():
        ours = data.get("ours", {})
        out.append(
            _check(f"{db}.ours.dry_run_plus_commit", ours.get("total_seconds"), "<=", TARGET_SECONDS, "s")
        )
        if "second_import" in ours:
            counts = ours["second_import"]["counts"]
            out.append(
                _check(
                    f"{db}.second_import.changed",
                    counts.get("changed", 0) + counts.get("new", 0),
                    "<=",
                    0,
                    "rows",
                )
            )
        if "round_trip_into_source" in data:
            counts = dict(data["round_trip_into_source"]["dry_run_counts"])
            counts["changed"] = counts.get("changed", 0) + counts.get("refused", 0)
            out.append(
                _check(
                    f"{db}.round_trip.changed_or_refused",
                    counts.get("changed", 0) + counts.get("new", 0),
                    "<=",
                    0,
                    "rows",
                )
            )
        if "peer" in data:
            ratio = data.get("ratio")
            out.append(_check(f"{db}.peer_over_ours", ratio, ">=", TARGET_RATIO, "x"))
    for key, read in results.get("county", {}).items():
        if key.endswith(f"_{results['county_rows']}") and "peak_rss_mb" in read:
            kind = key.split("_")[0]
            small = results["county"][f"{kind}_{results['county_rows'] // 10}"]
            out.append(
                _check(
                    f"county.{kind}.peak_rss_over_tenth",
                    round(read["peak_rss_mb"] / small["peak_rss_mb"], 2),
                    "<=",
                    TARGET_FLAT,
                    "x",
                )
            )
    return out


def print_table(results: dict) -> None:
    for db, data in results["databases"].items():
        print(f"\n{db}: {data.get('version', '')}")
        if "export_xlsx" in data:  # not in a run of the later stages only
            x, c = data["export_xlsx"], data["export_csv_masked"]
            print(
                f"  export .xlsx (full numbers)  {x['rows']:>7,} rows {x['seconds']:>7.2f} s {x['mb']:>6.2f} MB"
            )
            print(
                f"  export CSV (masked)          {c['rows']:>7,} rows {c['seconds']:>7.2f} s {c['mb']:>6.2f} MB"
            )
        ours = data.get("ours", {})
        if "total_seconds" in ours:
            print(
                f"  ours: dry run {ours['dry_run_seconds']:.2f} s + commit {ours['commit_seconds']:.2f} s"
                f" = {ours['total_seconds']:.2f} s (target ≤ {TARGET_SECONDS:g} s)"
            )
        else:
            print(f"  ours: {ours.get('skipped')}")
        if "peer" in data:
            p = data["peer"]
            timed_on = f" ({p['rows_timed']:,} rows timed, scaled by rows)" if p["scaled"] else ""
            print(
                f"  {p['engine']}: dry run {p['dry_run_seconds']:.2f} s + commit {p['commit_seconds']:.2f} s"
                f"{timed_on} = {p['total_seconds']:.1f} s for the file"
                + (f"  → ours is {data['ratio']:.1f}× faster" if data.get("ratio") else "")
            )
    for key, read in results.get("county", {}).items():
        print(f"  county {key}: {read}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgres", "both", "none"], default="both")
    parser.add_argument("--county-rows", type=int, default=1_000_000)
    parser.add_argument("--county-kinds", default="csv,xlsx", help="which county files: csv, xlsx or both")
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument(
        "--peer-rows", type=int, help="time django-import-export on the first N rows only, scaled to the file"
    )
    parser.add_argument("--no-county", action="store_true")
    parser.add_argument(
        "--stages", help="only these stages (source,ours,peer), from files an earlier run left"
    )
    parser.add_argument("--out", default=str(RESULTS / "import.json"))
    parser.add_argument(
        "--merge",
        nargs="+",
        metavar="RESULTS",
        help="merge results files of separate runs into --out, checks redone",
    )
    parser.add_argument("--worker", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--read", help=argparse.SUPPRESS)
    parser.add_argument("--stage", choices=["source", "ours", "peer"], help=argparse.SUPPRESS)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the databases of an earlier run (no rebuild)"
    )
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.stage, Path(args.out), args.reuse, args.peer_rows)
        return
    if args.read:
        read_only(Path(args.read), Path(args.out))
        return
    if args.merge:  # runs made one database at a time (and the county file apart): one results file
        merged: dict = {"runs": [], "databases": {}}
        for name in args.merge:
            part = json.loads(Path(name).read_text())
            part.pop("checks", None)
            merged["runs"].append({k: part.get(k) for k in ("command", "date", "wall_seconds")})
            merged["databases"] |= part.pop("databases", {})
            merged |= {k: v for k, v in part.items() if k not in ("command", "date", "wall_seconds")}
        Path(args.out).write_text(
            json.dumps({"checks": checks(merged)} | merged, ensure_ascii=False, indent=1) + "\n"
        )
        print_table(merged)
        return

    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results: dict = {
        "benchmark": "the town's ledger: export, our import (dry run + commit) vs django-import-export; a county file",
        "date": datetime.date.today().isoformat(),
        "command": " ".join(["bench/import.py", *sys.argv[1:]]),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "targets": {"seconds": TARGET_SECONDS, "ratio": TARGET_RATIO, "flat_rss": TARGET_FLAT},
        "databases": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        for db in {"both": ["sqlite", "postgres"], "none": []}.get(args.db, [args.db]):
            data: dict = {}
            for stage in (
                args.stages.split(",")
                if args.stages
                else ["source", "ours"] + ([] if args.no_peer else ["peer"])
            ):
                out = Path(tmp) / f"{db}-{stage}.json"
                command = [sys.executable, __file__, "--worker", db, "--stage", stage, "--out", str(out)]
                command += ["--reuse"] if args.reuse else []
                command += ["--peer-rows", str(args.peer_rows)] if args.peer_rows else []
                subprocess.run(command, check=True)
                data |= json.loads(out.read_text())
            if "peer" in data and "total_seconds" in data.get("ours", {}):
                data["ratio"] = round(data["peer"]["total_seconds"] / data["ours"]["total_seconds"], 1)
            results["databases"][db] = data
    if not args.no_county:
        results["county_rows"] = args.county_rows
        results["county"] = county(args.county_rows, args.county_kinds.split(","))
    results["wall_seconds"] = round(time.monotonic() - started)
    Path(args.out).write_text(
        json.dumps({"checks": checks(results)} | results, ensure_ascii=False, indent=1) + "\n"
    )
    print_table(results)
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
