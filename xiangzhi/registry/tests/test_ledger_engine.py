"""The messy workbook through the import engine: upload, header found under the title rows, merged cells, dry run,
commit, and the imported resident found by pinyin."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from xiangzhi.imports import services
from xiangzhi.imports.choices import State
from xiangzhi.registry import search
from xiangzhi.registry.models import Resident
from xiangzhi.registry.tests import ledger_workbook as wb
from xiangzhi.registry.tests.test_ledger_import import EXPECTED
from xiangzhi.tests.helpers import run_tasks

pytestmark = pytest.mark.django_db


def test_a_cadre_imports_the_messy_workbook_and_finds_a_resident_by_pinyin(
    alice, village_a, group_a1, group_a2, household_b
):
    data = wb.xlsx(household_b.head.id_number)
    job = services.job_upload(
        actor=alice,
        kind="registry.ledger",
        upload=SimpleUploadedFile("台账.xlsx", data),
        options={"village": village_a.pk},
    )
    # every header recognised, the 户主 column too
    assert set(job.mapping.values()) >= {"group", "head_name", "name", "relationship", "id_number", "phones"}
    job = services.job_map(actor=alice, job=job, mapping=job.mapping)
    services.job_check(actor=alice, job=job)
    run_tasks()
    job.refresh_from_db()
    assert job.state == State.CHECKED, job.failure if hasattr(job, "failure") else job.state
    ours = {
        (i["sheet"], i["row"], i["field"], i["level"])
        for i in job.report["issues"]
        if i["field"] and i["level"] in ("error", "warning")
    }
    assert ours >= EXPECTED
    assert job.counts["new"] == 6
    assert not Resident.objects.filter(household__village=village_a).exists()

    services.job_commit(actor=alice, job=job)
    run_tasks()
    job.refresh_from_db()
    assert job.state == State.COMMITTED
    hits = search.search(alice, "liudashan")
    assert [h.resident.name for h in hits if h.resident] == ["刘大山"]
