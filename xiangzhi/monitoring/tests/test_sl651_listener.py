"""The SL 651 centre station: frames cut from streams, and the listener over real TCP sockets on a free port."""

import asyncio
import datetime as dt
import io
import socket
import threading
import time
from decimal import Decimal

from django.core.management import call_command

from xiangzhi.monitoring.sl651 import codec
from xiangzhi.monitoring.sl651.listener import FrameBuffer, Listener, MemoryHandler

from .test_sl651_codec import PUBLISHED_2F, PUBLISHED_32, PUBLISHED_33

NOW = dt.datetime(2026, 7, 16, 8, 31, 0, tzinfo=codec.BEIJING)
F32, F33, F2F = bytes.fromhex(PUBLISHED_32), bytes.fromhex(PUBLISHED_33), bytes.fromhex(PUBLISHED_2F)


def report(station="0061000001", level="354.270", serial=1, function=0x32, end=codec.ETX) -> bytes:
    body = codec.encode_report_body(
        serial=serial,
        sent_at=NOW,
        station=station,
        station_type=codec.StationType.RESERVOIR,
        observed_at=NOW.replace(second=0),
        values=[("ZU", level), ("P1", "2.5"), ("VT", "12.60")],
    )
    return codec.encode_frame(
        centre=1, station=station, password=0x1234, function=function, body=body, end=end
    )


def ack_for(frame: bytes, serial: int, end=codec.EOT) -> bytes:
    return codec.encode_ack(codec.decode_frame(frame), serial=serial, now=NOW, end=end)


# --- cutting frames out of a stream --------------------------------------------------------------------------


def functions(items: list[codec.Frame | codec.FrameError]) -> list[int]:
    return [item.function if isinstance(item, codec.Frame) else -1 for item in items]


def test_garbage_before_the_start_is_skipped():
    frames = FrameBuffer()
    got = frames.feed(b"AT+OK\r\n\x7e\x00" + F32)
    assert functions(got) == [0x32]
    assert frames.skipped == 9 and not frames.pending


def test_two_frames_in_one_read_and_one_frame_across_many():
    frames = FrameBuffer()
    assert functions(frames.feed(F32 + F33)) == [0x32, 0x33]
    got = []
    for i in range(len(F2F)):
        got += frames.feed(F2F[i : i + 1])  # one byte at a time, a 7E split from its twin included
    assert functions(got) == [0x2F]


def test_a_bad_frame_is_reported_and_the_next_one_still_found():
    damaged = bytearray(F32)
    damaged[20] ^= 0xFF
    got = FrameBuffer().feed(bytes(damaged) + F33)
    assert isinstance(got[0], codec.FrameError) and got[0].reason == "crc"
    assert functions(got[1:]) == [0x33]


# --- over TCP ------------------------------------------------------------------------------------------------


