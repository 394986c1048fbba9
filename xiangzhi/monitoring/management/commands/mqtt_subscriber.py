"""`manage.py mqtt_subscriber`: store what devices publish to the MQTT broker (see `monitoring/mqtt.py`)."""

import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from xiangzhi.monitoring.mqtt import Subscriber

log = logging.getLogger("xiangzhi.monitoring.mqtt")


class Command(BaseCommand):
    help = "Subscribe to the devices' topics on the MQTT broker and store heartbeats and readings."

    def add_arguments(self, parser):
        broker = getattr(settings, "XIANGZHI_MQTT", {})
        parser.add_argument("--host", default=broker.get("host", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(broker.get("port", 1883)))
        parser.add_argument(
            "--group", default="xiangzhi", help="shared-subscription group (one per town setup)"
        )
        parser.add_argument("--batch", type=int, default=500)
        parser.add_argument("--topic-root", default="xiangzhi")
        parser.add_argument(
            "--protocol",
            choices=["5", "3.1.1"],
            default="5",
            help="3.1.1 for the embedded development broker",
        )
        parser.add_argument(
            "--seconds", type=float, default=None, help="stop after this long (tests, benches)"
        )
        parser.add_argument("--max-messages", type=int, default=None)

    def handle(self, *args, **options):
        broker = getattr(settings, "XIANGZHI_MQTT", {})
        subscriber = Subscriber(
            host=options["host"],
            port=options["port"],
            group=options["group"],
            batch_size=options["batch"],
            username=broker.get("username"),
            password=broker.get("password"),
            protocol=options["protocol"],
            topic_root=options["topic_root"],
        )
        signal.signal(signal.SIGTERM, lambda *_: subscriber.stop())
        subscriber.start()
        until = time.monotonic() + options["seconds"] if options["seconds"] else None
        try:
            stats = subscriber.run(until=until, max_messages=options["max_messages"])
        except KeyboardInterrupt:
            stats = subscriber.stats
        finally:
            subscriber.stop()
        self.stdout.write(
            f"received {stats.received}, stored {stats.stored_messages} messages "
            f"({stats.stored_readings} readings), refused {stats.rejected_total} {dict(stats.rejected)}"
        )
