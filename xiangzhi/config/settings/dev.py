"""Local development and the demo town (`make run`): embedded SQLite; debug pages only when asked for.

`make run` serves the demo town to whoever reaches 127.0.0.1:8000 — a debug page would show them code and local
variables. A developer who wants it sets XIANGZHI_DEBUG=1 (and personal numbers are still replaced in it).
"""

import os

from .base import *  # noqa: F403

DEBUG = os.environ.get("XIANGZHI_DEBUG") == "1"
# Static files straight from the apps (no collectstatic needed for `make run`).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
