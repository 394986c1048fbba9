"""Background work: tasks with retries and backoff, scheduled jobs, and the failed tasks an administrator reads.

Tasks are django-tasks (Django's own Tasks API) on the database backend (`django_tasks_db`): a task enqueued inside
a service's transaction is a row of that transaction, so it exists exactly when the write it follows does, and
there is no broker to install. `manage.py worker` runs them, and the scheduled jobs, in one process.

    @background(retries=4)
    def deliver(message_id: int) -> None: ...

    deliver.enqueue(message.pk)

A task that raises is recorded as failed and, while it has attempts left, enqueued again after a backoff that
doubles (30 s, 1 min, 2 min, …). Its arguments are ids and plain values — never personal data, since a failed
task's arguments are shown to the administrator. An exception of class `Permanent` is not retried.

    @periodic(every=datetime.timedelta(hours=1))
    def expire_codes() -> None: ...

A periodic job is a background task that the worker enqueues when it falls due; `ScheduledJob` keeps when it is
next due, claimed with one compare-and-set UPDATE, so two workers never enqueue it twice.
"""

from __future__ import annotations

import datetime
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

ATTEMPT = "_attempt"  # the keyword a retried task carries: which attempt it is (the first is 1)


class Permanent(Exception):
    """Raised by a task whose failure another attempt cannot fix (the record it works on is gone, say)."""


@dataclass(frozen=True)
class Policy:
    retries: int
    backoff: datetime.timedelta

    def delay(self, attempt: int) -> datetime.timedelta:
        """The wait before attempt `attempt + 1`, doubling from `backoff`."""
        return self.backoff * (2 ** (attempt - 1))


_POLICIES: dict[str, Policy] = {}


def background(
    func: Callable | None = None,
    *,
    retries: int = 4,
    backoff: datetime.timedelta = datetime.timedelta(seconds=30),
    queue_name: str = "default",
    priority: int = 0,
):
    """Make `func` a background task retried `retries` times after a failure; use as `@background` or
    `@background(retries=…)`. Call it with `.enqueue(*args, **kwargs)`; `.call(...)` runs it here and now."""

    def wrap(func: Callable):
        policy = Policy(retries, backoff)

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any):
            attempt = kwargs.pop(ATTEMPT, 1)
            try:
                return func(*args, **kwargs)
            except Permanent:
                raise
            except Exception:
                if attempt <= policy.retries:
                    # the retry is its own row, due after the backoff; this attempt is recorded as failed
                    this.using(run_after=timezone.now() + policy.delay(attempt)).enqueue(
                        *args, **kwargs, **{ATTEMPT: attempt + 1}
                    )
                    logger.warning("task %s failed (attempt %s); retried later", this.name, attempt)
                raise

        this = task(run, queue_name=queue_name, priority=priority)
        _POLICIES[this.module_path] = policy
        return this

    return wrap(func) if func is not None else wrap


@dataclass(frozen=True)
class Periodic:
    name: str
    every: datetime.timedelta
    task: Any


_PERIODIC: dict[str, Periodic] = {}


def periodic(*, every: datetime.timedelta, retries: int = 2):
    """A background task the worker enqueues every `every` (the first time as soon as it starts)."""

    def wrap(func: Callable):
        this = background(func, retries=retries)
        _PERIODIC[this.module_path] = Periodic(this.module_path, every, this)
        return this

    return wrap


def periodic_jobs() -> list[Periodic]:
    return list(_PERIODIC.values())


def enqueue_due(now: datetime.datetime | None = None) -> list[str]:
    """Enqueue every periodic job that is due; returns their names. Safe with several workers: a job is claimed
    by moving its `next_run_at` with an UPDATE that only one of them wins."""
    from .models import ScheduledJob

    now = now or timezone.now()
    enqueued = []
    for job in periodic_jobs():
        ScheduledJob.objects.get_or_create(name=job.name, defaults={"next_run_at": now})
        with transaction.atomic():
            claimed = ScheduledJob.objects.filter(name=job.name, next_run_at__lte=now).update(
                next_run_at=now + job.every, last_enqueued_at=now
            )
            if claimed:
                job.task.enqueue()
                enqueued.append(job.name)
    return enqueued


@dataclass
class FailedTask:
    """A failed attempt as the administrator reads it: what ran, which attempt, what went wrong, and whether
    another attempt is still to come."""

    result: DBTaskResult
    attempt: int
    retries: int
    will_retry: bool

    @property
    def arguments(self) -> str:
        args, kwargs = _arguments(self.result)
        parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
        return ", ".join(parts)

    @property
    def error(self) -> str:
        name = self.result.exception_class_path.rsplit(".", 1)[-1]
        lines = [line for line in self.result.traceback.strip().splitlines() if line.strip()]
        return lines[-1] if lines else name


def _arguments(result: DBTaskResult) -> tuple[list, dict]:
    kwargs = {k: v for k, v in result.args_kwargs["kwargs"].items() if k != ATTEMPT}
    return result.args_kwargs["args"], kwargs


def failed_tasks(*, final_only: bool = False, limit: int = 200) -> list[FailedTask]:
    """Failed attempts, newest first; `final_only` keeps those that will not be tried again."""
    rows = []
    for result in DBTaskResult.objects.failed().order_by("-finished_at")[:limit]:
        policy = _POLICIES.get(result.task_path, Policy(0, datetime.timedelta(0)))
        attempt = int(result.args_kwargs["kwargs"].get(ATTEMPT, 1))
        permanent = result.exception_class_path == f"{Permanent.__module__}.{Permanent.__qualname__}"
        will_retry = attempt <= policy.retries and not permanent
        if final_only and will_retry:
            continue
        rows.append(FailedTask(result, attempt, policy.retries, will_retry))
    return rows


def task_retry(*, result_id: str) -> DBTaskResult:
    """Run a failed task again from its first attempt (the administrator's "retry" button)."""
    result = DBTaskResult.objects.failed().get(pk=result_id)
    args, kwargs = _arguments(result)
    again = result.task.enqueue(*args, **kwargs)
    return DBTaskResult.objects.get(pk=again.id)
