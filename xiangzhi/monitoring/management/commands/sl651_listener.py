"""`manage.py sl651_listener --port 5050`: the SL 651-2014 centre station for water-level and rain gauges.

Frames go to the handler named by `XIANGZHI_SL651_HANDLER` (a dotted path to a callable taking station address,
function code, observation time and observations; see `xiangzhi.monitoring.sl651.listener`). The frame counters are
logged every `--stats-every` seconds and on exit.
"""

import asyncio
import logging

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from xiangzhi.monitoring.sl651.listener import Listener

logger = logging.getLogger("xiangzhi.sl651")

DEFAULT_HANDLER = "xiangzhi.monitoring.sl651.handlers.store_observations"


class Command(BaseCommand):
    help = "Receive SL 651-2014 hydrology frames over TCP, store them and confirm them."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="0.0.0.0")  # noqa: S104 - gauges call in from the mobile network
        parser.add_argument("--port", type=int, default=5050)
        parser.add_argument(
            "--keep-online",
            action="store_true",
            help="End confirmations with ESC so gauges stay on line for commands (§6.3.2.4).",
        )
        parser.add_argument(
            "--idle-timeout", type=float, default=300.0, help="Seconds of silence before hanging up."
        )
        parser.add_argument(
            "--frame-timeout", type=float, default=30.0, help="Seconds a begun frame may take."
        )
        parser.add_argument("--workers", type=int, default=8, help="Threads writing to the database.")
        parser.add_argument("--stats-every", type=float, default=60.0)
        parser.add_argument(
            "--run-for", type=float, default=0.0, help="Stop after this many seconds (0: never)."
        )

    def handle(
        self,
        *,
        host,
        port,
        keep_online,
        idle_timeout,
        frame_timeout,
        workers,
        stats_every,
        run_for,
        **options,
    ):
        handler = import_string(getattr(settings, "XIANGZHI_SL651_HANDLER", DEFAULT_HANDLER))
        listener = Listener(
            handler,
            keep_online=keep_online,
            idle_timeout=idle_timeout,
            frame_timeout=frame_timeout,
            workers=workers,
        )
        try:
            asyncio.run(self.run(listener, host, port, stats_every, run_for))
        except KeyboardInterrupt:
            pass
        finally:
            self.stdout.write(f"sl651 frames: {dict(listener.stats)}")

    async def run(self, listener: Listener, host: str, port: int, stats_every: float, run_for: float) -> None:
        await listener.start(host, port)
        self.stdout.write(f"SL 651 listener on {host}:{listener.port}")
        loop = asyncio.get_running_loop()
        stop_at = loop.time() + run_for if run_for else None
        try:
            while stop_at is None or loop.time() < stop_at:
                await asyncio.sleep(min(stats_every, stop_at - loop.time()) if stop_at else stats_every)
                logger.info("sl651 frames: %s", dict(listener.stats))
        finally:
            await listener.close()
