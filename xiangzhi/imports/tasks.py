"""The import's background work: the dry run, the commit, and the clean-up of uploaded files."""

import datetime

from xiangzhi.core.background import background, periodic

from . import services


@background(retries=0)
def import_check(job_id: int, actor_id: int) -> None:
    from django.contrib.auth import get_user_model

    actor = (
        get_user_model()
        .objects.unrestricted("the worker acts for the user who started the check")
        .get(pk=actor_id)
    )
    services.run_check(job_id=job_id, actor=actor)


@background(retries=0)
def import_commit(job_id: int) -> None:
    services.run_commit(job_id=job_id)


@periodic(every=datetime.timedelta(hours=6))
def import_files_purge() -> int:
    return sum(services.job_file_delete(job_id=pk) for pk in services.files_due())
