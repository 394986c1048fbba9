"""Fake RTSP cameras for the probe tests and bench/probe.py: good ones streaming ffmpeg's test pattern, and the
broken kinds a duty officer meets (refuses, wedged, 401, garbage).

One asyncio server answers on any number of ports, each with any number of paths (`/cam1`, `/cam2`, …), so a
single process can stand in for a thousand cameras. A good camera speaks just enough RTSP 1.0 for ffmpeg and
real clients: OPTIONS, DESCRIBE (an SDP with the H.264 parameter sets), SETUP over TCP interleaved (UDP is
answered 461 so clients fall back), PLAY, GET_PARAMETER (keep-alive) and TEARDOWN; after PLAY it paces out
RTP packets at the stream's frame rate. The packets are made once: ffmpeg encodes a few seconds of `testsrc`
to an H.264 elementary stream, which is split into NAL units and packetised here (RFC 6184 single NAL units
and FU-A fragments), then looped with running sequence numbers and timestamps.

Why not a real server: ffmpeg cannot serve RTSP to clients, mediamtx is in no package registry, and GStreamer's
RTSP server (Debian's gir1.2-gst-rtsp-server-1.0) would encode one pipeline per client — a thousand cameras
would measure the fake cameras, not the prober — and cannot play the broken kinds.

    python -m xiangzhi.monitoring.tests.fakecamera --good 10 --wedged 1   # prints the URLs, serves until ^C
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import dataclasses
import functools
import logging
import os
import random
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path

GOOD, WEDGED, UNAUTHORIZED, GARBAGE, REFUSED, SILENT_STREAM = (
    "good",
    "wedged",
    "unauthorized",
    "garbage",
    "refused",
    "silent-stream",
)
MTU_PAYLOAD = 1400
SESSION_TIMEOUT = 60


@dataclasses.dataclass(frozen=True)
class Stream:
    """A looped H.264 stream, already cut into RTP payloads: per frame, its payloads (the last one marked)."""

    width: int
    height: int
    fps: int
    sps: bytes
    pps: bytes
    frames: tuple[tuple[bytes, ...], ...]

    @property
    def sdp_fmtp(self) -> str:
        sprop = ",".join(base64.b64encode(n).decode() for n in (self.sps, self.pps))
        return f"packetization-mode=1;profile-level-id={self.sps[1:4].hex().upper()};sprop-parameter-sets={sprop}"


def _nal_units(annexb: bytes) -> list[bytes]:
    units, i = [], 0
    starts = []
    while True:
        i = annexb.find(b"\x00\x00\x01", i)
        if i < 0:
            break
        starts.append(i + 3)
        i += 3
    for n, start in enumerate(starts):
        end = starts[n + 1] - 3 if n + 1 < len(starts) else len(annexb)
        unit = annexb[start:end]
        units.append(unit.rstrip(b"\x00") if n + 1 < len(starts) else unit)
    return [u for u in units if u]


def _payloads(nal: bytes) -> list[bytes]:
    if len(nal) <= MTU_PAYLOAD:
        return [nal]
    header, body = nal[0], nal[1:]
    indicator = (header & 0xE0) | 28  # FU-A
    out = []
    for offset in range(0, len(body), MTU_PAYLOAD):
        chunk = body[offset : offset + MTU_PAYLOAD]
        fu_header = header & 0x1F
        if offset == 0:
            fu_header |= 0x80
        if offset + MTU_PAYLOAD >= len(body):
            fu_header |= 0x40
        out.append(bytes([indicator, fu_header]) + chunk)
    return out


@functools.cache
def test_stream(width: int = 640, height: int = 360, fps: int = 10, seconds: int = 2) -> Stream:
    """ffmpeg's test pattern as H.264 (baseline, one IDR a second, SPS/PPS before each IDR), packetised."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "stream.h264"
        subprocess.run(
            [
                "ffmpeg", "-v", "error", "-nostdin", "-f", "lavfi",
                "-i", f"testsrc=size={width}x{height}:rate={fps}", "-t", str(seconds),
                "-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-g", str(fps), "-bf", "0",
                "-x264-params", "repeat-headers=1:sliced-threads=0", "-threads", "1", "-f", "h264", str(out),
            ],
            check=True,
        )  # fmt: skip
        nals = _nal_units(out.read_bytes())
    sps = next(n for n in nals if n[0] & 0x1F == 7)
    pps = next(n for n in nals if n[0] & 0x1F == 8)
    frames: list[tuple[bytes, ...]] = []
    pending: list[bytes] = []
    for nal in nals:
        pending.extend(_payloads(nal))
        if nal[0] & 0x1F in (1, 5):  # a coded slice ends the access unit (one slice a frame)
            frames.append(tuple(pending))
            pending = []
    return Stream(width, height, fps, sps, pps, tuple(frames))


