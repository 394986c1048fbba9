"""Forget idempotency keys older than the retention (XIANGZHI_IDEMPOTENCY_RETENTION, 24 h unless --hours)."""

import datetime

from django.core.management.base import BaseCommand

from xiangzhi.core.idempotency import idempotency_purge


class Command(BaseCommand):
    help = "Delete idempotency records older than the retention."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=float, help="retention in hours (default: the setting)")

    def handle(self, *args, hours=None, **options):
        older_than = None if hours is None else datetime.timedelta(hours=hours)
        deleted = idempotency_purge(older_than=older_than)
        self.stdout.write(f"{deleted} idempotency record(s) deleted")
