"""The import pages' part of the project-wide tests (`xiangzhi/tests/access.py`): who may use any importer
reaches the list; a job is reached by who holds its importer's action over its village."""

from xiangzhi.imports import services
from xiangzhi.imports.engine import importers
from xiangzhi.imports.tests import importers as _test_importers  # noqa: F401  (registers them)
from xiangzhi.imports.tests.factories import contacts_job
from xiangzhi.tests.access import PAGE_ANON, Access, Scan, holders, only, page, page_post_only

ANY = frozenset().union(*(holders(i.action) for i in importers()))
CONTACTS = holders("registry.change")

TABLE: dict[str, Access] = {
    "imports:jobs": page(ANY),
    "imports:new": Access(
        get=only(CONTACTS, 200, anonymous=PAGE_ANON),
        post=only(CONTACTS, 200, anonymous=PAGE_ANON),
        kwargs={"kind": "tests.contacts"},
    ),
    # an empty POST of the column matching shows the form again with its errors (the name is required)
    "imports:job": page(CONTACTS, pk="import_job", form=True),
    "imports:progress": page(CONTACTS, pk="import_job"),
    # committing before the check: back to the job with a message
    "imports:commit": page_post_only(CONTACTS, (302, "/imports/"), pk="import_job"),
    "imports:report": page(CONTACTS, pk="import_job"),
}


def in_scope(request) -> dict:
    admin = request.getfixturevalue("admin_user")
    village = request.getfixturevalue("village_a")
    job = contacts_job(admin, village)
    # checked: its report is there to read and download
    services.job_map(actor=admin, job=job, mapping=job.mapping)
    services.job_check(actor=admin, job=job)
    services.run_check(job_id=job.pk, actor=admin)
    job.refresh_from_db()
    return {"import_job": job}


def scanned_urls(objects) -> list[Scan]:
    pk = objects["import_job"].pk
    return [Scan("/imports/"), Scan(f"/imports/{pk}/")]