async def exchange(port: int, data: bytes, *, expect: int, timeout: float = 2.0) -> bytes:
    """Send `data`, read until `expect` bytes came back (or the timeout), close."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    got = b""
    try:
        while len(got) < expect:
            chunk = await asyncio.wait_for(reader.read(4096), timeout)
            if not chunk:
                break
            got += chunk
    except TimeoutError:
        pass
    writer.close()
    await writer.wait_closed()
    return got


def run(scenario, handler=None, **options):
    handler = handler or MemoryHandler()

    async def main():
        listener = Listener(handler, clock=lambda: NOW, **options)
        await listener.start("127.0.0.1", 0)
        try:
            return await scenario(listener), listener, handler
        finally:
            await listener.close()

    return asyncio.run(main())


def test_timed_report_is_stored_and_confirmed_over_tcp():
    frame = report(level="354.270", serial=9)

    async def scenario(listener):
        return await exchange(listener.port, frame, expect=len(ack_for(frame, 9)))

    answer, listener, handler = run(scenario)
    assert answer == ack_for(frame, 9)
    assert answer.hex().upper().startswith("7E7E006100000101123432800802000926071608310004")
    station, function, observed_at, observations = handler.reports[0]
    assert (station, function, observed_at) == ("0061000001", 0x32, NOW.replace(second=0))
    assert [(o.element, o.value) for o in observations] == [
        ("ZU", Decimal("354.270")),
        ("P1", Decimal("2.5")),
        ("VT", Decimal("12.60")),
    ]
    assert listener.stats["frames_ok"] == 1 and listener.stats["frames_bad"] == 0


def test_two_frames_in_one_write_get_two_answers_and_keepalives_none():
    async def scenario(listener):
        return await exchange(listener.port, F32 + F2F + F33, expect=2 * 25, timeout=1.0)

    answers, listener, handler = run(scenario)
    assert answers == ack_for(F32, 0x34) + ack_for(F33, 0x26)
    assert [r[1] for r in handler.reports] == [
        0x32,
        0x2F,
        0x33,
    ]  # the keepalive reaches the handler, unanswered
    assert listener.stats["frames_ok"] == 3 and listener.stats["answers"] == 2


def test_etb_is_answered_ack_and_keep_online_esc():
    first, last = report(serial=1, end=codec.ETB), report(serial=2)

    async def scenario(listener):
        return await exchange(listener.port, first + last, expect=50)

    answers, _, _ = run(scenario, keep_online=True)
    assert answers == ack_for(first, 1, codec.ACK) + ack_for(last, 2, codec.ESC)


def test_bad_frames_are_counted_unanswered_and_the_station_may_go_on():
    damaged = bytearray(report(serial=1))
    damaged[-1] ^= 0xFF
    query = codec.encode_frame(
        centre=1, station="0061000001", password=0, function=0x37, body=b"\x00\x01" * 4
    )
    good = report(serial=2)

    async def scenario(listener):
        answers = await exchange(listener.port, bytes(damaged) + query + good, expect=25)
        # the listener is still there for the next station
        again = await exchange(listener.port, report(serial=3), expect=25)
        return answers, again

    (answers, again), listener, handler = run(scenario)
    assert answers == ack_for(good, 2)
    assert again == ack_for(report(serial=3), 3)
    assert listener.stats["frames_bad"] == 2
    assert listener.stats["bad_crc"] == 1 and listener.stats["bad_function"] == 1
    assert len(handler.reports) == 2


def test_a_stalled_half_frame_is_counted_truncated_and_hung_up():
    async def scenario(listener):
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        writer.write(F32[:30])
        await writer.drain()
        closed = await asyncio.wait_for(reader.read(), 2.0)  # the listener hangs up after frame_timeout
        writer.close()
        return closed

    closed, listener, handler = run(scenario, frame_timeout=0.2)
    assert closed == b""
    assert listener.stats["bad_truncated"] == 1 and handler.reports == []


def test_a_handler_failure_is_not_confirmed_and_not_fatal():
    calls = []

    def flaky(station, function, observed_at, observations):
        calls.append(station)
        if len(calls) == 1:
            raise RuntimeError("database away")

    async def scenario(listener):
        first = await exchange(listener.port, report(serial=1), expect=25, timeout=0.5)
        second = await exchange(listener.port, report(serial=1), expect=25)  # the gauge resends
        return first, second

    (first, second), listener, _ = run(scenario, handler=flaky)
    assert first == b"" and second == ack_for(report(serial=1), 1)
    assert listener.stats["handler_errors"] == 1


def test_a_slow_write_for_one_station_does_not_hold_up_another():
    release = threading.Event()
    stored = []

    def handler(station, function, observed_at, observations):
        if station == "0061000001":
            release.wait(5)  # a slow database write
        stored.append(station)

    async def scenario(listener):
        slow = asyncio.create_task(exchange(listener.port, report("0061000001"), expect=25, timeout=5))
        await asyncio.sleep(0.1)
        started = time.monotonic()
        fast = await exchange(listener.port, report("0061000002"), expect=25)
        fast_took = time.monotonic() - started
        release.set()
        return await slow, fast, fast_took

    (slow, fast, fast_took), _, _ = run(scenario, handler=handler)
    assert fast == ack_for(report("0061000002"), 1) and fast_took < 2
    assert slow == ack_for(report("0061000001"), 1)
    assert stored == ["0061000002", "0061000001"]


def test_multi_packet_report_is_joined_and_confirmed_once():
    body = codec.encode_equal_interval_body(
        serial=5,
        sent_at=NOW,
        station="0061000001",
        station_type=codec.StationType.RIVER,
        observed_at=NOW.replace(minute=0, second=0),
        step_minutes=5,
        element="Z",
        values=[f"100.{i:03d}" for i in range(12)],
    )
    halves = [body[:20], body[20:]]
    packets = [
        codec.encode_frame(
            centre=1,
            station="0061000001",
            password=0,
            function=0x31,
            body=part,
            end=codec.ETB if seq == 1 else codec.ETX,
            packet=(2, seq),
        )
        for seq, part in enumerate(halves, start=1)
    ]

    async def scenario(listener):
        missing = await exchange(listener.port, packets[1], expect=25)
        whole = await exchange(listener.port, packets[0] + packets[1], expect=28)
        return missing, whole

    (missing, whole), _, handler = run(scenario)
    nak = codec.decode_frame(missing)
    assert (nak.end, nak.packet_total, nak.packet_seq) == (codec.NAK, 2, 1)  # packet 1 asked for again
    confirmation = codec.decode_frame(whole)
    assert (confirmation.end, confirmation.start, confirmation.packet_seq) == (codec.EOT, codec.SYN, 2)
    assert confirmation.body[:2] == (5).to_bytes(2, "big")
    observations = handler.reports[0][3]
    assert len(observations) == 12 and observations[-1].value == Decimal("100.011")


def test_send_command_prints_a_frame_the_codec_reads(capsys):
    call_command(
        "sl651_send", station="0061000001", level=Decimal("12.345"), rain=Decimal("1.5"), print_only=True
    )
    frame = codec.decode_frame(bytes.fromhex(capsys.readouterr().out.strip()))
    got = codec.decode_body(frame.function, frame.body)
    assert [(o.element, o.value) for o in got.observations] == [
        ("P1", Decimal("1.5")),
        ("Z", Decimal("12.345")),
        ("VT", Decimal("12.60")),
    ]


RECEIVED = MemoryHandler()


def test_the_two_commands_end_to_end(settings, capsys):
    # Given the listener command on a free port, storing into RECEIVED
    settings.XIANGZHI_SL651_HANDLER = "xiangzhi.monitoring.tests.test_sl651_listener.RECEIVED"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = io.StringIO()
    server = threading.Thread(
        target=call_command,
        args=["sl651_listener"],
        kwargs={"host": "127.0.0.1", "port": port, "run_for": 3, "stats_every": 0.5, "stdout": out},
    )
    server.start()
    # When a gauge's report is sent with the send command
    for _ in range(50):
        try:
            call_command("sl651_send", port=port, station="0061000009", level=Decimal("3.210"), serial=77)
            break
        except ConnectionRefusedError:
            time.sleep(0.05)
    server.join()
    # Then it was stored and confirmed, and the listener counted it
    printed = capsys.readouterr().out
    assert "confirmed serial 77, end 04H" in printed
    assert RECEIVED.reports[-1][0] == "0061000009"
    assert ("Z", Decimal("3.210")) in [(o.element, o.value) for o in RECEIVED.reports[-1][3]]
    assert "'frames_ok': 1" in out.getvalue()
