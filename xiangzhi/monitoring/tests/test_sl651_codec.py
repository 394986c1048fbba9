"""SL 651-2014 HEX/BCD frames: decoded from published frames, built by hand from the standard's tables."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xiangzhi.monitoring.sl651 import codec

BJ = codec.BEIJING

# Frames a gauge simulator sends, published with an independent implementation: yu-xiaoyao/sl651-2014-server,
# netty-client/src/main/java/me/yuxiaoyao/sl651/client/Sl651ClientApplication.java (INNER_HEX, 2F/32/33/34).
PUBLISHED_2F = "7E7E01001234567812342F0008020003591011155111036BCA"
PUBLISHED_32 = (
    "7E7E05001122334403E832002B020034170718110016F1F1001122334448F0F0170718110020190000402619000040"
    "3923000104903812109903A421"
)
PUBLISHED_33 = (
    "7E7E05001122334403E833002B020026170718102202F1F1001122334448F0F0170718102220190000402619000040"
    "3923000104903812110203F511"
)
PUBLISHED_34 = (
    "7E7E05001122334403E8340068020033170718110014F1F1001122334448F0F01707181005F4600500000014FFFFFFFFFF0000"
    "F0F017071811002619000040F0F01707181005F5C0000C000C001C00310031FFFFFFFFFFFFFFFFFFFF00310031F0F01707181100"
    "39230001049020190000403812109903F502"
)


def at(year, month, day, hour, minute, second=0):
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=BJ)


def values(report):
    return {(o.element, o.at): o.value for o in report.observations}


def test_crc_is_crc16_modbus():
    # the catalogue check value of CRC-16/MODBUS (poly 8005 reflected = A001, init FFFF) over "123456789"
    assert codec.crc16(b"123456789") == 0x4B37
    # and every published frame's last two bytes, high byte first
    for frame in (PUBLISHED_2F, PUBLISHED_32, PUBLISHED_33, PUBLISHED_34):
        raw = bytes.fromhex(frame)
        assert codec.crc16(raw[:-2]).to_bytes(2, "big") == raw[-2:]


def test_decode_published_timed_report():
    frame = codec.decode_frame(bytes.fromhex(PUBLISHED_32))
    assert (frame.centre, frame.station, frame.password, frame.function) == (5, "0011223344", 0x03E8, 0x32)
    assert (frame.direction, frame.start, frame.end) == (codec.UP, codec.STX, codec.ETX)
    report = codec.decode_body(frame.function, frame.body)
    assert report.serial == 0x34
    assert report.sent_at == at(2017, 7, 18, 11, 0, 16)
    assert (report.station, report.station_type) == ("0011223344", codec.StationType.RIVER)
    assert report.observed_at == at(2017, 7, 18, 11, 0)
    assert [(o.element, o.value) for o in report.observations] == [
        ("PJ", Decimal("4.0")),  # 20H 当前降水量
        ("PT", Decimal("4.0")),  # 26H 降水量累计值
        ("Z", Decimal("10.490")),  # 39H 瞬时河道水位
        ("VT", Decimal("10.99")),  # 38H 电源电压
    ]


def test_decode_published_extra_report_and_keepalive():
    frame = codec.decode_frame(bytes.fromhex(PUBLISHED_33))
    report = codec.decode_body(frame.function, frame.body)
    assert frame.function == codec.FunctionCode.EXTRA
    assert values(report)[("VT", at(2017, 7, 18, 10, 22))] == Decimal("11.02")

    keepalive = codec.decode_frame(bytes.fromhex(PUBLISHED_2F))
    assert keepalive.function == codec.FunctionCode.KEEPALIVE
    report = codec.decode_body(keepalive.function, keepalive.body)
    assert (report.serial, report.observations) == (3, [])


def test_decode_published_hourly_report_five_minute_series():
    frame = codec.decode_frame(bytes.fromhex(PUBLISHED_34))
    report = codec.decode_body(frame.function, frame.body)
    got = values(report)
    # F460: twelve 5-minute rainfalls from the first observation time, FFH = no value
    assert got[("DRP", at(2017, 7, 18, 10, 5))] == Decimal("0.5")
    assert got[("DRP", at(2017, 7, 18, 10, 25))] == Decimal("2.0")
    assert got[("DRP", at(2017, 7, 18, 10, 30))] is None
    # F5C0: relative water level, 2 bytes HEX in centimetres
    assert got[("DRZ1", at(2017, 7, 18, 10, 20))] == Decimal("0.49")
    assert got[("Z", at(2017, 7, 18, 11, 0))] == Decimal("10.490")


def test_encoder_reproduces_published_frame_byte_for_byte():
    body = codec.encode_report_body(
        serial=0x34,
        sent_at=at(2017, 7, 18, 11, 0, 16),
        station="0011223344",
        station_type=codec.StationType.RIVER,
        observed_at=at(2017, 7, 18, 11, 0),
        values=[("PJ", "4.0"), ("PT", "4.0"), ("Z", "10.490"), ("VT", "10.99")],
    )
    frame = codec.encode_frame(centre=5, station="0011223344", password=0x03E8, function=0x32, body=body)
    assert frame.hex().upper() == PUBLISHED_32


def hand_built(function: int, elements: bytes, end: int = codec.ETX) -> bytes:
    """A frame assembled field by field from tables 20 and 24, its CRC from the (separately checked) CRC-16."""
    body = (
        bytes.fromhex("0102")  # serial 258
        + bytes.fromhex("260716083015")  # sent 2026-07-16 08:30:15
        + bytes.fromhex("F1F1")
        + bytes.fromhex("0061000001")
        + bytes([0x4B])  # station, type K 水库
        + bytes.fromhex("F0F0")
        + bytes.fromhex("2607160830")  # observed 08:30
        + elements
    )
    head = bytes.fromhex("7E7E") + bytes([0x01]) + bytes.fromhex("0061000001") + bytes.fromhex("0000")
    head += bytes([function]) + len(body).to_bytes(2, "big") + bytes([codec.STX])
    frame = head + body + bytes([end])
    return frame + codec.crc16(frame).to_bytes(2, "big")


@pytest.mark.parametrize("function", [0x32, 0x33])
def test_hand_built_reservoir_level_and_rainfall(function):
    elements = (
        bytes.fromhex("3B23")
        + bytes.fromhex("00354270")  # 3BH ZU 库上水位 N(7,3): 354.270 m
        + bytes.fromhex("1A19")
        + bytes.fromhex("000125")  # 1AH P1 1小时时段降水量 N(5,1): 12.5 mm
        + bytes.fromhex("2619")
        + bytes.fromhex("004310")  # 26H PT 降水量累计值 N(6,1): 431.0 mm
        + bytes.fromhex("3812")
        + bytes.fromhex("1263")  # 38H VT 电源电压 N(4,2): 12.63 V
    )
    frame = codec.decode_frame(hand_built(function, elements))
    report = codec.decode_body(frame.function, frame.body)
    assert report.serial == 258
    assert report.station_type == codec.StationType.RESERVOIR
    assert [(o.element, o.value, o.at) for o in report.observations] == [
        ("ZU", Decimal("354.270"), at(2026, 7, 16, 8, 30)),
        ("P1", Decimal("12.5"), at(2026, 7, 16, 8, 30)),
        ("PT", Decimal("431.0"), at(2026, 7, 16, 8, 30)),
        ("VT", Decimal("12.63"), at(2026, 7, 16, 8, 30)),
    ]


def test_equal_interval_report_values_every_step():
    body = codec.encode_equal_interval_body(
        serial=7,
        sent_at=at(2026, 7, 16, 9, 0, 5),
        station="0061000001",
        station_type=codec.StationType.RIVER,
        observed_at=at(2026, 7, 16, 8, 0),
        step_minutes=15,
        element="Z",
        values=["101.250", "101.260", None, "101.300"],
    )
    # the 31H layout of table 30: … F0F0 time | 04 18 dhm | 39 23 | value | value | FFFFFFFF | value
    assert body.hex().upper().endswith("041800001539230010125000101260FFFFFFFF00101300")
    frame = codec.decode_frame(
        codec.encode_frame(centre=1, station="0061000001", password=0, function=0x31, body=body)
    )
    report = codec.decode_body(frame.function, frame.body)
    assert [(o.element, o.value, o.at) for o in report.observations] == [
        ("Z", Decimal("101.250"), at(2026, 7, 16, 8, 0)),
        ("Z", Decimal("101.260"), at(2026, 7, 16, 8, 15)),
        ("Z", None, at(2026, 7, 16, 8, 30)),
        ("Z", Decimal("101.300"), at(2026, 7, 16, 8, 45)),
    ]


def test_acknowledgement_byte_for_byte():
    frame = codec.decode_frame(bytes.fromhex(PUBLISHED_32))
    ack = codec.encode_ack(frame, serial=0x34, now=at(2017, 7, 18, 11, 0, 20))
    expected = (
        "7E7E"  # start
        "0011223344"  # station first on the way down (table 21)
        "05"  # centre
        "03E8"  # the station's password
        "32"  # function code echoed
        "8008"  # direction 1000b, body 8 bytes
        "02"  # STX
        "0034"  # the station's serial number (§6.6.2.4)
        "170718110020"  # the centre's send time
        "04"  # EOT: done, the station may hang up
        "8D82"  # CRC-16 of all the above
    )
    assert ack.hex().upper() == expected
    assert codec.encode_ack(frame, serial=0x34, now=at(2017, 7, 18, 11, 0, 20), end=codec.ESC)[-3] == 0x1B


def test_bad_crc_truncation_and_wrong_start_are_refused():
    raw = bytearray(bytes.fromhex(PUBLISHED_32))
    raw[30] ^= 0x01
    with pytest.raises(codec.FrameError) as bad:
        codec.decode_frame(bytes(raw))
    assert bad.value.reason == "crc"
    for cut in (5, 14, 40, len(raw) - 1):
        with pytest.raises(codec.FrameError) as short:
            codec.decode_frame(bytes.fromhex(PUBLISHED_32)[:cut])
        assert short.value.reason == "truncated"
    with pytest.raises(codec.FrameError) as wrong:
        codec.decode_frame(b"\x01" + bytes.fromhex(PUBLISHED_32)[1:])
    assert wrong.value.reason == "start"


def test_body_errors_name_the_problem():
    with pytest.raises(codec.FrameError, match="before an observation time"):
        codec.decode_body(0x32, bytes.fromhex("0001260716083015") + bytes.fromhex("392300001000"))
    with pytest.raises(codec.FrameError, match="cut short"):
        codec.decode_body(0x32, bytes.fromhex("0001260716083015F0F02607160830392300"))
    with pytest.raises(codec.FrameError, match="not BCD"):
        codec.decode_body(0x32, bytes.fromhex("00012607160830A5"))


def test_negative_values_and_unknown_elements():
    # a tide gauge below datum: FFH marks a negative BCD value (§6.6.3.3a), FF0 for an odd digit count
    assert codec.encode_number("-1.5", 7, 3) == bytes.fromhex("FF00001500")
    assert codec.decode_number(bytes.fromhex("FF00001500"), 3) == Decimal("-1.500")
    elements = (
        bytes.fromhex("392B") + bytes.fromhex("FF00001500") + bytes.fromhex("7711") + bytes.fromhex("0042")
    )
    frame = codec.decode_frame(hand_built(0x32, elements))
    report = codec.decode_body(frame.function, frame.body)
    assert [(o.element, o.value) for o in report.observations] == [
        ("Z", Decimal("-1.500")),
        ("77H", Decimal("4.2")),
    ]


@given(st.decimals(min_value=-9999, max_value=9999, places=3, allow_nan=False, allow_infinity=False))
def test_level_values_round_trip(value):
    data = codec.encode_number(value, 7, 3)
    assert codec.decode_number(data, 3) == value


def test_multi_packet_frames_carry_their_numbers():
    raw = codec.encode_frame(
        centre=1, station="0061000001", password=0, function=0x31, body=b"abc", end=codec.ETB, packet=(3, 2)
    )
    frame = codec.decode_frame(raw)
    assert (frame.start, frame.packet_total, frame.packet_seq, frame.body) == (codec.SYN, 3, 2, b"abc")


def test_keepalive_encoder_reproduces_published_frame():
    body = codec.keepalive_body(serial=3, sent_at=at(2059, 10, 11, 15, 51, 11))
    frame = codec.encode_frame(centre=1, station="0012345678", password=0x1234, function=0x2F, body=body)
    assert frame.hex().upper() == PUBLISHED_2F


HEAD = "0001260716083015"
STATION = "F1F100610000014B"
WHEN = "F0F02607160830"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("0001", "a body starts with 8"),
        (HEAD + "F1F100610000014BF1F100610000024B", "several stations"),
        (HEAD + STATION + "F4600102", "DRP before an observation time"),
        (HEAD + STATION + WHEN + "F46001", "DRP cut short"),
        (HEAD + STATION + WHEN + "04180000053923001012", "3 bytes of 4-byte values"),
        (HEAD + STATION + WHEN + "39", "cut short"),
        (HEAD + STATION + "F0F02613160830", "bad time"),
    ],
)
def test_malformed_bodies(body, message):
    with pytest.raises(codec.FrameError, match=message):
        codec.decode_body(0x31, bytes.fromhex(body))


def test_status_extended_and_opaque_elements():
    body = HEAD + STATION + WHEN + "452000000005" + "FF01110012" + "F2F2414243"
    report = codec.decode_body(0x32, bytes.fromhex(body))
    # 45H ZT status bits kept as a number; FF01H a user-defined element read by its length; F2F2 manual data skipped
    assert [(o.element, o.value) for o in report.observations] == [
        ("45H", Decimal(5)),
        ("FF01H", Decimal("1.2")),
    ]


def frame_with(**changes) -> bytes:
    raw = bytearray(bytes.fromhex(PUBLISHED_32)[:-2])
    for index, value in changes.items():
        raw[int(index[1:])] = value
    return bytes(raw) + codec.crc16(raw).to_bytes(2, "big")


def test_malformed_frames():
    with pytest.raises(codec.FrameError, match="where STX or SYN belongs"):
        codec.decode_frame(frame_with(b13=0x55))
    with pytest.raises(codec.FrameError, match="without its packet numbers"):
        codec.decode_frame(frame_with(b11=0x00, b12=0x02, b13=codec.SYN))
    syn = codec.encode_frame(
        centre=1, station="0061000001", password=0, function=0x31, body=b"x", packet=(2, 3)
    )
    with pytest.raises(codec.FrameError, match="packet 3 of 2"):
        codec.decode_frame(syn)
    with pytest.raises(codec.FrameError, match="1 bytes after the frame"):
        codec.decode_frame(bytes.fromhex(PUBLISHED_32) + b"\x00")
    with pytest.raises(ValueError, match="5 bytes"):
        codec.encode_frame(centre=1, station="0061", password=0, function=0x32, body=b"")
    with pytest.raises(ValueError, match="4095"):
        codec.encode_frame(centre=1, station="0061000001", password=0, function=0x32, body=bytes(4096))
    with pytest.raises(ValueError, match="does not fit"):
        codec.encode_number("123456", 4, 2)
    with pytest.raises(ValueError, match="no negative"):
        codec.encode_equal_interval_body(
            serial=1,
            sent_at=at(2026, 1, 1, 0, 0),
            station="0061000001",
            station_type=codec.StationType.RIVER,
            observed_at=at(2026, 1, 1, 0, 0),
            step_minutes=5,
            element="Z",
            values=["-1"],
        )
