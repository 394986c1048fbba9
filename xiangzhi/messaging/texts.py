"""The wording of each kind of message, registered by the app that sends it and written in the town's language
(zh-Hans) whatever the language of the person whose action sent it."""

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Text:
    kind: str
    label: str
    text: str  # %(name)s placeholders, filled from the sender's context


_TEXTS: dict[str, Text] = {}


def register_text(kind: str, label, text) -> str:
    if "." not in kind:
        raise ValueError(f"message kind {kind!r} must be namespaced as app.kind")
    _TEXTS[kind] = Text(kind, label, text)
    return kind


def text_label(kind: str) -> str:
    text = _TEXTS.get(kind)
    return str(text.label) if text else kind


def render(kind: str, context: dict) -> str:
    """The message body; a missing placeholder is a programming error (KeyError), caught by the tests."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(_TEXTS[kind].text) % context


TEST = register_text(
    "messaging.test",
    _("test message"),
    _("[%(town)s] A test message from Xiangzhi, sent at %(time)s. No reply is needed."),
)
