"""A notice texted to every household head of a town (7,000 households), through the outbox and its worker.

    .venv/bin/python bench/outbox.py [--db sqlite|postgres] [--residents 26551]

Builds (once, then reuses) the reference town (26,551 residents, 6,975 households, `xiangzhi.registry.demo.build_town`)
in a dedicated database — bench/results/outbox-N.sqlite3 or the PostgreSQL database xiangzhi_bench_outbox on
postgres://postgres:postgres@127.0.0.1:5432 — then, as the town administrator, publishes one notice to the whole
town with its SMS summary and times what follows, as the worker (`manage.py worker`) runs it, task by task, in this
process (the worker's own `run_task`, without its polling sleep):

  publish   `notices.services.notice_publish(sms=True)`: the notice, its audit row, one task enqueued;
  fan-out   the task `notice_texts_send`: one `Message` per household whose head has a phone of their own,
            each keyed by notice and household, written with `bulk_create`, their delivery enqueued as one
            `deliver_batch` task per 200 texts (`messaging.services.sms_send_many`);
  delivery  every delivery task, with the default sender (`OutboxOnlySender`: the outbox and the log — what a town
            without an SMS contract runs; a gateway adds its own round trip per message);
  again     the fan-out task once more for the same notice: the keys must make it send nothing twice.

The peer is the deadline a township works to: a flood warning or a vaccination day must reach every head within
minutes, and a gateway accepts hundreds of texts a second, so the outbox must not be the slower side. Writes
bench/results/outbox.json (top-level `checks`).
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_SERVER = "postgres://postgres:postgres@127.0.0.1:5432"
BENCH_FIELD_KEY = "xiangzhi-bench-only-field-key-not-a-secret"
REFERENCE_RESIDENTS = 26_551
SEED = 1
TARGETS = {
    "fanout_seconds": 60.0,  # every head's text in the outbox within a minute of publishing
    "delivery_seconds": 300.0,  # and handed to the sender within five
    "delivery_per_second": 25.0,
}


def database_url(db: str, residents: int) -> str:
    if db == "sqlite":
        return f"sqlite:///{RESULTS / f'outbox-{residents}.sqlite3'}"
    return f"{PG_SERVER}/xiangzhi_bench_outbox" + (
        "" if residents == REFERENCE_RESIDENTS else f"_{residents}"
    )


def setup_django(db: str, residents: int) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "xiangzhi.config.settings.dev"
    os.environ["DATABASE_URL"] = database_url(db, residents)
    os.environ["XIANGZHI_FIELD_KEY"] = BENCH_FIELD_KEY
    os.environ.pop("XIANGZHI_SMS_GATEWAY_URL", None)  # the outbox-only sender
    sys.path.insert(0, str(ROOT))
    if db == "postgres":
        import psycopg

        name = database_url(db, residents).rsplit("/", 1)[1]
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False
    import logging

    logging.getLogger("xiangzhi").setLevel(logging.WARNING)  # the outbox sender logs each text


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def prepare(db: str, residents: int) -> dict:
    from django.core.management import call_command

    from xiangzhi.core.models import Town
    from xiangzhi.registry import demo
    from xiangzhi.registry.models import Resident

    call_command("migrate", verbosity=0)
    if Town.objects.count() == 1 and Resident.objects.count() == residents:
        log(f"reusing the {residents:,}-resident town")
        return {"built": False}
    if Town.objects.exists():
        raise SystemExit(
            "the benchmark database holds another town: delete it (bench/results/outbox-*.sqlite3)"
        )
    log(f"building {residents:,} residents on {db} …")
    started = time.monotonic()
    demo.build_town(residents=residents, seed=SEED)
    log(f"built in {time.monotonic() - started:.0f} s")
    return {"built": True, "build_seconds": round(time.monotonic() - started, 1)}


def admin_of(town):
    from xiangzhi.accounts.models import RoleAssignment, User
    from xiangzhi.core.permissions import Role

    user = User.objects.filter(username="bench-outbox").first()
    if user is None:  # the installer's path: no actor yet
        user = User.objects.create_user(username="bench-outbox", password=None, town=town)
        RoleAssignment.objects.create(user=user, role=Role.TOWN_ADMIN)
    return user


def make_worker():
    from django_tasks_db.management.commands.db_worker import Worker

    return Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="bench",
        excluded_queue_names=[],
    )


def run_ready(worker, *task_paths: str) -> int:
    """Run every ready task of `task_paths`, one claim at a time as the worker does; how many ran."""
    from django_tasks_db.models import DBTaskResult

    ran = 0
    while (result := DBTaskResult.objects.ready().filter(task_path__in=task_paths).first()) is not None:
        result.claim("bench")
        worker.run_task(result)
        ran += 1
    return ran


def check(name: str, value: float, op: str, target: float, unit: str) -> dict:
    met = value <= target if op == "<=" else value >= target
    return {"name": name, "value": round(value, 3), "op": op, "target": target, "unit": unit, "met": met}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--residents", type=int, default=REFERENCE_RESIDENTS)
    args = parser.parse_args()
    setup_django(args.db, args.residents)

    from django.db.models import F

    from xiangzhi.core.models import Town
    from xiangzhi.messaging.models import Message, State
    from xiangzhi.notices.services import notice_publish
    from xiangzhi.notices.tasks import notice_texts_send
    from xiangzhi.registry.choices import HouseholdStatus, PhoneHolder
    from xiangzhi.registry.models import ContactPhone, Household

    built = prepare(args.db, args.residents)
    town = Town.objects.get()
    admin = admin_of(town)
    households = Household.objects.filter(town=town, status=HouseholdStatus.ACTIVE).count()
    heads_with_phone = (
        ContactPhone.objects.filter(
            town=town, holder=PhoneHolder.SELF, resident__household__head_id=F("resident_id")
        )
        .values("resident__household")
        .distinct()
        .count()
    )
    worker = make_worker()
    from xiangzhi.messaging.tasks import deliver, deliver_batch

    delivery_tasks = (deliver.module_path, deliver_batch.module_path)
    run_ready(worker, *delivery_tasks)  # anything an interrupted earlier run left
    before = Message.objects.count()

    load = os.getloadavg()
    started = time.monotonic()
    notice = notice_publish(
        actor=admin, title="明日停水通知", body="明天8点到12点全镇停水检修，请提前储水。", sms=True
    )
    publish_s = time.monotonic() - started

    started = time.monotonic()
    fanned = run_ready(worker, notice_texts_send.module_path)
    fanout_s = time.monotonic() - started
    texts = Message.objects.filter(key__startswith=f"notice:{notice.pk}:").count()
    log(f"fan-out: {texts:,} texts queued in {fanout_s:.1f} s ({fanned} task)")

    started = time.monotonic()
    delivered = run_ready(worker, *delivery_tasks)
    delivery_s = time.monotonic() - started
    sent = Message.objects.filter(key__startswith=f"notice:{notice.pk}:", state=State.SENT).count()
    log(f"delivery: {delivered:,} tasks, {sent:,} sent in {delivery_s:.1f} s")

    notice_texts_send.enqueue(notice.pk)
    run_ready(worker, notice_texts_send.module_path)
    again = Message.objects.count() - before - texts

    from django.db import connection

    result = {
        "checks": [
            check("fanout.seconds", fanout_s, "<=", TARGETS["fanout_seconds"], "s"),
            check("delivery.seconds", delivery_s, "<=", TARGETS["delivery_seconds"], "s"),
            check(
                "delivery.per_second",
                sent / delivery_s if delivery_s else 0.0,
                ">=",
                TARGETS["delivery_per_second"],
                "texts/s",
            ),
            check("texts.per_head_with_phone", texts / heads_with_phone, ">=", 1.0, "ratio"),
            check("sent.per_text", sent / texts if texts else 0.0, ">=", 1.0, "ratio"),
            check("again.new_texts", float(again), "<=", 0.0, "texts"),
        ],
        "db": args.db,
        "database": connection.vendor,
        "town": {
            "residents": args.residents,
            "households": households,
            "heads_with_own_phone": heads_with_phone,
        },
        "build": built,
        "publish_ms": round(publish_s * 1000, 1),
        "fanout": {
            "seconds": round(fanout_s, 2),
            "texts": texts,
            "ms_per_text": round(fanout_s / texts * 1000, 3),
        },
        "delivery": {
            "seconds": round(delivery_s, 2),
            "tasks": delivered,
            "sent": sent,
            "ms_per_text": round(delivery_s / max(sent, 1) * 1000, 3),
            "sender": "OutboxOnlySender",
        },
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": [round(x, 1) for x in load],  # 1, 5, 15 min, when the timed steps began
        },
        "command": f".venv/bin/python bench/outbox.py --db {args.db}",
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "outbox.json"
    merged = json.loads(out.read_text()) if out.exists() else {}
    merged = merged.get("runs", {}) if "runs" in merged else {}
    merged[args.db] = result
    checks = [dict(c, name=f"{db}.{c['name']}") for db, run in sorted(merged.items()) for c in run["checks"]]
    out.write_text(json.dumps({"checks": checks, "runs": merged}, ensure_ascii=False, indent=1) + "\n")
    for c in result["checks"]:
        log(
            f"{'ok ' if c['met'] else 'MISS'} {c['name']}: {c['value']} {c['unit']} ({c['op']} {c['target']})"
        )


if __name__ == "__main__":
    main()
