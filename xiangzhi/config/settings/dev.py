"""Local development and the demo town (`make run`): embedded SQLite, debug pages."""

from .base import *  # noqa: F403

DEBUG = True
# Static files straight from the apps (no collectstatic needed for `make run`).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
