"""Telemetry in at a town's load: readings and heartbeats published to Mosquitto, stored by the subscriber.

    .venv/bin/python bench/ingest.py [--db sqlite|postgres|both] [--messages 40000] [--steady-seconds 60]

For each database, in a fresh database of its own (bench/results/ingest.sqlite3; PostgreSQL xiangzhi_bench_ingest),
a town with 1,000 points, and `manage.py mqtt_subscriber` started as its own process (as `make run` starts it):
  1. burst: N reading messages from 100 gauges, each a `mosquitto_pub -l` publishing its lines at QoS 1 as fast
     as it can, plus 5 % sent twice and 0.5 % malformed — the rate is messages handled per second from the first
     publish to the last reading stored; no loss means: every distinct reading is in the table and the
     subscriber's count of messages received equals those stored plus those it refused;
  2. steady: 1,000 cameras heartbeating every 30 s, spread evenly, for the given time — the subscriber's CPU time
     over wall time (psutil) is the share of one core it uses;
  3. HTTP: signed batches of 100 readings posted to the endpoint in-process (Django's test client: the view,
     the signature check and the storing, without a web server's own cost).
The peer a town would otherwise use is the IoT platform's own ingest (ThingsBoard, EMQX rules); none of them runs
here, so the figures stand against the issue's targets. Writes bench/results/ingest.json.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_SERVER = "postgres://postgres:postgres@127.0.0.1:5432"
BENCH_FIELD_KEY = "xiangzhi-bench-only-field-key-not-a-secret"
POINTS = 1000
BURST_GAUGES = 100
TARGET_RATE = 2000.0  # messages per second, sustained
TARGET_STEADY_CPU = 25.0  # % of one core for 1,000 cameras heartbeating every 30 s


def database_url(db: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{RESULTS / 'ingest.sqlite3'}"
    return f"{PG_SERVER}/xiangzhi_bench_ingest"


def fresh_database(db: str) -> None:
    if db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{RESULTS / 'ingest.sqlite3'}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS xiangzhi_bench_ingest WITH (FORCE)")
        conn.execute("CREATE DATABASE xiangzhi_bench_ingest")


def child_env(db: str) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(db),
        DJANGO_SETTINGS_MODULE="xiangzhi.config.settings.dev",
        XIANGZHI_FIELD_KEY=BENCH_FIELD_KEY,
        XIANGZHI_VAR_DIR=str(RESULTS / "ingest-var"),
        PYTHONPATH=str(ROOT),
    )
    return env


def start_broker() -> tuple[subprocess.Popen, int]:
    """Mosquitto with the configuration a town uses (xiangzhi/config/mosquitto.conf), on a free port."""
    import shutil
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = (
        (ROOT / "xiangzhi" / "config" / "mosquitto.conf")
        .read_text()
        .replace("listener 1883", f"listener {port}")
    )
    path = RESULTS / "ingest-var" / "mosquitto.conf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(conf)
    broker = subprocess.Popen(
        [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            return broker, port
        except OSError:
            time.sleep(0.1)
    broker.kill()
    sys.exit("mosquitto did not start")


def run_one(db: str, messages: int, steady_seconds: int) -> dict:
    """In a child process whose DATABASE_URL is this database's."""
    import django

    django.setup()
    import paho.mqtt.client as mqtt
    import psutil
    from django.core.management import call_command
    from django.test import Client

    from xiangzhi.areas.services import town_create
    from xiangzhi.monitoring.choices import PointCategory, PointKind
    from xiangzhi.monitoring.ingest import sign
    from xiangzhi.monitoring.models import DeviceKey, Point, Reading

    call_command("migrate", verbosity=0)
    town = town_create(name="基准镇")
    Point.objects.bulk_create(
        Point(
            town=town,
            code=f"B{i:04d}",
            name=f"点位{i}",
            kind=PointKind.CAMERA if i % 10 else PointKind.WATER_LEVEL,
            category=PointCategory.RURAL_ROAD,
        )
        for i in range(POINTS)
    )
    points = list(Point.objects.unrestricted("bench").order_by("pk"))
    root = f"bench{uuid.uuid4().hex[:6]}"
    broker, port = start_broker()
    subscriber = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "mqtt_subscriber",
            "--port",
            str(port),
            "--topic-root",
            root,
            "--group",
            root,
            "--seconds",
            "3600",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    process = psutil.Process(subscriber.pid)
    time.sleep(6)  # Django starts, the subscriber connects and subscribes

    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    publisher.max_inflight_messages_set(2000)
    publisher.max_queued_messages_set(0)
    publisher.connect("127.0.0.1", port)
    publisher.loop_start()

    # 1. burst --------------------------------------------------------------------------------------------
    # The devices: one `mosquitto_pub -l` per gauge (Mosquitto's own C client, as light as a gauge's), each
    # publishing its lines (one message a line) at QoS 1 as fast as it can — 100 gauges with 400 readings each,
    # 5 % of them sent twice and 0.5 % malformed, all at once. (A single Python publisher tops out near 1,700
    # messages/s on this machine and would measure itself, not the subscriber.)
    start = datetime.datetime(2026, 7, 1, tzinfo=datetime.UTC)
    gauges = points[:BURST_GAUGES]
    per_gauge = messages // len(gauges)
    streams: dict[str, list[str]] = {}
    for g, point in enumerate(gauges):
        lines = []
        for k in range(per_gauge):
            at = start + datetime.timedelta(minutes=k)
            value = 300 + ((g + k) % 97) / 10
            lines.append(
                json.dumps({"readings": [{"quantity": "water_level", "value": value, "at": at.isoformat()}]})
            )
        lines += lines[::20]  # sent twice
        lines += ["{broken"] * (per_gauge // 200)
        streams[f"{root}/{town.pk}/{point.code}/readings"] = lines
    distinct = per_gauge * len(gauges)
    sent_count = sum(len(lines) for lines in streams.values())
    duplicates_count = sum(per_gauge // 20 + (per_gauge % 20 > 0) for _ in gauges)
    malformed_count = (per_gauge // 200) * len(gauges)
    mosquitto_pub = shutil.which("mosquitto_pub") or "/usr/bin/mosquitto_pub"
    cpu0 = sum(process.cpu_times()[:2])
    t0 = time.perf_counter()
    publishers = []
    for topic, lines in streams.items():
        pub = subprocess.Popen(
            [mosquitto_pub, "-h", "127.0.0.1", "-p", str(port), "-q", "1", "-V", "5", "-t", topic, "-l"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        publishers.append((pub, ("\n".join(lines) + "\n").encode()))
    for pub, data in publishers:
        pub.stdin.write(data)
        pub.stdin.close()
    for pub, _data in publishers:
        pub.wait(300)
    published = time.perf_counter()
    stored = 0
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        stored = Reading.objects.unrestricted("bench").count()
        if stored >= distinct:
            break
        time.sleep(0.05)
    t1 = time.perf_counter()
    burst_cpu = sum(process.cpu_times()[:2]) - cpu0
    sent = range(sent_count)  # counted below as the messages that went out
    messages = distinct
    duplicates = range(duplicates_count)
    malformed = range(malformed_count)
    burst = {
        "messages_sent": len(sent),
        "distinct_readings": messages,
        "duplicates_sent": len(duplicates),
        "malformed_sent": len(malformed),
        "readings_stored": stored,
        "publish_seconds": round(published - t0, 2),
        "seconds": round(t1 - t0, 2),
        "rate_per_s": round(len(sent) / (t1 - t0), 1),
        "subscriber_cpu_seconds": round(burst_cpu, 2),
    }

    # 2. steady heartbeats ---------------------------------------------------------------------------------
    time.sleep(2)
    cameras = [p for p in points if p.kind == PointKind.CAMERA] + [
        p for p in points if p.kind != PointKind.CAMERA
    ]
    interval = 30.0 / len(cameras)
    cpu0 = sum(process.cpu_times()[:2])
    s0 = time.perf_counter()
    heartbeats = 0
    while time.perf_counter() - s0 < steady_seconds:
        point = cameras[heartbeats % len(cameras)]
        publisher.publish(f"{root}/{town.pk}/{point.code}/heartbeat", b"", qos=1)
        heartbeats += 1
        next_at = s0 + heartbeats * interval
        time.sleep(max(0.0, next_at - time.perf_counter()))
    steady_wall = time.perf_counter() - s0
    steady_cpu = sum(process.cpu_times()[:2]) - cpu0
    time.sleep(2)
    publisher.loop_stop()
    subscriber.terminate()
    out, _ = subscriber.communicate(timeout=60)
    broker.terminate()
    found = re.search(r"received (\d+), stored (\d+) messages \((\d+) readings\), refused (\d+)", out)
    received, stored_messages, _offered, refused = (int(g) for g in found.groups()) if found else (0,) * 4
    steady = {
        "points": len(cameras),
        "every_seconds": 30,
        "seconds": round(steady_wall, 1),
        "heartbeats": heartbeats,
        "subscriber_cpu_percent_of_one_core": round(100 * steady_cpu / steady_wall, 1),
    }
    accounting = {
        "received": received,
        "stored_messages": stored_messages,
        "refused": refused,
        "expected_received": len(sent) + heartbeats,
        "no_loss": received == len(sent) + heartbeats
        and stored_messages + refused == received
        and stored == messages,
    }

    # 3. HTTP ----------------------------------------------------------------------------------------------
    gauge = points[0]
    key = DeviceKey.objects.create(town=town, point=gauge, key_id="bench-key", secret="bench-secret")
    client = Client(SERVER_NAME="127.0.0.1")  # an allowed host of the dev settings
    requests, per_request = 200, 100
    h0 = time.perf_counter()
    for r in range(requests):
        body = json.dumps(
            {
                "readings": [
                    {
                        "quantity": "rainfall",
                        "value": 0.5,
                        "at": (start + datetime.timedelta(seconds=r * per_request + i)).isoformat(),
                    }
                    for i in range(per_request)
                ]
            }
        ).encode()
        ts = str(int(time.time()))
        answer = client.post(
            "/api/v1/monitoring/ingest/",
            data=body,
            content_type="application/json",
            headers={"X-Device-Id": key.key_id, "X-Timestamp": ts, "X-Signature": sign(key.secret, ts, body)},
        )
        assert answer.status_code == 202, answer.content
    http_seconds = time.perf_counter() - h0
    http = {
        "requests": requests,
        "readings_per_request": per_request,
        "requests_per_s": round(requests / http_seconds, 1),
        "readings_per_s": round(requests * per_request / http_seconds, 1),
        "stored": Reading.objects.unrestricted("bench").filter(quantity="rainfall").count(),
    }
    return {"burst": burst, "steady": steady, "accounting": accounting, "http": http}


def check(name, value, op, target, unit) -> dict:
    met = value <= target if op == "<=" else value >= target
    return {"name": name, "value": value, "op": op, "target": target, "unit": unit, "met": met}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--messages", type=int, default=40000)
    parser.add_argument("--steady-seconds", type=int, default=60)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print("RESULT " + json.dumps(run_one(args.child, args.messages, args.steady_seconds)))
        return
    RESULTS.mkdir(exist_ok=True)
    started = time.perf_counter()
    databases = {}
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        fresh_database(db)
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                db,
                "--messages",
                str(args.messages),
                "--steady-seconds",
                str(args.steady_seconds),
            ],
            env=child_env(db),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            sys.exit(f"{db} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        databases[db] = json.loads(line[len("RESULT ") :])
        print(db, json.dumps(databases[db], indent=1))
    checks = []
    for db, r in databases.items():
        checks += [
            check(f"{db}.burst.rate", r["burst"]["rate_per_s"], ">=", TARGET_RATE, "messages/s"),
            check(f"{db}.burst.no_loss", int(r["accounting"]["no_loss"]), ">=", 1, "bool"),
            check(
                f"{db}.steady.subscriber_cpu",
                r["steady"]["subscriber_cpu_percent_of_one_core"],
                "<=",
                TARGET_STEADY_CPU,
                "% of one core",
            ),
        ]
    result = {
        "checks": checks,
        "benchmark": "ingest",
        "date": datetime.date.today().isoformat(),
        "command": "python bench/ingest.py " + " ".join(sys.argv[1:]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "broker": "Mosquitto 2 with xiangzhi/config/mosquitto.conf (a free port on 127.0.0.1)",
        "databases": databases,
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    (RESULTS / "ingest.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    for c in checks:
        print(("met   " if c["met"] else "MISSED"), c["name"], c["value"], c["op"], c["target"], c["unit"])


if __name__ == "__main__":
    main()
