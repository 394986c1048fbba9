"""Core's part of the project-wide tests (`xiangzhi/tests/access.py`): the home redirect and the audit log."""

from django.urls import reverse

from xiangzhi.core.models import AuditEntry
from xiangzhi.core.tests.test_background import failing_run
from xiangzhi.tests.access import PAGE_ANON, Access, Scan, api, holders, page, page_post_only

VIEW_AUDIT = holders("core.view_audit")
VIEW_TASKS = holders("core.view_tasks")
# where home sends each role: the registry for who views it, the audit log for the auditor
VIEW_REGISTRY = holders("registry.view")

TABLE: dict[str, Access] = {
    "core:home": Access(
        get={role: (302, "/registry/") for role in VIEW_REGISTRY}
        | {"auditor": (302, "/audit/"), "resident": (302, "/r/home/"), "anonymous": PAGE_ANON}
    ),
    "core:audit": page(VIEW_AUDIT),
    "core:tasks": page(VIEW_TASKS),
    "core:task_retry": page_post_only(VIEW_TASKS, (302, "/tasks/"), pk="failed_task"),
    "auditentry-list": api(VIEW_AUDIT),
    "auditentry-detail": api(VIEW_AUDIT, pk="audit"),
}


def in_scope(request) -> dict:
    town = request.getfixturevalue("town")
    request.getfixturevalue("village_a")  # the town's set-up leaves audit rows: its villages were added
    return {"audit": AuditEntry.objects.filter(town=town).latest("pk"), "failed_task": failing_run()}


def scanned_urls(objects) -> list[Scan]:
    return [Scan(reverse("core:home"), follow=True), Scan(reverse("core:tasks"))]
