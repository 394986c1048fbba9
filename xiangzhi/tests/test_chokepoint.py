"""Every read of a restricted model goes through `restrict(user, action)` or a deliberate `unrestricted(reason)`.

The code is read, not run: any `Model.objects.<something>` on a model that declares a `Scope` must call
`restrict` or `unrestricted` first. Related managers (`household.residents.all()`) read the children of a record
that was itself read through the chokepoint, and are allowed. Tests, migrations and the demo/benchmark loaders
(seed data, no user) are outside the rule.
"""

import ast
from pathlib import Path

from django.apps import apps

from xiangzhi.core.scoping import Scope

ROOT = Path(__file__).resolve().parents[1]
# writes and the empty queryset read nothing
ALLOWED = {"restrict", "unrestricted", "none", "create", "bulk_create"}
# seed data written in bulk before any user exists; reading it needs no scope
EXEMPT = {"registry/demo.py", "registry/management/commands/demo_town.py"}


def _restricted_model_names() -> set[str]:
    return {m.__name__ for m in apps.get_models() if isinstance(getattr(m, "scope", None), Scope)}


def _sources():
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "/tests/" in f"/{rel}" or "/migrations/" in rel or rel == "conftest.py" or rel in EXEMPT:
            continue
        yield rel, path.read_text()


def _violations(source: str, models: set[str]) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        # Model.objects.method(...)
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr in ("objects", "_default_manager", "_base_manager")
            and isinstance(node.value.value, ast.Name)
            and node.value.value.id in models
            and node.attr not in ALLOWED
        ):
            found.append((node.lineno, f"{node.value.value.id}.{node.value.attr}.{node.attr}"))
    return found


def test_restricted_models_are_read_only_through_the_chokepoint():
    models = _restricted_model_names()
    assert {"Household", "Resident", "ContactPhone", "Village", "AuditEntry", "FlagType"} <= models
    bad = [f"{rel}:{line} {what}" for rel, source in _sources() for line, what in _violations(source, models)]
    assert bad == [], "read through restrict(user, action) or unrestricted(reason):\n" + "\n".join(bad)


def test_the_scan_sees_a_plain_read():
    source = "def f(user):\n    return Resident.objects.filter(pk=1)\n"
    assert _violations(source, {"Resident"}) == [(2, "Resident.objects.filter")]
    ok = "def f(user):\n    return Resident.objects.restrict(user, 'registry.view').filter(pk=1)\n"
    assert _violations(ok, {"Resident"}) == []
