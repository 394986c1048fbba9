"""The audit log's registry of actions, the snapshot and diff helpers, and the auditor's page in Chinese."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from xiangzhi.core import audit
from xiangzhi.core.masking import mask_id_number
from xiangzhi.core.models import AuditEntry
from xiangzhi.registry import services
from xiangzhi.registry.models import Resident

AUDIT = reverse("core:audit")
CODE = Path(settings.BASE_DIR) / "xiangzhi"
HAN = re.compile(r"[\u4e00-\u9fff]")


def _first(pattern: str, html: str) -> str:
    found = re.search(pattern, html, re.S)
    assert found, pattern
    return found.group(1)


def _client(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


# --- the registry of actions -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_undeclared_action_is_refused(town):
    with pytest.raises(ValueError, match="unknown audit action"):
        audit.audit_record(actor=None, action="registry.household.vanish", town=town)
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize(
    "name", ["household.create", "registry.household", "Registry.household.create", "a.b.c.d"]
)
def test_an_action_is_named_app_thing_verb(name):
    with pytest.raises(ValueError, match=r"<app>\.<thing>\.<verb>"):
        audit.register_action(name, "x")


def _action_literals() -> list[tuple[str, str]]:
    """Every action the code hands to `audit_record` (or `audit_save` as a prefix) as a literal (the dotted ones
    of an expression such as `{"show": "registry.phone.reveal", ...}[purpose]`), and every
    namespaced three-part string literal anywhere outside tests (a table of actions such as `_END_ACTION`)."""
    apps = {a.app for a in audit.audit_actions()} | {"core"}
    three_parts = re.compile(rf"^({'|'.join(apps)})\.[a-z_]+\.[a-z_]+$")
    found = []
    for path in CODE.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if (
                        kw.arg == "action_prefix"
                        and isinstance(kw.value, ast.Constant)
                        and isinstance(kw.value.value, str)
                    ):
                        found += [
                            (str(path), f"{kw.value.value}.create"),
                            (str(path), f"{kw.value.value}.update"),
                        ]
                    elif kw.arg == "action" and getattr(node.func, "id", getattr(node.func, "attr", "")) == (
                        "audit_record"
                    ):
                        assert not isinstance(kw.value, ast.JoinedStr), f"{path}: name the action in full"
                        found += [
                            (str(path), c.value)
                            for c in ast.walk(kw.value)
                            if isinstance(c, ast.Constant) and isinstance(c.value, str) and "." in c.value
                        ]
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and three_parts.match(node.value)
            ):
                found.append((str(path), node.value))
    return found


def test_every_action_the_code_records_is_declared():
    used = _action_literals()
    assert len({name for _, name in used}) >= 30  # the walk found the services' actions
    declared = {a.name for a in audit.audit_actions()}
    assert [(path, name) for path, name in used if name not in declared] == []


def test_every_declared_action_is_used():
    used = {name for _, name in _action_literals()}
    assert [a.name for a in audit.audit_actions() if a.name not in used] == []


def test_every_action_reads_in_chinese():
    with translation.override("zh-hans"):
        untranslated = [a.name for a in audit.audit_actions() if not HAN.search(str(a.label))]
        for a in audit.audit_actions():
            untranslated += [
                f"{a.name}:{key}" for key, label in a.fields.items() if not HAN.search(str(label))
            ]
    assert untranslated == []


# --- snapshot and diff -------------------------------------------------------------------------------------------


def test_diff_keeps_only_what_changed():
    before = {"name": "张三", "sex": "M", "phones": ["138****5678"], "gone": 1}
    after = {"name": "张叁", "sex": "M", "phones": ["138****5678", "135****7777"], "new": "x"}
    assert audit.audit_diff(before, after) == {
        "name": ("张三", "张叁"),
        "phones": (["138****5678"], ["138****5678", "135****7777"]),
        "new": (None, "x"),
        "gone": (1, None),
    }
    assert audit.audit_diff(None, {"a": 1}) == {"a": (None, 1)}
    assert audit.audit_diff({"a": 1}, {"a": 1}) == {}


def test_diff_compares_values_as_a_row_stores_them():
    import datetime
    from decimal import Decimal

    stored = {"birth_date": "1970-03-05", "latitude": "29.5"}
    assert (
        audit.audit_diff(stored, {"birth_date": datetime.date(1970, 3, 5), "latitude": Decimal("29.5")}) == {}
    )


@pytest.mark.django_db
def test_a_snapshot_masks_what_its_model_declares(household_a):
    head = household_a.head
    taken = audit.snapshot(head)
    assert taken["id_number"] == mask_id_number(head.id_number)
    assert head.id_number not in str(taken)
    assert taken["phones"] == [{"number": "138****5678", "holder": "self", "holder_name": "", "priority": 1}]
    assert taken["household"] == household_a.pk


@pytest.mark.django_db
def test_an_undeclared_model_has_no_snapshot(town):
    with pytest.raises(LookupError, match="register_model"):
        audit.snapshot(town)


# --- the auditor's page and the API ------------------------------------------------------------------------------


@pytest.fixture
def edited(users, household_a):
    """The mother's name corrected and her flag changed by the cadre."""
    mother = household_a.residents.get(name="王秀英")
    services.resident_update(
        actor=users["cadre"],
        resident=mother,
        name="王秀芳",
        sex=mother.sex,
        birth_date=None,
        id_number=None,
        no_id_reason="",
        residence_status=mother.residence_status,
    )
    return mother


