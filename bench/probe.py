"""A thousand RTSP probes within the probe interval, beside one ffprobe process per camera.

    .venv/bin/python bench/probe.py [--cameras 1000] [--wedged 10] [--concurrency 200] [--timeout 10]

Starts the fake cameras (xiangzhi/monitoring/tests/fakecamera.py) in a process of their own — one asyncio server
answering on ten ports × 100 paths, each good camera streaming ffmpeg's test pattern (H.264 640×360, 10 fps), the
wedged ones accepting the connection and never answering — then probes them all twice:

- **xiangzhi**: `xiangzhi.monitoring.probing.probe_many` (PyAV in a prober process, `--concurrency` probes at once,
  each under `--timeout`);
- **the peer**: what one would write first — one `ffprobe` process per camera, `--peer-concurrency` at once,
  killed at the timeout (a thread pool of `subprocess.run`). At 200 at once it finds no camera up on 2 cores:
  each process spends ~0.1 s of CPU loading FFmpeg's libraries, so every probe reaches its timeout first.

For each it records the wall time, the CPU used by the prober (this process and its children) and by the fake
cameras, and whether every good camera was found up and every wedged one down. Writes bench/results/probe.json.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
sys.path.insert(0, str(ROOT))

INTERVAL_S = 60.0  # the probe interval the run must fit in
CPU_TARGET_S = 15.0  # a quarter of one core over that interval


def cpu_self_and_children() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_cameras(good: int, wedged: int, tmp: Path) -> tuple[subprocess.Popen, list[tuple[str, str]]]:
    urls_file = tmp / "urls.txt"
    command = [sys.executable, "-m", "xiangzhi.monitoring.tests.fakecamera", "--good", str(good)]
    command += ["--wedged", str(wedged), "--paths-per-port", "100", "--urls", str(urls_file)]
    server = subprocess.Popen(command, cwd=ROOT, env=os.environ | {"PYTHONPATH": str(ROOT)})
    for _ in range(600):
        if urls_file.exists():
            break
        time.sleep(0.1)
    lines = [line.split() for line in urls_file.read_text().splitlines()]
    # wedged ones spread through the list, as dead cameras are among live ones
    goods, wedgeds = [u for m, u in lines if m == "good"], [u for m, u in lines if m == "wedged"]
    step = max(1, len(goods) // max(1, len(wedgeds)))
    mixed: list[tuple[str, str]] = []
    for i, url in enumerate(goods):
        if i % step == 0 and wedgeds:
            mixed.append(("wedged", wedgeds.pop()))
        mixed.append(("good", url))
    mixed += [("wedged", u) for u in wedgeds]
    return server, mixed


def run_xiangzhi(urls: list[str], concurrency: int, timeout: float) -> tuple[dict[str, bool], list[float]]:
    from xiangzhi.monitoring.probing import probe_many

    ok, at = {}, []
    started = time.monotonic()
    for url, result in probe_many(urls, concurrency=concurrency, timeout=timeout):
        ok[url] = result.ok
        at.append(time.monotonic() - started)
    return ok, at


def run_ffprobe(urls: list[str], concurrency: int, timeout: float) -> tuple[dict[str, bool], list[float]]:
    def one(url: str) -> tuple[str, bool]:
        command = [
            "ffprobe", "-v", "error", "-rtsp_transport", "tcp",
            "-analyzeduration", "0", "-probesize", "32", "-select_streams", "v:0", "-read_intervals", "%+#1",
            "-show_entries", "stream=codec_name,width,height", "-of", "json", url,
        ]  # fmt: skip
        try:  # killed at the timeout
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return url, False
        streams = json.loads(done.stdout or b"{}").get("streams", [])
        return url, done.returncode == 0 and bool(streams) and streams[0].get("width", 0) > 0

    started, ok, at = time.monotonic(), {}, []
    with ThreadPoolExecutor(concurrency) as pool:
        for future in as_completed([pool.submit(one, u) for u in urls]):
            url, good = future.result()
            ok[url] = good
            at.append(time.monotonic() - started)
    return ok, at


def measure(name, runner, cameras, server, concurrency, timeout, log) -> dict:
    urls = [u for _, u in cameras]
    cpu0, camera_cpu0, started = cpu_self_and_children(), cpu_of(server.pid), time.monotonic()
    ok, at = runner(urls, concurrency, timeout)
    wall = time.monotonic() - started
    cpu, camera_cpu = cpu_self_and_children() - cpu0, cpu_of(server.pid) - camera_cpu0
    good = [u for m, u in cameras if m == "good"]
    wedged = [u for m, u in cameras if m == "wedged"]
    figures = {
        "probes": len(urls),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "cpu_ms_per_probe": round(cpu / len(urls) * 1000, 1),
        "fake_cameras_cpu_s": round(camera_cpu, 2),
        "good_found_up": sum(ok.get(u, False) for u in good),
        "good": len(good),
        "wedged_found_down": sum(not ok.get(u, True) for u in wedged),
        "wedged": len(wedged),
        "answered": len(ok),
        "half_answered_after_s": round(sorted(at)[len(at) // 2], 2) if at else None,
        "concurrency": concurrency,
        "timeout_s": timeout,
    }
    log(f"{name}: {json.dumps(figures)}")
    return figures


def checks(results: dict) -> list[dict]:
    ours, peer = results["xiangzhi"], results.get("ffprobe_per_camera")

    def check(name, value, op, target, unit):
        met = value <= target if op == "<=" else value >= target
        return {"name": name, "value": value, "op": op, "target": target, "unit": unit, "met": met}

    out = [
        check("probes.wall", ours["wall_s"], "<=", INTERVAL_S, "s"),
        check("probes.cpu", ours["cpu_s"], "<=", CPU_TARGET_S, "s"),
        check("probes.good_found_up", round(ours["good_found_up"] / ours["good"], 4), ">=", 1.0, "ratio"),
        check("probes.wedged_found_down", round(ours["wedged_found_down"] / max(1, ours["wedged"]), 4), ">=", 1.0,
              "ratio"),
        check("probes.answered", round(ours["answered"] / ours["probes"], 4), ">=", 1.0, "ratio"),
    ]  # fmt: skip
    if peer:
        out.append(
            check("probes.cpu_vs_ffprobe_per_camera", round(peer["cpu_s"] / ours["cpu_s"], 1), ">=", 2.0, "x")
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cameras", type=int, default=1000, help="probes in all, wedged ones included")
    parser.add_argument("--wedged", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument(
        "--peer-concurrency",
        type=int,
        default=16,
        help="ffprobe processes at once (200 starve 2 cores: none answers)",
    )
    parser.add_argument("--no-peer", action="store_true", help="skip the ffprobe-per-camera run")
    parser.add_argument("--out", default=str(RESULTS / "probe.json"))
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)

    def log(line: str) -> None:
        print(line, flush=True)

    results: dict = {
        "benchmark": "1,000 RTSP probes (a few wedged cameras among them) within the probe interval, "
        "vs one ffprobe process per camera",
        "date": datetime.date.today().isoformat(),
        "command": " ".join(["bench/probe.py", *sys.argv[1:]]),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "targets": {"wall_s": INTERVAL_S, "cpu_s": CPU_TARGET_S},
    }
    with tempfile.TemporaryDirectory() as tmp:
        server, cameras = start_cameras(args.cameras - args.wedged, args.wedged, Path(tmp))
        try:
            results["xiangzhi"] = measure(
                "xiangzhi", run_xiangzhi, cameras, server, args.concurrency, args.timeout, log
            )
            if not args.no_peer:
                results["ffprobe_per_camera"] = measure(
                    "ffprobe per camera",
                    run_ffprobe,
                    cameras,
                    server,
                    args.peer_concurrency,
                    args.timeout,
                    log,
                )
        finally:
            server.kill()
            server.wait()
    results = {"checks": checks(results)} | results
    RESULTS.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n")
    for c in results["checks"]:
        log(
            f"{'ok  ' if c['met'] else 'MISS'} {c['name']}: {c['value']} {c['unit']} ({c['op']} {c['target']})"
        )
    log(f"written to {args.out}")


if __name__ == "__main__":
    main()
