"""`manage.py sl651_send --station 0012345678 --level 12.345 --rain 1.5`: a gauge's timed report over TCP.

For trying the listener by hand (the demo of "an SL 651 frame sent over TCP appears on the gauge's chart"): it
builds a 32H (or 33H) frame as a gauge would, prints it in hex, sends it and prints the centre's confirmation.
`--print-only` prints the hex for `echo HEX | xxd -r -p | nc HOST PORT`.
"""

import datetime as dt
import socket
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from xiangzhi.monitoring.sl651 import codec


class Command(BaseCommand):
    help = "Send one SL 651-2014 report frame to a listener and show its answer."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=5050)
        parser.add_argument("--station", required=True, help="5-byte station address, 10 hex digits.")
        parser.add_argument("--centre", type=int, default=1)
        parser.add_argument("--password", type=lambda s: int(s, 16), default=0x1234, help="hex, e.g. 1234")
        parser.add_argument(
            "--function", choices=["32", "33"], default="32", help="32 timed, 33 extra report"
        )
        parser.add_argument("--level", type=Decimal, help="water level in metres (39H Z)")
        parser.add_argument("--reservoir-level", type=Decimal, help="reservoir level in metres (3BH ZU)")
        parser.add_argument("--rain", type=Decimal, help="rainfall in the last hour in mm (1AH P1)")
        parser.add_argument("--rain-total", type=Decimal, help="accumulated rainfall in mm (26H PT)")
        parser.add_argument(
            "--voltage", type=Decimal, default=Decimal("12.60"), help="battery volts (38H VT)"
        )
        parser.add_argument("--at", help="observation time YYYY-MM-DDTHH:MM (Beijing), default now")
        parser.add_argument("--serial", type=int, default=1)
        parser.add_argument("--print-only", action="store_true")

    def handle(self, **o):
        now = dt.datetime.now(codec.BEIJING)
        observed = dt.datetime.fromisoformat(o["at"]).replace(tzinfo=codec.BEIJING) if o["at"] else now
        values: list[tuple[str, Decimal]] = []
        for option, name in (("rain", "P1"), ("rain_total", "PT"), ("level", "Z"), ("reservoir_level", "ZU")):
            if o[option] is not None:
                values.append((name, o[option]))
        values.append(("VT", o["voltage"]))
        try:
            body = codec.encode_report_body(
                serial=o["serial"],
                sent_at=now,
                station=o["station"],
                station_type=codec.StationType.RESERVOIR if o["reservoir_level"] else codec.StationType.RIVER,
                observed_at=observed.replace(second=0, microsecond=0),
                values=values,
            )
            frame = codec.encode_frame(
                centre=o["centre"],
                station=o["station"],
                password=o["password"],
                function=int(o["function"], 16),
                body=body,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(frame.hex().upper())
        if o["print_only"]:
            return
        with socket.create_connection((o["host"], o["port"]), timeout=10) as sock:
            sock.sendall(frame)
            answer = sock.recv(4096)
        if not answer:
            raise CommandError("no answer: the listener refused the frame (see its log)")
        self.stdout.write(f"answer: {answer.hex().upper()}")
        ack = codec.decode_frame(answer)
        self.stdout.write(f"confirmed serial {int.from_bytes(ack.body[:2], 'big')}, end {ack.end:02X}H")
