"""RTSP health probes and snapshots: is the camera's stream alive (codec, size), and one frame of it as a JPEG.

The work is done by PyAV (FFmpeg's libraries) in a **prober process** — `python -m xiangzhi.monitoring.probing`
— that reads requests as JSON lines on stdin and answers on stdout, many at once on a thread pool. This module's
functions run it and keep the promise a duty officer depends on: *a wedged camera never hangs a worker*.

- Each request carries its own timeout, which PyAV enforces (an interrupt callback, and FFmpeg's socket timeout).
- Should a call get stuck in C code anyway, the parent does not wait: at timeout + GRACE it reports the probe as
  failed, sends the child's later work to a fresh child, and kills the stuck one when its other probes are done.
  A thread cannot be killed; a process can.
- A child that dies (a decoder crash on a camera's broken bitstream) fails no camera but the one: its other
  probes are sent once more to a fresh child.
- URLs (with the camera's credentials) go through a pipe, never on a command line, where `ps` would show them,
  and a detail never repeats the URL.

Why not one `ffprobe` process per probe, killed at its timeout (as robust)? Loading FFmpeg's 200-odd shared
libraries costs each process about 0.1 s of CPU: a thousand cameras would take ~100 s of CPU a minute on a
2-core machine, against about 6 s here (bench/probe.py measures both side by side).
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction
from typing import IO, Any

DEFAULT_TIMEOUT = 10.0
DEFAULT_CONCURRENCY = 200
GRACE = 2.0  # beyond a probe's own timeout, before the parent gives up on it and recycles its process
MAX_SNAPSHOT_SIDE = 1280  # longer side of a snapshot; a 4K frame is shrunk to this first
SNAPSHOT_LADDER = ((MAX_SNAPSHOT_SIDE, 3), (MAX_SNAPSHOT_SIDE, 8), (960, 12), (640, 16), (320, 24))


@dataclasses.dataclass(frozen=True)
class ProbeResult:
    ok: bool
    detail: str
    codec: str = ""
    width: int = 0
    height: int = 0
    elapsed: float = 0.0


class SnapshotError(Exception):
    """The camera gave no frame (the message says why, without the URL)."""


# ------------------------------------------------------------------------------------------------ the parent


@dataclasses.dataclass
class _Job:
    key: int
    request: dict[str, Any]
    started: float = 0.0
    attempt: int = 1
    done: bool = False

    @property
    def deadline(self) -> float:
        return self.started + self.request["timeout"] + GRACE


PROBER_COMMAND = [sys.executable, "-m", "xiangzhi.monitoring.probing"]


class _Child:
    def __init__(self, events: queue.Queue, threads: int):
        self.proc = subprocess.Popen(  # noqa: S603 - our own module under this Python; the URLs go by pipe
            [*PROBER_COMMAND, "--threads", str(threads)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            bufsize=1,
            start_new_session=True,  # a ^C to the worker is the worker's to handle; the child goes with it
        )
        self.inflight: dict[int, _Job] = {}
        self.retiring = False
        self.killed = False
        threading.Thread(target=self._read, args=(events,), daemon=True).start()

    def _read(self, events: queue.Queue) -> None:
        assert self.proc.stdout
        for line in self.proc.stdout:
            with contextlib.suppress(ValueError):
                events.put((self, json.loads(line)))
        self.proc.wait()
        events.put((self, None))

    def send(self, job: _Job) -> None:
        assert self.proc.stdin
        job.started = time.monotonic()
        self.inflight[job.key] = job
        with contextlib.suppress(OSError):  # a dead child: its exit event fails or resends the job
            self.proc.stdin.write(json.dumps({"id": job.key, **job.request}) + "\n")
            self.proc.stdin.flush()

    def kill(self) -> None:
        self.killed = True
        with contextlib.suppress(OSError):
            self.proc.kill()


def _run(requests: Iterable[dict[str, Any]], concurrency: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """Run requests on prober processes, at most `concurrency` at once; yield (index, answer) as they come."""
    events: queue.Queue = queue.Queue()
    pending = deque(_Job(i, r) for i, r in enumerate(requests))
    children: list[_Child] = []
    current: _Child | None = None
    try:
        while pending or any(j for c in children for j in c.inflight.values() if not j.done):
            while pending and sum(len(c.inflight) for c in children if not c.retiring) < concurrency:
                if current is None or current.retiring or current.proc.poll() is not None:
                    current = _Child(events, concurrency)
                    children.append(current)
                current.send(pending.popleft())
            waits = [j.deadline for c in children for j in c.inflight.values() if not j.done]
            try:
                child, answer = events.get(
                    timeout=max(0.0, min(waits, default=time.monotonic() + 1) - time.monotonic())
                )
            except queue.Empty:
                child, answer = None, None
            if child is not None and answer is not None:
                job = child.inflight.pop(answer["id"], None)
                if job and not job.done:
                    job.done = True
                    yield job.key, answer
            elif child is not None:  # the child exited
                for job in [j for j in child.inflight.values() if not j.done]:
                    if job.attempt == 1 and not child.killed:
                        job.attempt = 2
                        pending.appendleft(job)
                    else:
                        job.done = True
                        crashed = {"ok": False, "detail": "the prober crashed on this stream"}
                        yield job.key, crashed | {"elapsed": round(time.monotonic() - job.started, 3)}
                child.inflight.clear()
                children.remove(child)
            now = time.monotonic()
            for c in children:
                for job in c.inflight.values():
                    if not job.done and now > job.deadline:
                        job.done = True
                        c.retiring = True  # a call is stuck in C: new work goes to a fresh child
                        timeout = job.request["timeout"]
                        hung = {"ok": False, "detail": f"no answer within {timeout:g} s (hung)"}
                        yield job.key, hung | {"elapsed": round(now - job.started, 3)}
                if c.retiring and all(j.done for j in c.inflight.values()) and not c.killed:
                    c.kill()
    finally:
        for c in children:
            c.kill()
        for c in children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                c.proc.wait(5)


def probe_many(
    urls: Iterable[str], *, concurrency: int = DEFAULT_CONCURRENCY, timeout: float = DEFAULT_TIMEOUT
) -> Iterator[tuple[str, ProbeResult]]:
    """Probe every URL, `concurrency` at a time, each within `timeout` seconds; yields (url, result) in the
    order they finish, so a slow camera holds back only itself."""
    urls = list(urls)
    requests = ({"op": "probe", "url": url, "timeout": float(timeout)} for url in urls)
    for i, answer in _run(requests, concurrency):
        yield urls[i], ProbeResult(**{k: answer[k] for k in answer if k in _FIELDS})


_FIELDS = {f.name for f in dataclasses.fields(ProbeResult)}


def probe(url: str, timeout: float = DEFAULT_TIMEOUT) -> ProbeResult:
    """Whether the camera at `url` streams video: codec and frame size when it does, why not when it does not."""
    return next(probe_many([url], concurrency=1, timeout=timeout))[1]


def snapshot(url: str, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = 500_000) -> bytes:
    """One frame of the camera's stream as a JPEG of at most `max_bytes` (shrunk to MAX_SNAPSHOT_SIDE, and
    further or coarser while it is too big). Raises SnapshotError."""
    request = {"op": "snapshot", "url": url, "timeout": float(timeout), "max_bytes": int(max_bytes)}
    _, answer = next(_run([request], 1))
    if not answer["ok"]:
        raise SnapshotError(answer["detail"])
    return base64.b64decode(answer["jpeg"])


def jpeg_size(jpeg: bytes) -> tuple[int | None, int | None]:
    """(width, height) from a JPEG's start-of-frame marker; (None, None) when there is none."""
    i = 2
    while i + 9 <= len(jpeg) and jpeg[i] == 0xFF:
        marker, length = jpeg[i + 1], int.from_bytes(jpeg[i + 2 : i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return int.from_bytes(jpeg[i + 7 : i + 9], "big"), int.from_bytes(jpeg[i + 5 : i + 7], "big")
        i += 2 + length
    return None, None


# ------------------------------------------------------------------------------------------------ the child


def _detail(error: Exception, elapsed: float, timeout: float, url: str, opened: bool) -> str:
    import av

    if isinstance(error, av.ExitError) or (isinstance(error, av.FFmpegError) and elapsed >= timeout * 0.6):
        return f"no video within {timeout:g} s" if opened else f"no answer within {timeout:g} s"
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, av.HTTPUnauthorizedError | av.HTTPForbiddenError | PermissionError):
        return "the camera refused the credentials (401 Unauthorized)"
    if isinstance(error, av.InvalidDataError):
        return "not an RTSP stream (invalid data in the answer)"
    if isinstance(error, av.FFmpegError):
        message = error.strerror or type(error).__name__
    else:
        message = f"{type(error).__name__}: {error}"
    return str(message).replace(url, "<url>")


def _open(url: str, timeout: float):
    import av

    # Two thirds of the time to connect and be answered, a third for the first video to arrive (each read gets
    # that much; the loops below also stop at the deadline): a probe never runs much past its timeout.
    opening, reading = timeout * 2 / 3, timeout / 3
    options = {"rtsp_transport": "tcp", "timeout": str(int(opening * 1_000_000))}
    options |= {"analyzeduration": "0", "probesize": "32"}  # the SDP has the parameter sets; no need to wait
    return av.open(url, options=options, timeout=(opening, reading))


def _probe_here(url: str, timeout: float) -> dict[str, Any]:
    started, opened = time.monotonic(), False
    try:
        with _open(url, timeout) as container:
            opened = True
            if not container.streams.video:
                return {"ok": False, "detail": "no video stream in the camera's answer"}
            stream = container.streams.video[0]
            for packet in container.demux(stream):
                if time.monotonic() > started + timeout:
                    return {"ok": False, "detail": f"no video within {timeout:g} s"}
                if packet.size:  # a packet of video arrived: the stream is alive
                    ctx = stream.codec_context
                    return {
                        "ok": True,
                        "detail": "",
                        "codec": ctx.name,
                        "width": ctx.width,
                        "height": ctx.height,
                    }
            return {"ok": False, "detail": "the stream ended before any video"}
    except Exception as error:
        return {"ok": False, "detail": _detail(error, time.monotonic() - started, timeout, url, opened)}


def _jpeg(frame, side: int, quality: int) -> bytes:
    import av

    scale = min(1.0, side / max(frame.width, frame.height))
    width, height = max(2, int(frame.width * scale) // 2 * 2), max(2, int(frame.height * scale) // 2 * 2)
    ctx = av.CodecContext.create("mjpeg", "w")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuvj420p"
    ctx.time_base = Fraction(1, 25)
    ctx.qmin = ctx.qmax = quality
    packets = ctx.encode(frame.reformat(width=width, height=height, format="yuvj420p"))
    packets += ctx.encode(None)
    return b"".join(bytes(p) for p in packets)


def _snapshot_here(url: str, timeout: float, max_bytes: int) -> dict[str, Any]:
    started, opened = time.monotonic(), False
    try:
        with _open(url, timeout) as container:
            opened = True
            if not container.streams.video:
                return {"ok": False, "detail": "no video stream in the camera's answer"}
            stream = container.streams.video[0]
            for frame in container.decode(stream):
                for side, quality in SNAPSHOT_LADDER:
                    jpeg = _jpeg(frame, side, quality)
                    if len(jpeg) <= max_bytes:
                        return {"ok": True, "detail": "", "jpeg": base64.b64encode(jpeg).decode()}
                return {"ok": False, "detail": f"even a small frame is over {max_bytes} bytes"}
            return {"ok": False, "detail": "the stream ended before any video"}
    except Exception as error:
        return {"ok": False, "detail": _detail(error, time.monotonic() - started, timeout, url, opened)}


def _serve(threads: int, stdin: IO[str], stdout: IO[str]) -> ThreadPoolExecutor:
    """The prober process: requests on stdin, answers on stdout, `threads` at once. Returns at the end of stdin
    with the pool, whose threads the caller need not wait for."""
    lock = threading.Lock()

    def handle(request: dict[str, Any]) -> None:
        if request["op"] == "snapshot":
            answer = _snapshot_here(request["url"], request["timeout"], request["max_bytes"])
        else:
            started = time.monotonic()
            answer = _probe_here(request["url"], request["timeout"])
            answer["elapsed"] = round(time.monotonic() - started, 3)
        with lock:
            stdout.write(json.dumps({"id": request["id"], **answer}) + "\n")
            stdout.flush()

    pool = ThreadPoolExecutor(max_workers=threads)
    for line in stdin:
        pool.submit(handle, json.loads(line))
    return pool


if __name__ == "__main__":  # pragma: no cover - the prober process; the tests call _serve in-process
    _serve(
        int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 16,
        sys.stdin,
        sys.stdout,
    )
    os._exit(0)  # stdin closed: the parent is gone or done; threads stuck in C are not waited for
