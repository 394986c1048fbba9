"""Print who may do what, from the permissions the apps registered (for docs/architecture.md)."""

from django.core.management.base import BaseCommand

from xiangzhi.core.permissions import markdown_table


class Command(BaseCommand):
    help = "Print the table of actions × roles, as docs/architecture.md shows it."

    def handle(self, *args, **options):
        self.stdout.write(markdown_table())
