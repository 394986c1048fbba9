"""Build the demo town once (idempotent): `python manage.py demo_town [--seed N] [--residents N]`."""

import random
import time

from django.core.management.base import BaseCommand
from django.db import transaction

from xiangzhi.accounts.models import RoleAssignment, User
from xiangzhi.areas.models import Village
from xiangzhi.core import extensions
from xiangzhi.core.audit import audit_record
from xiangzhi.core.models import Town
from xiangzhi.core.permissions import Role
from xiangzhi.registry import demo
from xiangzhi.registry.models import Household, Resident

DEMO_PASSWORD = (
    "xiangzhi-demo"  # documented demo credential; exists only where this command made the accounts
)
DEMO_ACCOUNTS = [
    # A person's name, as a real account has: the header and the audit log name the person, not the role.
    ("admin", Role.TOWN_ADMIN, "周建国"),
    ("cadre1", Role.CADRE, "王红梅"),
    ("grid1", Role.GRID, "张志强"),
    ("duty1", Role.DUTY, "刘洋"),
    ("clerk1", Role.CLERK, "陈静"),
    ("auditor1", Role.AUDITOR, "赵敏"),
]


class Command(BaseCommand):
    help = "Create the demo town with its residents and demo accounts (once; run again, it reuses them)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--residents", type=int, default=demo.REFERENCE_RESIDENTS)
        parser.add_argument("--quiet", action="store_true")

    def handle(self, *args, seed, residents, quiet, **options):
        if Town.objects.exists():
            if not quiet:
                self.stdout.write("Demo town already present; reusing it.")
            self.print_logins()
            return
        started = time.monotonic()

        def progress(done, total):
            if not quiet and (done == total or done % 50_000 < 1000):
                self.stdout.write(f"  {done:,}/{total:,} residents")

        # One transaction: an interrupted first run leaves nothing behind, so the next run builds it afresh.
        with transaction.atomic():
            town = demo.build_town(residents=residents, seed=seed, progress=progress)
            self.create_accounts(town)
            admin = User.objects.get(username="admin")
            notes: list[str] = []
            for step in extensions.demo_steps():
                notes += step(town=town, admin=admin, rng=random.Random(seed)) or []
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo town {town.name}: {Household.objects.filter(town=town).count():,} households, "
                f"{Resident.objects.filter(town=town).count():,} residents in {time.monotonic() - started:.1f} s"
            )
        )
        self.print_logins()
        if notes:
            self.stdout.write(
                "Residents who have signed in (at /r/; the code is in the outbox, /messages/, as admin):"
            )
            for line in notes:
                self.stdout.write(line)

    def create_accounts(self, town):
        first_village = Village.objects.filter(town=town).order_by("code").first()
        first_groups = list(first_village.groups.order_by("number")[:2])
        for username, role, display in DEMO_ACCOUNTS:
            user = User(username=username, town=town, display_name=display)
            user.set_password(DEMO_PASSWORD)
            user.save()
            assignment = RoleAssignment.objects.create(
                user=user, role=role, village=first_village if role == Role.CADRE else None
            )
            if role == Role.GRID:
                assignment.groups.set(first_groups)
        audit_record(
            actor=None,
            action="registry.demo_town.create",
            target=town,
            after={"accounts": len(DEMO_ACCOUNTS)},
        )

    def print_logins(self):
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, role, display in DEMO_ACCOUNTS:
            if User.objects.filter(username=username).exists():
                label = str(Role(role).label)
                self.stdout.write(f"  {username:<9} {label} ({display})")
