"""Unlock an account locked by failed logins, from the server (the only administrator locked out, say):
`python manage.py unlock_account admin`. The audit log records it."""

from django.core.management.base import BaseCommand, CommandError

from xiangzhi.accounts.models import User
from xiangzhi.accounts.services import user_unlock_from_server


class Command(BaseCommand):
    help = "Unlock an account locked by failed logins (audited)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        try:
            user = user_unlock_from_server(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No account named {username!r}.") from None
        self.stdout.write(self.style.SUCCESS(f"{user.username} is unlocked."))
