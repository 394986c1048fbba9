"""Shared test fixtures: a small town with two villages and one user of every role, plus an outsider.

`alice` is the village cadre who owns village A, `bob` her colleague in the same village, `charlie` the cadre
of village B — the outsider for everything in village A. Everything is made through the apps' factories, which
call the real services (`<app>/tests/factories.py`). Tests import helpers from those modules and from
`xiangzhi/tests/helpers.py`, never from here.
"""

import datetime
import importlib
import os

import pytest
from django.db import connection

from xiangzhi.accounts.services import RoleInput
from xiangzhi.accounts.tests.factories import UserFactory, town_admin
from xiangzhi.areas.tests.factories import VillageFactory, VillageGroupFactory
from xiangzhi.core.permissions import Role
from xiangzhi.registry import services
from xiangzhi.registry.models import FlagType
from xiangzhi.registry.tests.factories import (
    HouseholdFactory,
    ResidentFactory,
    TownWithFlagsFactory,
    make_id,
)


def pytest_report_header(config):
    return f"database: {os.environ.get('DATABASE_URL') or 'sqlite (in memory)'}"


@pytest.fixture(autouse=True, scope="session")
def _right_database(django_db_setup, django_db_blocker):
    """A PostgreSQL run that silently fell back to SQLite would prove nothing."""
    if os.environ.get("XIANGZHI_EXPECT_PG"):
        with django_db_blocker.unblock():
            assert connection.vendor == "postgresql", "expected PostgreSQL, got " + connection.vendor


@pytest.fixture(autouse=True)
def _audit_rows_cleared_after_a_transactional_test(request):
    """Fixtures and sign-ins write audit rows, so a transactional test ends with some. SQLite's append-only
    triggers would abort the DELETE that flushes the database (PostgreSQL TRUNCATEs, which row triggers do not
    see): remove the rows with the triggers lifted for that moment. Set up after the database fixtures, so torn
    down before their flush."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    if connection.vendor != "sqlite":
        return
    audit_triggers = importlib.import_module("xiangzhi.core.migrations.0002_audit_append_only")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER core_auditentry_no_delete")
        cursor.execute("DELETE FROM core_auditentry")
        cursor.execute(audit_triggers.SQLITE[1])


@pytest.fixture
def town(db):
    return TownWithFlagsFactory(name="宝兴镇", code="500111108000")


@pytest.fixture
def admin_user(town):
    return town_admin(town)


@pytest.fixture
def village_a(admin_user):
    return VillageFactory(actor=admin_user, name="玉峰村", code="500111108001")


@pytest.fixture
def village_b(admin_user):
    return VillageFactory(actor=admin_user, name="高峰村", code="500111108002")


@pytest.fixture
def group_a1(admin_user, village_a):
    return VillageGroupFactory(actor=admin_user, village=village_a, number=1)


@pytest.fixture
def group_a2(admin_user, village_a):
    return VillageGroupFactory(actor=admin_user, village=village_a, number=2)


@pytest.fixture
def group_b1(admin_user, village_b):
    return VillageGroupFactory(actor=admin_user, village=village_b, number=1)


def _user(username, town, *roles: RoleInput):
    return UserFactory(username=username, town=town, roles=roles)


@pytest.fixture
def alice(town, village_a):
    return _user("alice", town, RoleInput(Role.CADRE, village=village_a))


@pytest.fixture
def bob(town, village_a):
    return _user("bob", town, RoleInput(Role.CADRE, village=village_a))


@pytest.fixture
def charlie(town, village_b):
    return _user("charlie", town, RoleInput(Role.CADRE, village=village_b))


@pytest.fixture
def grid(town, group_a1):
    return _user("grid", town, RoleInput(Role.GRID, groups=(group_a1,)))


@pytest.fixture
def duty(town):
    return _user("duty", town, RoleInput(Role.DUTY))


@pytest.fixture
def clerk(town):
    return _user("clerk", town, RoleInput(Role.CLERK))


@pytest.fixture
def auditor(town):
    return _user("auditor", town, RoleInput(Role.AUDITOR))


@pytest.fixture
def other_town_admin(db):
    return town_admin(TownWithFlagsFactory(name="龙水镇"), username="other_admin")


@pytest.fixture
def users(admin_user, alice, charlie, grid, duty, clerk, auditor):
    return {
        "admin": admin_user,
        "cadre": alice,
        "outsider": charlie,
        "grid": grid,
        "duty": duty,
        "clerk": clerk,
        "auditor": auditor,
    }


@pytest.fixture
def household_a(admin_user, group_a1):
    """张三's household in village A group 1: head, wife, a son working away, an elderly mother living at home."""
    h = HouseholdFactory(
        actor=admin_user, group=group_a1, number="A-001", address="玉峰村1组12号", house_number="12号"
    )
    member = {"actor": admin_user, "household": h}
    ResidentFactory(
        **member,
        relationship="head",
        name="张三",
        id_number=make_id(datetime.date(1970, 3, 5), "M", 1),
        phones=[services.PhoneInput(number="13812345678")],
    )
    ResidentFactory(
        **member,
        relationship="spouse",
        name="李四妹",
        id_number=make_id(datetime.date(1972, 6, 1), "F", 2),
        phones=[services.PhoneInput(number="13900001111")],
    )
    ResidentFactory(
        **member,
        relationship="son",
        name="张小明",
        id_number=make_id(datetime.date(1996, 1, 20), "M", 3),
        residence_status="migrant",
        phones=[services.PhoneInput(number="15822223333")],
    )
    ResidentFactory(
        **member,
        relationship="mother",
        name="王秀英",
        id_number=make_id(datetime.date(1940, 9, 9), "F", 4),
        phones=[services.PhoneInput(number="15822223333", holder="child", holder_name="张小明")],
        flags=[services.FlagInput(flag=FlagType.objects.get(town=h.town, code="disabled"), level=2)],
    )
    h.refresh_from_db()
    return h


@pytest.fixture
def household_b(admin_user, group_b1):
    h = HouseholdFactory(
        actor=admin_user, group=group_b1, number="B-001", address="高峰村1组3号", house_number="3号"
    )
    ResidentFactory(
        actor=admin_user,
        household=h,
        relationship="head",
        name="赵四",
        id_number=make_id(datetime.date(1965, 2, 2), "M", 5),
        phones=[services.PhoneInput(number="18655556666")],
    )
    h.refresh_from_db()
    return h


@pytest.fixture
def resident(household_a):
    """张三, head of household A-001, signed up as a resident (his own phone 13812345678)."""
    from xiangzhi.portal.services import resident_signed_in

    zhang = household_a.residents.unrestricted("test set-up").get(name="张三")
    return resident_signed_in(resident=zhang)
