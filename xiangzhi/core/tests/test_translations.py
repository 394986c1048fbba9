"""The zh-Hans catalog is complete: Chinese is the default language, so an untranslated string is a bug."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.utils import translation

from xiangzhi.tests.helpers import require_system_part

PO = Path(settings.BASE_DIR) / "xiangzhi" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def entries():
    text = PO.read_text(encoding="utf-8")
    for block in text.split("\n\n")[1:]:
        if block.startswith("#~"):
            continue
        yield block


def test_every_message_is_translated_and_none_is_fuzzy():
    untranslated = []
    for block in entries():
        if "#, fuzzy" in block:
            untranslated.append(block)
        strings = re.findall(r'^msgstr(?:\[\d\])? "(.*)"\n?((?:".*"\n?)*)', block, re.M)
        if not strings or any(not (first or rest.strip('"\n')) for first, rest in strings):
            untranslated.append(block)
    assert untranslated == []


def test_the_compiled_catalog_is_loaded():
    with translation.override("zh-hans"):
        assert translation.gettext("Who to call") != "Who to call"
        assert translation.gettext("Household") == "户"


def _msgids(po_text: str) -> set[str]:
    ids = set()
    for block in po_text.split("\n\n")[1:]:
        if block.startswith("#~"):
            continue
        match = re.search(r'^msgid "(.*)"\n((?:".*"\n)*)', block + "\n", re.M)
        if match:
            ids.add(match.group(1) + "".join(line[1:-1] for line in match.group(2).splitlines()))
    return ids


def test_the_catalog_holds_exactly_the_strings_the_code_marks(tmp_path):
    """makemessages over a copy of the code: a string marked for translation and missing from the catalog (or one
    the code no longer uses) fails here, not in front of a cadre reading English on a Chinese page."""
    require_system_part("xgettext", "GNU gettext (xgettext)")
    package = Path(settings.BASE_DIR) / "xiangzhi"
    copy = tmp_path / "xiangzhi"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "tests", "static"))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "--no-obsolete", "--no-wrap"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": ""},
    )
    fresh = _msgids((copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8"))
    committed = _msgids(PO.read_text(encoding="utf-8"))
    assert {"missing from the catalog": fresh - committed, "no longer in the code": committed - fresh} == {
        "missing from the catalog": set(),
        "no longer in the code": set(),
    }
