"""`manage.py worker`: runs background tasks and scheduled jobs (see `xiangzhi.core.background`).

The task loop is django-tasks-db's worker; a thread beside it enqueues the periodic jobs as they fall due.
`make run` starts one beside the web server. `--batch` runs what is due and stops (tests, cron-style use).
"""

import logging
import threading

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from xiangzhi.core.background import enqueue_due

logger = logging.getLogger("xiangzhi.worker")


class Command(BaseCommand):
    help = "Run background tasks and scheduled jobs until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="Run what is due, then exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls when idle.")
        parser.add_argument(
            "--schedule-every",
            type=float,
            default=30.0,
            help="Seconds between checks for due scheduled jobs.",
        )

    def handle(self, *, batch, interval, schedule_every, **options):
        worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=not batch,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        if batch:
            enqueue_due()
            worker.run()
            return
        stop = threading.Event()

        def schedule():
            while True:
                try:
                    enqueue_due()
                except Exception:
                    logger.exception("could not enqueue scheduled jobs")
                finally:
                    close_old_connections()
                if stop.wait(schedule_every):
                    return

        thread = threading.Thread(target=schedule, name="scheduler", daemon=True)
        thread.start()
        worker.configure_signals()
        self.stdout.write("worker started: background tasks and scheduled jobs")
        try:
            worker.run()
        finally:
            stop.set()
