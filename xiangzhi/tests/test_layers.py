"""Dependencies point one way: core ← areas ← accounts ← registry ← {monitoring, points, shop}.

Every module of an app (tests and migrations aside) may import only apps below it. A new app takes its place in
`LAYERS` here — the one line it adds outside its own folder — and the test fails until it does.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {
    "core": 0,
    "areas": 1,
    "accounts": 2,
    # the outbox: every app above sends through it
    "messaging": 3,
    # the spreadsheet import engine: each kind of table is registered by the app that owns its rows
    "imports": 3,
    "registry": 4,
    # the next pillars sit above the registry; the shop spends the points ledger's balances
    "monitoring": 5,
    "points": 5,
    "shop": 6,
    "notices": 5,
    "visits": 5,
    # how fresh the registry is reads the residents' open change requests too
    "freshness": 6,
    # residents' change requests, reviewed by cadres and applied through the registry's services
    "livedata": 5,
    # residents' own pages read every pillar: their household, later their points and notices
    "portal": 7,
}
NOT_APPS = {"config", "tests", "locale", "templates", "conftest"}


def _apps() -> list[str]:
    return sorted(p.name for p in ROOT.iterdir() if (p / "apps.py").exists())


def _imports(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside the same app unless it climbs out of it
                depth = len(path.relative_to(ROOT).parts) - 1
                if node.level > depth and node.module:
                    yield node.lineno, "xiangzhi." + node.module
            elif node.module:
                yield node.lineno, node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name


def _violations() -> list[str]:
    bad = []
    for app in _apps():
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT).parts
            if "tests" in rel or "migrations" in rel:
                continue
            for line, module in _imports(path):
                parts = module.split(".")
                if parts[0] != "xiangzhi" or len(parts) < 2 or parts[1] in NOT_APPS or parts[1] == app:
                    continue
                if LAYERS[parts[1]] >= LAYERS[app]:
                    bad.append(f"{'/'.join(rel)}:{line} {app} imports {module}")
    return bad


def test_every_app_has_its_place_in_the_layers():
    assert set(_apps()) <= set(LAYERS), f"place the new app in LAYERS: {set(_apps()) - set(LAYERS)}"
    assert {"core", "areas", "accounts", "registry"} <= set(_apps())


def test_dependencies_point_one_way():
    assert _violations() == []


def test_core_knows_no_domain_app():
    """Core names no other app even in a string (a lazy model reference such as "registry.Town")."""
    domain = [a for a in _apps() if a != "core"]
    hits = [
        f"{path.relative_to(ROOT)}: {word}"
        for path in sorted((ROOT / "core").rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
        for word in (f'"{a}.' for a in domain)
        if word in path.read_text()
    ]
    assert hits == []


def test_no_module_imports_from_conftest():
    """conftest.py holds fixtures only; helpers live in modules that tests import (tests/helpers.py, factories)."""
    hits = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted(ROOT.rglob("*.py"))
        for line, module in _imports(path)
        if module.endswith("conftest")
    ]
    assert hits == []
