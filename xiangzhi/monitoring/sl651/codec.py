"""SL 651-2014 (水文监测数据通信规约) frames in HEX/BCD mode: what water-level and rain gauges send, what we answer.

Read from the standard's own text (SL 651-2014 §6.2–6.6, appendices A–C) and checked against frames published by
an independent implementation (yu-xiaoyao/sl651-2014-server, netty-client `Sl651ClientApplication.java`), whose
CRCs this module reproduces (tests/test_sl651_codec.py).

Frame (HEX/BCD, §6.5, tables 20–23), every multi-byte field high byte first:

    7E7E | centre (1) | station (5) | password (2) | function (1) | direction:4 + length:12 (2) | STX (1)
    [packet total:12 + sequence:12 (3), only after SYN] | body (length) | ETX/ETB (1) | CRC (2)

A downlink frame swaps the station and the centre address (station first) and sets the direction nibble to 8
(1000b); it ends with ENQ/ACK/NAK/EOT/ESC. The CRC is CRC-16 with polynomial X^16+X^15+X^2+1 over every byte
before it — the reflected 0xA001 form with initial 0xFFFF (the "Modbus" CRC), as the published frames confirm —
sent high byte first. ASCII mode (SOH 01H, §6.4) is not implemented: the gauges bought for the town speak HEX/BCD.

Body (§6.6.1, table 24): serial number (2 bytes HEX), send time (6 bytes BCD YYMMDDHHmmSS), then groups of
"identifier + data". An identifier is the leading byte of appendix C and a data-definition byte whose high 5 bits
are the data's length in bytes and low 3 bits the decimals (§6.6.3.2, table 26). BCD data starting with FFH is
negative (§6.6.3.3a); data all of F is "no value" (§6.6.4.4d).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum
from typing import NamedTuple
from zoneinfo import ZoneInfo

# Control characters (§6.2.2, table 10).
START = b"\x7e\x7e"  # HEX/BCD frame start
STX = 0x02  # body starts
SYN = 0x16  # body of one packet of several (M3) starts
ETX = 0x03  # end, nothing follows
ETB = 0x17  # end, more frames follow
ENQ = 0x05  # downlink: query
EOT = 0x04  # downlink: transmission over, the station may hang up
ACK = 0x06  # downlink: received, go on
NAK = 0x15  # downlink: resend (M3)
ESC = 0x1B  # downlink: transmission over, the station stays on line (10 minutes)

HEADER_LEN = 13  # start (2) + centre (1) + station (5) + password (2) + function (1) + direction/length (2)
MAX_FRAME = HEADER_LEN + 1 + 0xFFFF + 1 + 2  # the longest length field an M3 packet may carry
UP, DOWN = 0x0, 0x8

# Gauges report Beijing time: the standard's clocks are the station's real-time clock (§6.6.2.5).
BEIJING = ZoneInfo("Asia/Shanghai")


class FunctionCode(IntEnum):
    """Appendix B, table B.1 — the ones a gauge sends on its own."""

    KEEPALIVE = 0x2F  # 链路维持报: no downlink (§6.6.4.2)
    TEST = 0x30  # 测试报: answered, its data belong in a test database, not the readings
    EQUAL_INTERVAL = 0x31  # 均匀时段水文信息报
    TIMED = 0x32  # 遥测站定时报
    EXTRA = 0x33  # 遥测站加报报
    HOURLY = 0x34  # 遥测站小时报


REPORTS = frozenset(FunctionCode)


class StationType(IntEnum):
    """Appendix A, table A.1 (HEX codes)."""

    RAIN = 0x50  # 降水 P
    RIVER = 0x48  # 河道 H
    RESERVOIR = 0x4B  # 水库(湖泊) K
    SLUICE = 0x5A  # 闸坝 Z
    PUMPING = 0x44  # 泵站 D
    TIDAL = 0x54  # 潮汐 T
    SOIL_MOISTURE = 0x4D  # 墒情 M
    GROUNDWATER = 0x47  # 地下水 G
    WATER_QUALITY = 0x51  # 水质 Q
    INTAKE = 0x49  # 取水口 I
    OUTFALL = 0x4F  # 排水口 O


@dataclass(frozen=True)
class Element:
    """One row of appendix C, table C.1: leading byte, the standard's ASCII identifier and N(digits, decimals)."""

    code: int
    name: str
    title: str
    unit: str
    digits: int
    decimals: int

    @property
    def definition(self) -> int:
        """The data-definition byte: bytes (BCD digits, sign included, rounded up) << 3 | decimals."""
        return ((self.digits + 1) // 2) << 3 | self.decimals


# The elements we decode by name — the levels, rainfall and water-quality readings the town's gauges report, and
# the battery. Any other identifier is still read (its length is in its definition byte) and handed on as "XXH".
ELEMENTS: dict[int, Element] = {
    e.code: e
    for e in (
        Element(0x03, "C", "瞬时水温", "°C", 3, 1),
        Element(0x1A, "P1", "1小时时段降水量", "mm", 5, 1),
        Element(0x1F, "PD", "日降水量", "mm", 5, 1),
        Element(0x20, "PJ", "当前降水量", "mm", 5, 1),
        Element(0x22, "PN05", "5分钟时段降水量", "mm", 5, 1),
        Element(0x26, "PT", "降水量累计值", "mm", 6, 1),
        Element(0x38, "VT", "电源电压", "V", 4, 2),
        Element(0x39, "Z", "瞬时河道水位、潮位", "m", 7, 3),
        Element(0x3A, "ZB", "库(闸、站)下水位", "m", 7, 3),
        Element(0x3B, "ZU", "库(闸、站)上水位", "m", 7, 3),
        Element(0x46, "PH", "pH值", "", 4, 2),
        Element(0x47, "DO", "溶解氧", "mg/L", 4, 1),
        Element(0x49, "TURB", "浊度", "度", 3, 0),
        Element(0x4C, "NH4N", "氨氮", "mg/L", 6, 2),
        Element(0x4D, "TP", "总磷", "mg/L", 5, 3),
    )
}
BY_NAME = {e.name: e for e in ELEMENTS.values()}

OBSERVED_AT = 0xF0  # F0F0 观测时间引导符: 5 bytes BCD YYMMDDHHmm
STATION = 0xF1  # F1F1 测站编码引导符: 5 bytes, then the station-type byte (table 24, rows 3–4)
DRP = 0xF4  # 1小时内每5分钟时段雨量: 12 × 1 byte HEX, 0.1 mm, FFH no value
DRZ = range(0xF5, 0xFD)  # DRZ1–8 1小时内5分钟间隔相对水位: 12 × 2 bytes HEX, 0.01 m, FFFFH no value
TIME_STEP = 0x04  # 04H 时间步长码 (definition 18H): 3 bytes BCD d, h, m
EXTENDED = 0xFF  # FFxxH: user-defined, one more identifier byte
FIXED_BLOCKS = {0xF2, 0xF3, 0xFD}  # 人工置数, 图片, 流速批量: the rest of the body (appendix C notes c, d, f)


class FrameError(ValueError):
    """A frame we cannot use; `reason` is the counter it goes under."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class Incomplete(Exception):
    """More bytes are needed before a frame can be told good or bad."""


@dataclass(frozen=True)
class Frame:
    centre: int
    station: str  # the 5-byte address as 10 hex digits (BCD for hydrological stations, §6.2.3.2)
    password: int
    function: int
    direction: int
    start: int
    end: int
    body: bytes
    packet_total: int = 0  # after SYN only
    packet_seq: int = 0

    @property
    def multi_packet(self) -> bool:
        return self.start == SYN


class Observation(NamedTuple):
    """One value: the element's name from table C.1 ("Z", "PJ", … or "XXH"), the value (None: no value), when."""

    element: str
    value: Decimal | None
    at: dt.datetime


@dataclass
class Report:
    serial: int
    sent_at: dt.datetime
    station: str | None = None
    station_type: int | None = None
    observed_at: dt.datetime | None = None
    observations: list[Observation] = field(default_factory=list)


# --- CRC and BCD ---------------------------------------------------------------------------------------------


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


def crc16(data: bytes | bytearray | memoryview) -> int:
    """CRC-16 (X^16+X^15+X^2+1, reflected 0xA001, init 0xFFFF), a byte at a time from a table."""
    crc = 0xFFFF
    for byte in data:
        crc = (crc >> 8) ^ _CRC_TABLE[(crc ^ byte) & 0xFF]
    return crc


def _bcd_digits(data: bytes) -> str:
    digits = data.hex().upper()
    if not digits.isdigit():
        raise FrameError("body", f"not BCD: {digits}")
    return digits


def _bcd_time(data: bytes) -> dt.datetime:
    digits = _bcd_digits(data)
    year, month, day, hour, minute, *rest = (int(digits[i : i + 2]) for i in range(0, len(digits), 2))
    try:
        return dt.datetime(2000 + year, month, day, hour, minute, rest[0] if rest else 0, tzinfo=BEIJING)
    except (TypeError, ValueError) as exc:
        raise FrameError("body", f"bad time {digits}") from exc


def bcd_time(at: dt.datetime, with_seconds: bool = True) -> bytes:
    at = at.astimezone(BEIJING)
    return bytes.fromhex(at.strftime("%y%m%d%H%M%S" if with_seconds else "%y%m%d%H%M"))


def decode_number(data: bytes, decimals: int) -> Decimal | None:
    """BCD with an FFH sign byte (§6.6.3.3a); every nibble F means no value (§6.6.4.4d)."""
    if data and all(b == 0xFF for b in data):
        return None
    negative = data[:1] == b"\xff"
    digits = _bcd_digits(data[1:] if negative else data).lstrip("0") or "0"
    value = Decimal(digits).scaleb(-decimals)
    return -value if negative else value


def encode_number(value: Decimal | int | str, digits: int, decimals: int) -> bytes:
    """N(digits, decimals) as BCD without the point; a negative value gets FFH, or FF0 for an odd digit count."""
    scaled = int(Decimal(value).scaleb(decimals).to_integral_value())
    text = str(abs(scaled))
    if len(text) > digits:
        raise ValueError(f"{value} does not fit N({digits},{decimals})")
    text = text.rjust(digits, "0")
    if scaled < 0:
        return bytes.fromhex(("FF0" if digits % 2 else "FF") + text)
    return bytes.fromhex(text.rjust(digits + digits % 2, "0"))


# --- frames --------------------------------------------------------------------------------------------------


def frame_length(buffer: bytes | bytearray) -> int:
    """The whole frame's length from its header, for a buffer that starts with 7E7E; Incomplete before that."""
    if len(buffer) < HEADER_LEN + 1:
        raise Incomplete
    word = int.from_bytes(buffer[11:13], "big")
    start = buffer[13]
    if start == STX:
        return HEADER_LEN + 1 + (word & 0x0FFF) + 1 + 2
    if start == SYN:
        # Table 22 lets an M3 uplink length run to FFFFH, with the 3 packet bytes counted in it; a downlink one
        # still carries its direction nibble.
        length = word & 0x0FFF if word >> 12 == DOWN else word
        if length < 3:
            raise FrameError("length", "an M3 packet without its packet numbers")
        return HEADER_LEN + 1 + length + 1 + 2
    raise FrameError("start", f"{start:02X}H where STX or SYN belongs")


def parse_frame(buffer: bytes | bytearray) -> tuple[Frame, int]:
    """The frame at the start of `buffer` and its length. Incomplete when it is cut short, FrameError when bad."""
    if buffer[:2] != START[: len(buffer[:2])]:
        raise FrameError("start", "no 7E7E")
    total = frame_length(buffer)
    if len(buffer) < total:
        raise Incomplete
    raw = bytes(buffer[:total])
    if crc16(raw[:-2]) != int.from_bytes(raw[-2:], "big"):
        raise FrameError("crc", f"{crc16(raw[:-2]):04X} computed, {raw[-2:].hex().upper()} sent")
    word = int.from_bytes(raw[11:13], "big")
    direction = word >> 12
    if direction == DOWN:
        station, centre = raw[2:7], raw[7]
    else:
        centre, station = raw[2], raw[3:8]
        direction = UP
    start = raw[13]
    body = raw[14:-3]
    packet_total = packet_seq = 0
    if start == SYN:
        numbers = int.from_bytes(body[:3], "big")
        packet_total, packet_seq = numbers >> 12, numbers & 0x0FFF
        body = body[3:]
        if not 1 <= packet_seq <= packet_total:
            raise FrameError("length", f"packet {packet_seq} of {packet_total}")
    frame = Frame(
        centre=centre,
        station=station.hex().upper(),
        password=int.from_bytes(raw[8:10], "big"),
        function=raw[10],
        direction=direction,
        start=start,
        end=raw[-3],
        body=body,
        packet_total=packet_total,
        packet_seq=packet_seq,
    )
    return frame, total


def decode_frame(data: bytes) -> Frame:
    """One whole frame; a frame cut short is a FrameError("truncated")."""
    try:
        frame, length = parse_frame(data)
    except Incomplete:
        raise FrameError("truncated", f"{len(data)} bytes") from None
    if length != len(data):
        raise FrameError("length", f"{len(data) - length} bytes after the frame")
    return frame


def encode_frame(
    *,
    centre: int,
    station: str,
    password: int,
    function: int,
    body: bytes,
    direction: int = UP,
    end: int = ETX,
    packet: tuple[int, int] | None = None,
) -> bytes:
    """A frame, uplink (centre first) or downlink (station first, direction 8); `packet` = (total, seq) → SYN."""
    address = bytes.fromhex(station)
    if len(address) != 5:
        raise ValueError("a station address is 5 bytes")
    head = address + bytes([centre]) if direction == DOWN else bytes([centre]) + address
    if packet:
        body = (packet[0] << 12 | packet[1]).to_bytes(3, "big") + body
    if len(body) > 0x0FFF:
        raise ValueError("a body of at most 4095 bytes")
    frame = (
        START
        + head
        + password.to_bytes(2, "big")
        + bytes([function])
        + (direction << 12 | len(body)).to_bytes(2, "big")
        + bytes([SYN if packet else STX])
        + body
        + bytes([end])
    )
    return frame + crc16(frame).to_bytes(2, "big")


def encode_ack(frame: Frame, *, serial: int, now: dt.datetime, end: int = EOT) -> bytes:
    """The centre's confirmation (M2, tables 21, 29, 31, 33, 35): the function echoed, serial number, send time.

    The serial number is the station's own (§6.6.2.4: a confirmation carries the uplink's); the send time is the
    centre's clock (§6.6.2.5: the time the frame is sent). An M3 confirmation repeats the packet total with the
    last sequence number (table 23, note a).
    """
    return encode_frame(
        centre=frame.centre,
        station=frame.station,
        password=frame.password,
        function=frame.function,
        body=serial.to_bytes(2, "big") + bcd_time(now),
        direction=DOWN,
        end=end,
        packet=(frame.packet_total, frame.packet_total) if frame.multi_packet else None,
    )


# --- bodies --------------------------------------------------------------------------------------------------


def decode_body(function: int, body: bytes) -> Report:
    """The body of an uplink report (§6.6.4); keepalives carry only the serial number and send time."""
    if len(body) < 8:
        raise FrameError("body", f"{len(body)} bytes, a body starts with 8")
    report = Report(serial=int.from_bytes(body[:2], "big"), sent_at=_bcd_time(body[2:8]))
    at: dt.datetime | None = None
    step: dt.timedelta | None = None
    i = 8
    try:
        while i < len(body):
            lead = body[i]
            if lead == EXTENDED:
                code, definition, i = f"FF{body[i + 1]:02X}H", body[i + 2], i + 3
            else:
                code, definition, i = f"{lead:02X}H", body[i + 1], i + 2
            if lead == STATION and definition == STATION:
                address = body[i : i + 5].hex().upper()
                if report.station not in (None, address):
                    raise FrameError("body", "a body of several stations")
                report.station, report.station_type = address, body[i + 5]
                i += 6
            elif lead == OBSERVED_AT and definition == OBSERVED_AT:
                at = _bcd_time(body[i : i + 5])
                report.observed_at = report.observed_at or at
                i += 5
            elif lead == TIME_STEP:
                d, h, m = (int(_bcd_digits(body[i + k : i + k + 1])) for k in range(3))
                step, i = dt.timedelta(days=d, hours=h, minutes=m), i + 3
            elif lead in FIXED_BLOCKS:
                i = len(body)  # manual data, pictures, flow batches: not readings of ours
            elif lead == DRP or lead in DRZ:
                # 12 five-minute values from the observation time (table 36; appendix C rows 5–13)
                width, scale = (1, 1) if lead == DRP else (2, 2)
                name = "DRP" if lead == DRP else f"DRZ{lead - 0xF4}"
                if at is None:
                    raise FrameError("body", f"{name} before an observation time")
                for k in range(12):
                    raw = body[i + k * width : i + (k + 1) * width]
                    if len(raw) < width:
                        raise FrameError("body", f"{name} cut short")
                    value = (
                        None if raw == b"\xff" * width else Decimal(int.from_bytes(raw, "big")).scaleb(-scale)
                    )
                    report.observations.append(Observation(name, value, at + dt.timedelta(minutes=5 * k)))
                i += 12 * width
            else:
                length, decimals = definition >> 3, definition & 0x07
                element = ELEMENTS.get(lead) if lead != EXTENDED else None
                name = element.name if element else code
                if at is None:
                    raise FrameError("body", f"{name} before an observation time")
                if function == FunctionCode.EQUAL_INTERVAL and step is not None:
                    # one element, then its values at the observation time, + step, + 2 steps, … (§6.6.4.4)
                    values = body[i:]
                    if not length or len(values) % length:
                        raise FrameError("body", f"{len(values)} bytes of {length}-byte values")
                    for k in range(len(values) // length):
                        value = decode_number(values[k * length : (k + 1) * length], decimals)
                        report.observations.append(Observation(name, value, at + k * step))
                    i = len(body)
                else:
                    data = body[i : i + length]
                    if len(data) < length:
                        raise FrameError("body", f"{name} cut short")
                    if lead == 0x45:  # ZT 遥测站状态及报警信息: 4 bytes HEX bits, kept as an integer
                        value = Decimal(int.from_bytes(data, "big"))
                    else:
                        value = decode_number(data, decimals)
                    report.observations.append(Observation(name, value, at))
                    i += length
    except IndexError:
        raise FrameError("body", "cut short") from None
    return report


def encode_report_body(
    *,
    serial: int,
    sent_at: dt.datetime,
    station: str,
    station_type: int,
    observed_at: dt.datetime,
    values: Sequence[tuple[str, Decimal | int | str]],
) -> bytes:
    """A timed/extra/test report's body (tables 28, 32, 34) from (element name, value) pairs."""
    body = serial.to_bytes(2, "big") + bcd_time(sent_at)
    body += bytes([STATION, STATION]) + bytes.fromhex(station) + bytes([station_type])
    body += bytes([OBSERVED_AT, OBSERVED_AT]) + bcd_time(observed_at, with_seconds=False)
    for name, value in values:
        element = BY_NAME[name]
        data = encode_number(value, element.digits, element.decimals)
        body += bytes([element.code, len(data) << 3 | element.decimals]) + data
    return body


def encode_equal_interval_body(
    *,
    serial: int,
    sent_at: dt.datetime,
    station: str,
    station_type: int,
    observed_at: dt.datetime,
    step_minutes: int,
    element: str,
    values: Sequence[Decimal | int | str | None],
) -> bytes:
    """A 31H body (table 30): one element, its values every `step_minutes` from the first observation time."""
    spec = BY_NAME[element]
    length = spec.definition >> 3  # every value the same width (§6.6.4.4d): no room for a sign byte
    body = serial.to_bytes(2, "big") + bcd_time(sent_at)
    body += bytes([STATION, STATION]) + bytes.fromhex(station) + bytes([station_type])
    body += bytes([OBSERVED_AT, OBSERVED_AT]) + bcd_time(observed_at, with_seconds=False)
    days, rest = divmod(step_minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    body += bytes([TIME_STEP, 0x18]) + bytes.fromhex(f"{days:02d}{hours:02d}{minutes:02d}")
    body += bytes([spec.code, spec.definition])
    for value in values:
        if value is not None and Decimal(value) < 0:
            raise ValueError("an equal-interval report carries no negative values")
        body += b"\xff" * length if value is None else encode_number(value, spec.digits, spec.decimals)
    return body


def keepalive_body(*, serial: int, sent_at: dt.datetime) -> bytes:
    return serial.to_bytes(2, "big") + bcd_time(sent_at)
