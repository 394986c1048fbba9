"""Local development and the demo town (`make run`): embedded SQLite, debug pages."""

from .base import *  # noqa: F403

DEBUG = True
