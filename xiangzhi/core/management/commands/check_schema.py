"""Refuse to start on a database made by an older layout of xiangzhi, saying what to do (`make run` calls it).

The migrations were rewritten when the apps were reorganised (no town had production data yet). A database that
records migrations of ours that no longer exist would otherwise fail later with obscure errors.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.db.migrations.loader import MigrationLoader

OUR_APPS = ("core", "areas", "accounts", "registry")


class Command(BaseCommand):
    help = "Check that the database was made by this version's migrations."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, database, **options):
        loader = MigrationLoader(connections[database], ignore_no_migrations=True)
        unknown = sorted(
            f"{app}.{name}"
            for app, name in loader.applied_migrations
            if app in OUR_APPS and (app, name) not in loader.disk_migrations
        )
        if unknown:
            raise CommandError(
                "This database was made by an older version of xiangzhi (it records migrations that no longer "
                f"exist: {', '.join(unknown[:3])}{' …' if len(unknown) > 3 else ''}). It cannot be upgraded: "
                "delete the var/ folder (development) or drop and recreate the database, then run `make run` again."
            )
        if options["verbosity"] > 1:
            self.stdout.write("Database schema: current.")
