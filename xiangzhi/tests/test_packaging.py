"""The wheel is all an offline township LAN gets: every template, static file, catalog and migration is in it,
and no test module is."""

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "xiangzhi"
# --no-build-isolation and --no-index: the build uses the setuptools installed here and downloads nothing.
PIP_WHEEL = (sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index")


def _is_test_file(path: PurePosixPath) -> bool:
    return "tests" in path.parts or path.name == "conftest.py"


def _source_files(pattern: str) -> set[str]:
    """Files under xiangzhi/ matching pattern, as the wheel names them."""
    found = (PurePosixPath(p.relative_to(ROOT).as_posix()) for p in PACKAGE.glob(pattern) if p.is_file())
    return {str(p) for p in found if not _is_test_file(p) and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Iterator[zipfile.ZipFile]:
    # Build from a copy: an in-tree build reuses build/lib, where files deleted or excluded since linger.
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "setup.py"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(PACKAGE, src / "xiangzhi", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("dist")
    build = subprocess.run(
        [*PIP_WHEEL, "--wheel-dir", str(out), str(src)],
        capture_output=True,
        text=True,
        env=os.environ | {"PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    assert build.returncode == 0, build.stderr
    (path,) = out.glob("xiangzhi-*.whl")
    with zipfile.ZipFile(path) as zf:
        yield zf


@pytest.fixture
def wheel_names(wheel) -> set[str]:
    return set(wheel.namelist())


@pytest.mark.packaging
def test_wheel_carries_templates_static_files_catalogs_and_migrations(wheel_names):
    expected = (
        _source_files("**/templates/**/*")
        | _source_files("**/static/**/*")
        | _source_files("**/locale/**/*.mo")
        | _source_files("**/locale/**/*.po")
        | _source_files("**/migrations/*.py")
    )
    # the globs above would pass on an empty tree; these files must exist for the app to start at all
    assert {
        "xiangzhi/templates/base.html",
        "xiangzhi/core/static/core/app.css",
        "xiangzhi/locale/zh_Hans/LC_MESSAGES/django.mo",
        "xiangzhi/core/migrations/0001_initial.py",
    } <= expected
    assert sorted(expected - wheel_names) == []


@pytest.mark.packaging
def test_wheel_has_no_tests_and_no_conftest(wheel_names):
    assert "xiangzhi/core/models.py" in wheel_names
    assert sorted(n for n in wheel_names if _is_test_file(PurePosixPath(n))) == []


@pytest.mark.packaging
def test_wheel_requires_the_packages_that_ship_htmx_and_swagger_assets(wheel):
    # htmx is vendored by django-htmx, Swagger UI and ReDoc by drf-spectacular-sidecar: no CDN on a township LAN
    (metadata,) = (n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    requires = {
        line.split(":", 1)[1].strip().split("==")[0].lower()
        for line in wheel.read(metadata).decode().splitlines()
        if line.startswith("Requires-Dist:")
    }
    assert {"django-htmx", "drf-spectacular-sidecar"} <= requires
