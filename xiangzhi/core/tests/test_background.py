"""Background tasks on the database backend: retries with backoff, scheduled jobs, the failed-tasks page."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from xiangzhi.core import background
from xiangzhi.core.background import ATTEMPT, Permanent, periodic
from xiangzhi.core.models import AuditEntry, ScheduledJob
from xiangzhi.tests.helpers import run_tasks

CALLS: list = []


@background.background(retries=2, backoff=datetime.timedelta(seconds=10))
def flaky(label: str, fail_times: int) -> str:
    CALLS.append(label)
    if CALLS.count(label) <= fail_times:
        raise RuntimeError(f"{label} failed")
    return f"{label} done"


@background.background(retries=3)
def gone() -> None:
    raise Permanent("the record is gone")


@periodic(every=datetime.timedelta(minutes=10))
def tick() -> None:
    CALLS.append("tick")


def failing_run() -> DBTaskResult:
    """A failed first attempt of `flaky` (its retry waits), for the pages' tests."""
    result = flaky.enqueue("page", 99)
    run_tasks()
    return DBTaskResult.objects.get(pk=result.id)


def _due_later():
    """Make every waiting retry due now, as if its backoff had passed."""
    DBTaskResult.objects.filter(status="READY").update(
        run_after=timezone.now() - datetime.timedelta(seconds=1)
    )


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()


def test_a_failing_task_is_retried_after_a_doubling_backoff_until_it_succeeds(db):
    before = timezone.now()
    flaky.enqueue("a", 2)
    assert run_tasks() == 1  # the first attempt fails; the retry is not due yet
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["kwargs"] == {ATTEMPT: 2}
    assert datetime.timedelta(seconds=10) <= retry.run_after - before < datetime.timedelta(seconds=15)
    assert run_tasks() == 0

    _due_later()
    assert run_tasks() == 1  # the second fails too; the third waits twice as long
    third = DBTaskResult.objects.get(status="READY")
    assert datetime.timedelta(seconds=19) < third.run_after - timezone.now() <= datetime.timedelta(seconds=20)
    _due_later()
    assert run_tasks() == 1
    assert CALLS == ["a", "a", "a"]
    assert DBTaskResult.objects.filter(status="SUCCESSFUL").get().return_value == "a done"
    assert DBTaskResult.objects.filter(status="FAILED").count() == 2


def test_a_task_gives_up_after_its_retries_and_shows_as_final(db):
    flaky.enqueue("b", 10)
    for _ in range(3):
        _due_later()
        run_tasks()
    assert CALLS == ["b", "b", "b"]  # one attempt and two retries
    assert not DBTaskResult.objects.filter(status="READY").exists()
    rows = background.failed_tasks()
    assert [(r.attempt, r.will_retry) for r in rows] == [(3, False), (2, True), (1, True)]
    assert [r.attempt for r in background.failed_tasks(final_only=True)] == [3]
    assert rows[0].error == "RuntimeError: b failed"
    assert rows[0].arguments == "'b', 10"


def test_a_permanent_failure_is_not_retried(db):
    gone.enqueue()
    run_tasks()
    assert not DBTaskResult.objects.filter(status="READY").exists()
    [row] = background.failed_tasks()
    assert not row.will_retry


def test_periodic_jobs_are_enqueued_once_when_due_even_with_two_workers(db):
    now = timezone.now()
    assert "xiangzhi.core.tests.test_background.tick" in background.enqueue_due(now)
    assert "xiangzhi.core.tests.test_background.tick" not in background.enqueue_due(now)  # a second worker
    run_tasks()
    assert CALLS.count("tick") == 1
    job = ScheduledJob.objects.get(name="xiangzhi.core.tests.test_background.tick")
    assert job.next_run_at == now + datetime.timedelta(minutes=10)
    assert "xiangzhi.core.tests.test_background.tick" in background.enqueue_due(job.next_run_at)


def test_the_core_purges_idempotency_keys_on_a_schedule(db):
    assert "xiangzhi.core.tasks.purge_idempotency_keys" in {job.name for job in background.periodic_jobs()}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_command_runs_due_tasks_against_the_database(capsys):
    flaky.enqueue("c", 0)
    call_command("worker", "--batch", verbosity=0)
    # the due task ran, and the scheduled jobs were enqueued and run in the same pass
    assert sorted(CALLS) == ["c", "tick"]
    assert DBTaskResult.objects.get(task_path__endswith=".flaky").status == "SUCCESSFUL"
    assert DBTaskResult.objects.get(task_path__endswith=".tick").status == "SUCCESSFUL"


def test_the_administrator_sees_failed_tasks_and_runs_one_again(client, admin_user, alice):
    failed = failing_run()
    client.force_login(admin_user)
    page = client.get("/tasks/").content.decode()
    assert "RuntimeError: page failed" in page
    assert "flaky" in page

    response = client.post(f"/tasks/{failed.pk}/retry/")
    assert response.status_code == 302
    fresh = DBTaskResult.objects.filter(status="READY", args_kwargs__kwargs={}).get()
    assert fresh.args_kwargs["args"] == ["page", 99]
    entry = AuditEntry.objects.filter(action="core.task.retry").get()
    assert entry.after["new_run"] == str(fresh.pk)

    client.force_login(alice)  # a cadre: no such page
    assert client.get("/tasks/").status_code == 404
    assert client.post(f"/tasks/{failed.pk}/retry/").status_code == 404


def test_retrying_an_unknown_task_is_404(client, admin_user):
    client.force_login(admin_user)
    assert client.post("/tasks/00000000-0000-0000-0000-000000000000/retry/").status_code == 404
