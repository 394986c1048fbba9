"""The SL 651 centre station over TCP: many gauges at once, frames cut out of each stream, stored, confirmed.

One asyncio task per connection reads bytes, cuts frames (`FrameBuffer`: skips garbage before 7E7E, waits for a
frame cut across reads, takes several out of one read), decodes them and awaits the handler in a thread pool, so a
slow database write holds up only the station whose frame it is. The confirmation goes out after the handler
returns: a gauge that hears nothing resends (M2, §6.3.1.2b, at most twice), and the readings' unique key drops the
second copy, so a write that failed is retried by the gauge itself.

What is answered, per the standard:
- 31H–34H and 30H ending ETX: a confirmation ending EOT (or ESC with `keep_online`, §6.3.2.4); ending ETB (more
  frames follow, figure 1b): ending ACK.
- 2FH keepalive: nothing (§6.6.4.2, "没有下行报文").
- M3 packets (SYN): kept until the last one, then the joined body is decoded and confirmed once with EOT (figure
  1c). A missing packet when the last arrives is asked for again with NAK and its sequence number (table 23).
- A frame with a bad CRC, cut short, with a body we cannot read or a function code we do not take: counted and
  not answered — "中心站接收报文无效，则不响应" (§6.3.1.2b); the gauge resends.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from . import codec
from .codec import Frame, FrameError, Incomplete, Observation

logger = logging.getLogger("xiangzhi.sl651")

# (station address, function code, observation time, observations) — see `codec.Observation`.
Handler = Callable[[str, int, "dt.datetime | None", list[Observation]], None]


class Refused(Exception):
    """A handler's refusal of a good report (a station no point has): counted under `reason`, not confirmed."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class FrameBuffer:
    """Cuts frames out of a byte stream; `feed()` returns good frames and the reasons of bad ones, in order."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.skipped = 0

    @property
    def pending(self) -> bool:
        return bool(self.buffer)

    def feed(self, data: bytes) -> list[Frame | FrameError]:
        self.buffer += data
        out: list[Frame | FrameError] = []
        while self.buffer:
            start = self.buffer.find(codec.START)
            if start == -1:
                # keep a trailing 7E: it may be the first half of the next start
                keep = 1 if self.buffer[-1:] == codec.START[:1] else 0
                self.skipped += len(self.buffer) - keep
                del self.buffer[: len(self.buffer) - keep]
                break
            if start:
                self.skipped += start
                del self.buffer[:start]
            try:
                frame, length = codec.parse_frame(self.buffer)
            except Incomplete:
                break
            except FrameError as exc:
                out.append(exc)
                # the header lied or the bytes are damaged: look for the next start after this one
                del self.buffer[:2]
                continue
            del self.buffer[:length]
            out.append(frame)
        return out


@dataclass
class Packets:
    """An M3 report being put together from its packets."""

    first: Frame
    bodies: dict[int, bytes] = field(default_factory=dict)


class Listener:
    def __init__(
        self,
        handler: Handler,
        *,
        keep_online: bool = False,
        idle_timeout: float = 300.0,
        frame_timeout: float = 30.0,
        workers: int = 8,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.handler = handler
        self.keep_online = keep_online
        self.idle_timeout = idle_timeout  # a gauge keeps alive every 40 s by default (§6.6.4.2)
        self.frame_timeout = frame_timeout  # a frame begun must end within this
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sl651")
        self.clock = clock or (lambda: dt.datetime.now(codec.BEIJING))
        self.stats: Counter[str] = Counter()
        self.server: asyncio.Server | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> asyncio.Server:
        self.server = await asyncio.start_server(self.serve, host, port)
        return self.server

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
        self.executor.shutdown(wait=True)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        self.stats["connections"] += 1
        frames = FrameBuffer()
        packets: dict[tuple[str, int], Packets] = {}
        try:
            while True:
                timeout = self.frame_timeout if frames.pending else self.idle_timeout
                try:
                    data = await asyncio.wait_for(reader.read(4096), timeout)
                except TimeoutError:
                    if frames.pending:
                        self._bad(FrameError("truncated", "the station stalled mid-frame"), peer)
                    else:
                        self.stats["idle_closed"] += 1
                    return
                if not data:
                    if frames.pending:
                        self._bad(FrameError("truncated", "the connection closed mid-frame"), peer)
                    return
                for item in frames.feed(data):
                    if isinstance(item, FrameError):
                        self._bad(item, peer)
                        continue
                    answer = await self.take(item, packets, peer)
                    if answer:
                        writer.write(answer)
                        await asyncio.wait_for(writer.drain(), self.frame_timeout)
                        self.stats["answers"] += 1
        except (ConnectionError, TimeoutError) as exc:
            logger.info("sl651 %s: connection lost (%s)", peer, exc)
        except Exception:
            # one station's trouble never takes the listener down
            self.stats["errors"] += 1
            logger.exception("sl651 %s: unexpected error", peer)
        finally:
            self.stats["bytes_skipped"] += frames.skipped
            writer.close()
            with contextlib.suppress(ConnectionError, TimeoutError):
                await writer.wait_closed()

    def _bad(self, error: FrameError, peer: object) -> None:
        self.stats["frames_bad"] += 1
        self.stats[f"bad_{error.reason}"] += 1
        logger.warning("sl651 %s: bad frame, %s", peer, error)

    async def take(self, frame: Frame, packets: dict[tuple[str, int], Packets], peer: object) -> bytes | None:
        """Decode one good frame, hand it on, and return the answer it gets (None: none)."""
        if frame.direction != codec.UP:
            self._bad(FrameError("direction", "a downlink frame from a station"), peer)
            return None
        if frame.function not in codec.REPORTS:
            self._bad(FrameError("function", f"{frame.function:02X}H"), peer)
            return None
        body = frame.body
        if frame.multi_packet:
            key = (frame.station, frame.function)
            group = packets.setdefault(key, Packets(first=frame))
            group.bodies[frame.packet_seq] = frame.body
            self.stats["packets"] += 1
            if frame.end != codec.ETX and len(group.bodies) < frame.packet_total:
                return None  # ETB: more packets follow, M3 answers once at the end
            missing = [seq for seq in range(1, frame.packet_total + 1) if seq not in group.bodies]
            if missing:
                self.stats["packets_resend"] += 1
                return self._nak(frame, group.first, missing[0])
            del packets[key]
            body = b"".join(group.bodies[seq] for seq in range(1, frame.packet_total + 1))
        try:
            report = codec.decode_body(frame.function, body)
        except FrameError as exc:
            self._bad(exc, peer)
            return None
        observations = [] if frame.function == codec.FunctionCode.TEST else report.observations
        station = report.station or frame.station
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(
                self.executor, self.handler, station, frame.function, report.observed_at, observations
            )
        except Refused as exc:
            self.stats[f"refused_{exc.reason}"] += 1
            logger.warning("sl651 %s: report of %s refused, %s", peer, station, exc)
            return None
        except Exception:
            # not confirmed: the gauge sends it again
            self.stats["handler_errors"] += 1
            logger.exception("sl651 %s: could not store the report of %s", peer, station)
            return None
        self.stats["frames_ok"] += 1
        self.stats[f"function_{frame.function:02X}"] += 1
        self.stats["observations"] += len(observations)
        if frame.function == codec.FunctionCode.KEEPALIVE:
            return None
        if frame.end == codec.ETB and not frame.multi_packet:
            end = codec.ACK
        else:
            end = codec.ESC if self.keep_online else codec.EOT
        return codec.encode_ack(frame, serial=report.serial, now=self.clock(), end=end)

    def _nak(self, frame: Frame, first: Frame, seq: int) -> bytes:
        # the serial number travels in the first packet only (§6.6.2.4); 0 when that is the one missing
        serial = first.body[:2] if first.packet_seq == 1 else b"\x00\x00"
        return codec.encode_frame(
            centre=frame.centre,
            station=frame.station,
            password=frame.password,
            function=frame.function,
            body=serial + codec.bcd_time(self.clock()),
            direction=codec.DOWN,
            end=codec.NAK,
            packet=(frame.packet_total, seq),
        )


class MemoryHandler:
    """Keeps what it is handed, for tests and for running the listener without the monitoring tables."""

    def __init__(self) -> None:
        self.reports: list[tuple[str, int, dt.datetime | None, list[Observation]]] = []

    def __call__(
        self, station: str, function: int, observed_at: dt.datetime | None, observations: list[Observation]
    ) -> None:
        self.reports.append((station, function, observed_at, list(observations)))
