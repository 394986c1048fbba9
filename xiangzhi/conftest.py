"""Shared test fixtures: a small town with two villages and one user of every role, plus an outsider.

`alice` is the village cadre who owns village A, `bob` her colleague in the same village, `charlie` the cadre
of village B — the outsider for everything in village A.
"""

import datetime
import os
import shutil

import pytest
from django.db import connection

from xiangzhi.accounts.models import RoleAssignment, User
from xiangzhi.areas.models import Village, VillageGroup
from xiangzhi.areas.services import town_create
from xiangzhi.core.permissions import Role
from xiangzhi.registry import services
from xiangzhi.registry.idnumber import check_character

IN_CI = os.environ.get("CI") == "true"


def pytest_report_header(config):
    return f"database: {os.environ.get('DATABASE_URL') or 'sqlite (in memory)'}"


@pytest.fixture(autouse=True, scope="session")
def _right_database(django_db_setup, django_db_blocker):
    """A PostgreSQL run that silently fell back to SQLite would prove nothing."""
    if os.environ.get("XIANGZHI_EXPECT_PG"):
        with django_db_blocker.unblock():
            assert connection.vendor == "postgresql", "expected PostgreSQL, got " + connection.vendor


def require_system_part(path_or_cmd: str, what: str) -> str:
    """Skip with a visible notice when a system part is missing — except in CI, where it is a failure."""
    found = shutil.which(path_or_cmd) or (os.path.exists(path_or_cmd) and path_or_cmd)
    if not found:
        message = f"{what} not installed ({path_or_cmd}); install it to run this test"
        if IN_CI:
            pytest.fail("CI: " + message)
        pytest.skip("NOTICE: " + message)
    return found


def make_id(birth: datetime.date, sex: str = "M", seq: int = 12, area: str = "500111") -> str:
    seq = seq * 2 + (1 if sex == "M" else 0)
    body = f"{area}{birth:%Y%m%d}{seq % 1000:03d}"
    return body + check_character(body)


@pytest.fixture
def town(db):
    town = town_create(name="宝兴镇", code="500111108000")
    services.town_flags_seed(town=town)
    return town


@pytest.fixture
def village_a(town):
    return Village.objects.create(town=town, name="玉峰村", code="500111108001")


@pytest.fixture
def village_b(town):
    return Village.objects.create(town=town, name="高峰村", code="500111108002")


@pytest.fixture
def group_a1(village_a):
    return VillageGroup.objects.create(town=village_a.town, village=village_a, number=1, name="1组")


@pytest.fixture
def group_a2(village_a):
    return VillageGroup.objects.create(town=village_a.town, village=village_a, number=2, name="2组")


@pytest.fixture
def group_b1(village_b):
    return VillageGroup.objects.create(town=village_b.town, village=village_b, number=1, name="1组")


def _user(username, role, town, *, village=None, groups=(), **extra):
    user = User.objects.create_user(username=username, password="pw-for-tests-123", town=town, **extra)
    if role is not None:
        assignment = RoleAssignment.objects.create(user=user, role=role, village=village)
        assignment.groups.set(groups)
    return user


@pytest.fixture
def admin_user(town):
    return _user("admin", Role.TOWN_ADMIN, town)


@pytest.fixture
def alice(town, village_a):
    return _user("alice", Role.CADRE, town, village=village_a)


@pytest.fixture
def bob(town, village_a):
    return _user("bob", Role.CADRE, town, village=village_a)


@pytest.fixture
def charlie(town, village_b):
    return _user("charlie", Role.CADRE, town, village=village_b)


@pytest.fixture
def grid(town, group_a1):
    return _user("grid", Role.GRID, town, groups=[group_a1])


@pytest.fixture
def duty(town):
    return _user("duty", Role.DUTY, town)


@pytest.fixture
def clerk(town):
    return _user("clerk", Role.CLERK, town)


@pytest.fixture
def auditor(town):
    return _user("auditor", Role.AUDITOR, town)


@pytest.fixture
def other_town_admin(db):
    other = town_create(name="龙水镇")
    services.town_flags_seed(town=other)
    return _user("other_admin", Role.TOWN_ADMIN, other)


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


def update_resident(actor, resident, **changes):
    """services.resident_update with the resident's current values for every field not given."""
    current = {
        "name": resident.name,
        "sex": resident.sex,
        "birth_date": None,
        "id_number": None,
        "no_id_reason": resident.no_id_reason,
        "residence_status": resident.residence_status,
    }
    return services.resident_update(actor=actor, resident=resident, **(current | changes))


@pytest.fixture
def household_a(admin_user, group_a1):
    """张三's household in village A group 1: head, wife, a son working away, an elderly mother living at home."""
    h = services.household_create(
        actor=admin_user, group=group_a1, number="A-001", address="玉峰村1组12号", house_number="12号"
    )
    services.resident_add(
        actor=admin_user,
        household=h,
        relationship="head",
        name="张三",
        id_number=make_id(datetime.date(1970, 3, 5), "M", 1),
        phones=[services.PhoneInput(number="13812345678")],
    )
    services.resident_add(
        actor=admin_user,
        household=h,
        relationship="spouse",
        name="李四妹",
        id_number=make_id(datetime.date(1972, 6, 1), "F", 2),
        phones=[services.PhoneInput(number="13900001111")],
    )
    services.resident_add(
        actor=admin_user,
        household=h,
        relationship="son",
        name="张小明",
        id_number=make_id(datetime.date(1996, 1, 20), "M", 3),
        residence_status="migrant",
        phones=[services.PhoneInput(number="15822223333")],
    )
    from xiangzhi.registry.models import FlagType

    services.resident_add(
        actor=admin_user,
        household=h,
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
    h = services.household_create(
        actor=admin_user, group=group_b1, number="B-001", address="高峰村1组3号", house_number="3号"
    )
    services.resident_add(
        actor=admin_user,
        household=h,
        relationship="head",
        name="赵四",
        id_number=make_id(datetime.date(1965, 2, 2), "M", 5),
        phones=[services.PhoneInput(number="18655556666")],
    )
    h.refresh_from_db()
    return h