def test_the_auditor_reads_labels_and_a_before_after_table(users, edited):
    html = _client(users["auditor"]).get(AUDIT, {"action": "registry.resident.update"}).content.decode()
    assert "修改村民信息" in html  # the action's label, not its code
    assert ">registry.resident.update<" not in html
    with translation.override("zh-hans"):
        kind = str(Resident._meta.verbose_name)
    assert f'<span class="muted">{kind}</span> 王秀芳' in html  # the target: its kind and its name
    # the change: one row per changed field, the field's label, before and after
    table = _first(r'<table class="changes">(.*?)</table>', html)
    assert re.search(r"<td>姓名</td><td[^>]*>王秀英</td><td>王秀芳</td>", table), table
    assert "性别" not in table  # unchanged fields are left out
    # and the auditor, who holds no registry permission, gets no link into the registry
    assert reverse("registry:household", args=[edited.household_id]) not in html


def test_a_creation_shows_its_values_with_their_labels(users, household_a):
    html = _client(users["auditor"]).get(AUDIT, {"action": "registry.household.create"}).content.decode()
    assert "新建户" in html
    assert re.search(r"<td>地址</td><td[^>]*>—</td><td>玉峰村1组12号</td>", html)


def test_a_target_is_a_link_for_who_may_follow_it(users, household_a):
    # given the town administrator also holds the auditor's role
    from xiangzhi.accounts.models import RoleAssignment

    admin = users["admin"]
    RoleAssignment.objects.create(user=admin, role="auditor")
    html = _client(admin).get(AUDIT, {"action": "registry.household.create"}).content.decode()
    assert f'href="{reverse("registry:household", args=[household_a.pk])}"' in html


def test_the_filters_are_choices(users, edited):
    html = _client(users["auditor"]).get(AUDIT).content.decode()
    form = _first(r'<form method="get"(.*?)</form>', html)
    assert '<optgroup label="人口台账">' in form
    assert '<option value="registry.resident.update">修改村民信息</option>' in form
    assert '<option value="alice">' in form  # the town's accounts
    assert "other_admin" not in form


def test_the_api_gives_the_label_and_the_changes(users, edited):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    api.force_authenticate(users["auditor"])
    response = api.get("/api/v1/audit/", {"action": "registry.resident.update", "actor": "alice"})
    assert response.status_code == 200, response.content
    [entry] = response.json()["results"]
    assert entry["action_label"] == "修改村民信息"
    assert entry["changes"] == [{"key": "name", "label": "姓名", "before": "王秀英", "after": "王秀芳"}]
