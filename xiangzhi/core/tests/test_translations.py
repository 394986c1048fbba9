"""The zh-Hans catalog is complete: Chinese is the default language, so an untranslated string is a bug."""

import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

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