@dataclasses.dataclass
class Camera:
    mode: str = GOOD
    credentials: tuple[str, str] | None = None  # Basic auth demanded when set


class _Connection:
    def __init__(self, server: FakeCameraServer, port: int, reader, writer):
        self.server, self.port, self.reader, self.writer = server, port, reader, writer
        self.session = f"{random.getrandbits(32):08X}"
        self.streaming: asyncio.Task | None = None

    async def run(self) -> None:
        try:
            while True:
                request = await self._read_request()
                if request is None:
                    return
                method, url, headers = request
                camera = self.server.camera(self.port, url)
                if camera is None:
                    self._reply(headers, 404, "Not Found")
                elif camera.mode == WEDGED:
                    await self.server.forever.wait()  # read, never answer, never close
                elif camera.mode == GARBAGE:
                    self.writer.write(random.Random(len(url)).randbytes(2048))
                    await self.writer.drain()
                    return
                elif method != "OPTIONS" and (
                    camera.mode == UNAUTHORIZED
                    or (camera.credentials and not self._authorized(headers, camera))
                ):
                    self._reply(headers, 401, "Unauthorized", ['WWW-Authenticate: Basic realm="camera"'])
                else:
                    await self._answer(method, url, headers, camera)
                await self.writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            if self.streaming:
                self.streaming.cancel()
            self.writer.close()

    async def _read_request(self):
        while True:
            lead = await self.reader.read(1)
            if not lead:
                return None
            if lead == b"$":  # an interleaved RTCP report from the client: skip it, byte-exact
                _channel, length = struct.unpack("!BH", await self.reader.readexactly(3))
                await self.reader.readexactly(length)
                continue
            first = lead + await self.reader.readline()
            if first.strip():
                break
        method, url, _version = first.decode("latin-1").split(" ", 2)
        headers: dict[str, str] = {}
        while (line := (await self.reader.readline()).decode("latin-1").strip()) != "":
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if int(headers.get("content-length", "0")):
            await self.reader.readexactly(int(headers["content-length"]))
        return method, url, headers

    def _authorized(self, headers: dict[str, str], camera: Camera) -> bool:
        assert camera.credentials
        expected = base64.b64encode(":".join(camera.credentials).encode()).decode()
        return headers.get("authorization", "") == f"Basic {expected}"

    def _reply(self, headers, code: int, reason: str, extra: Iterable[str] = (), body: bytes = b"") -> None:
        lines = [f"RTSP/1.0 {code} {reason}", f"CSeq: {headers.get('cseq', '0')}", *extra]
        if body:
            lines.append(f"Content-Length: {len(body)}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    async def _answer(self, method: str, url: str, headers, camera: Camera) -> None:
        stream = self.server.stream
        base = url.split("?")[0].rstrip("/")
        session = [f"Session: {self.session};timeout={SESSION_TIMEOUT}"]
        if method == "OPTIONS":
            self._reply(
                headers, 200, "OK", ["Public: OPTIONS, DESCRIBE, SETUP, PLAY, GET_PARAMETER, TEARDOWN"]
            )
        elif method == "DESCRIBE":
            sdp = (
                "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=xiangzhi fake camera\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
                "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
                f"a=fmtp:96 {stream.sdp_fmtp}\r\na=control:trackID=0\r\n"
            ).encode()
            extra = [f"Content-Base: {base}/", "Content-Type: application/sdp"]
            self._reply(headers, 200, "OK", extra, sdp)
        elif method == "SETUP":
            transport = headers.get("transport", "")
            if "RTP/AVP/TCP" not in transport:
                self._reply(headers, 461, "Unsupported Transport")
            else:
                self._reply(headers, 200, "OK", ["Transport: RTP/AVP/TCP;unicast;interleaved=0-1", *session])
        elif method == "PLAY":
            self._reply(headers, 200, "OK", [*session, f"RTP-Info: url={base}/trackID=0;seq=0;rtptime=0"])
            if self.streaming is None and camera.mode != SILENT_STREAM:
                self.streaming = asyncio.create_task(self._stream(stream))
        elif method in ("GET_PARAMETER", "SET_PARAMETER", "TEARDOWN"):
            self._reply(headers, 200, "OK", session)
        else:
            self._reply(headers, 405, "Method Not Allowed")

    async def _stream(self, stream: Stream) -> None:
        ssrc = random.getrandbits(32)
        seq, started, tick = 0, time.monotonic(), 90000 // stream.fps
        n = 0
        while not self.writer.is_closing():
            for payloads in stream.frames:
                if self.writer.is_closing():  # the client hung up: stop, don't write into the void
                    return
                for i, payload in enumerate(payloads):
                    marker = 0x80 if i == len(payloads) - 1 else 0
                    rtp = struct.pack(
                        "!BBHII", 0x80, marker | 96, seq & 0xFFFF, (n * tick) & 0xFFFFFFFF, ssrc
                    )
                    self.writer.write(b"$\x00" + struct.pack("!H", len(rtp) + len(payload)) + rtp + payload)
                    seq += 1
                n += 1
                await self.writer.drain()
                delay = started + n / stream.fps - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class FakeCameraServer:
    """Cameras by (port, path). `add(mode)` returns the camera's URL; `start()` serves them on an event loop in
    a daemon thread (tests) — or call `serve()` inside your own loop (bench, CLI)."""

    def __init__(self, *, paths_per_port: int = 100, host: str = "127.0.0.1"):
        self.host = host
        self.paths_per_port = paths_per_port
        self.cameras: dict[int, dict[str, Camera]] = {}
        self.stream = test_stream()
        self._servers: list[asyncio.base_events.Server] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def add(self, mode: str = GOOD, *, credentials: tuple[str, str] | None = None) -> str:
        if mode == REFUSED:  # a port nobody listens on
            return f"rtsp://{self.host}:{free_port()}/cam"
        port = next((p for p, c in self.cameras.items() if len(c) < self.paths_per_port), None)
        if port is None:
            port = free_port()
            self.cameras[port] = {}
        path = f"/cam{sum(len(c) for c in self.cameras.values()) + 1}"
        self.cameras[port][path] = Camera(mode, credentials)
        userinfo = f"{credentials[0]}:{credentials[1]}@" if credentials else ""
        return f"rtsp://{userinfo}{self.host}:{port}{path}"

    def camera(self, port: int, url: str) -> Camera | None:
        path = "/" + url.split("://", 1)[-1].split("/", 1)[-1].split("?")[0]
        cameras = self.cameras.get(port, {})
        for known, camera in cameras.items():
            if path == known or path.startswith(known + "/"):
                return camera
        return None

    async def serve(self) -> None:
        self.forever = asyncio.Event()  # held here: a task waiting on an event nobody holds is collected
        for port in self.cameras:
            server = await asyncio.start_server(
                functools.partial(self._client, port), self.host, port, reuse_address=True, backlog=1024
            )
            self._servers.append(server)

    async def _client(self, port: int, reader, writer) -> None:
        await _Connection(self, port, reader, writer).run()

    def start(self) -> FakeCameraServer:
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.serve())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-cameras", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        if self._loop is None:
            return

        async def close() -> None:
            for server in self._servers:
                server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(10)

    def __enter__(self) -> FakeCameraServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for mode in (GOOD, WEDGED, UNAUTHORIZED, GARBAGE, REFUSED, SILENT_STREAM):
        parser.add_argument(f"--{mode}", type=int, default=0, metavar="N")
    parser.add_argument("--paths-per-port", type=int, default=100)
    parser.add_argument("--urls", help="write the URLs here, one a line: MODE URL (default: print them)")
    args = parser.parse_args()
    server = FakeCameraServer(paths_per_port=args.paths_per_port)
    lines = [f"{mode} {server.add(mode)}" for mode in (GOOD, WEDGED, UNAUTHORIZED, GARBAGE, REFUSED, SILENT_STREAM)
             for _ in range(getattr(args, mode.replace("-", "_")))]  # fmt: skip

    async def run() -> None:
        await server.serve()
        if args.urls:
            Path(args.urls + ".tmp").write_text("\n".join(lines) + "\n")
            os.replace(args.urls + ".tmp", args.urls)  # appears whole, once every port listens
        else:
            print("\n".join(lines), flush=True)
        await asyncio.Event().wait()

    logging.getLogger("asyncio").setLevel(logging.ERROR)  # clients hanging up mid-frame is their right
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
