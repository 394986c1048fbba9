"""Reading import jobs: each through its importer's action, so who may import a kind of table sees its jobs in
their part of the town, and nobody else does."""

from django.db.models import Q, QuerySet

from xiangzhi.core.permissions import can

from .engine import Importer, importer_for, importers
from .models import ImportJob


def usable_importers(*, user) -> list[Importer]:
    return [i for i in importers() if can(user, i.action)]


def jobs(*, user) -> QuerySet[ImportJob]:
    where = Q(pk__in=[])
    for importer in usable_importers(user=user):
        visible = ImportJob.objects.restrict(user, importer.action).filter(kind=importer.kind)
        where |= Q(pk__in=visible.values("pk"))
    return ImportJob.objects.unrestricted("filtered to the jobs restrict() gives per importer").filter(where)


def job_get(*, user, pk: int) -> ImportJob:
    """The job, if its importer's action reaches it; DoesNotExist (a 404) otherwise."""
    kind = (
        ImportJob.objects.unrestricted("only the kind, to know which action guards the job")
        .filter(pk=pk)
        .values_list("kind", flat=True)
        .first()
    )
    try:
        importer = importer_for(kind or "")
    except KeyError:
        raise ImportJob.DoesNotExist from None
    return ImportJob.objects.restrict(user, importer.action).select_related("created_by").get(pk=pk)
