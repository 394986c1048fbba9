"""The whole flow through the services and the pages: upload, mapping (corrected, saved, reused), dry run,
commit (once), rollback on failure, who sees which job, the report download, the clean-up of files."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from xiangzhi.areas.models import VillageGroup
from xiangzhi.core.exceptions import NotInScope
from xiangzhi.core.models import AuditEntry
from xiangzhi.imports import selectors, services, tasks
from xiangzhi.imports.choices import State
from xiangzhi.imports.models import ImportJob, SavedMapping
from xiangzhi.imports.tests.factories import contacts_job, groups_job
from xiangzhi.imports.tests.files import upload, xlsx
from xiangzhi.imports.tests.importers import CONTACTS, GROUPS
from xiangzhi.tests.helpers import run_tasks

pytestmark = pytest.mark.django_db


def _groups(village):
    return sorted(
        VillageGroup.objects.unrestricted("the test reads what was written")
        .filter(village=village)
        .values_list("number", "name")
    )


def _checked(actor, job):
    job = services.job_map(actor=actor, job=job, mapping=job.mapping)
    services.job_check(actor=actor, job=job)
    run_tasks()
    job.refresh_from_db()
    return job


def test_upload_check_commit_and_again_changes_nothing(admin_user, village_b):
    # given a workbook with title rows, a sheet without header, a blank row, a formula and a total row
    job = groups_job(admin_user, village_b)
    assert job.state == State.UPLOADED and job.village == village_b
    assert job.mapping == {"组号": "number", "小组名称": "name", "备注": ""}
    # when it is checked
    job = _checked(admin_user, job)
    # then the report counts three new groups, and says what reading did
    assert job.state == State.CHECKED
    assert {k: job.counts[k] for k in ("new", "changed", "unchanged", "refused", "rows")} == {
        "new": 3,
        "changed": 0,
        "unchanged": 0,
        "refused": 0,
        "rows": 3,
    }
    problems = [(i["sheet"], i["row"], i["problem"]) for i in job.report["issues"]]
    assert ("一村", 7, "单元格中是公式。") in problems and ("一村", 8, "合计或小计行。") in problems
    assert _groups(village_b) == []  # the dry run wrote nothing
    # when it is committed, twice (a double click)
    services.job_commit(actor=admin_user, job=job)
    services.job_commit(actor=admin_user, job=job)
    assert run_tasks() == 1
    job.refresh_from_db()
    assert job.state == State.COMMITTED and job.rows_done == 3
    assert _groups(village_b) == [(1, "一组"), (2, "二组"), (3, "3组")]
    assert AuditEntry.objects.unrestricted("test").filter(action="imports.job.commit").count() == 1
    # and the same file again changes nothing
    again = _checked(admin_user, groups_job(admin_user, village_b))
    assert (again.counts["new"], again.counts["unchanged"]) == (0, 3)


def test_a_failed_commit_rolls_back_whole_and_says_why(admin_user, village_b, monkeypatch):
    job = _checked(admin_user, groups_job(admin_user, village_b))
    monkeypatch.setattr(GROUPS, "fail_at", 2)
    services.job_commit(actor=admin_user, job=job)
    run_tasks()
    job.refresh_from_db()
    assert job.state == State.FAILED
    assert "写入失败" in job.reason
    assert _groups(village_b) == []  # group 1 was written, then rolled back with the rest
    # the clerk may check it again and retry
    monkeypatch.setattr(GROUPS, "fail_at", None)
    job = _checked(admin_user, job)
    services.job_commit(actor=admin_user, job=job)
    run_tasks()
    assert [number for number, _name in _groups(village_b)] == [1, 2, 3]


def test_commit_only_after_a_check(admin_user, village_b):
    job = groups_job(admin_user, village_b)
    with pytest.raises(ValidationError):
        services.job_commit(actor=admin_user, job=job)


def test_mapping_corrected_saved_and_offered_for_the_next_file(admin_user, village_b):
    data = xlsx({"表": [["编号", "小组名称"], [5, "五组"], [6, "六组"]]})
    job = groups_job(admin_user, village_b, data)
    assert job.mapping == {"编号": "", "小组名称": "name"}
    with pytest.raises(ValidationError) as refused:
        services.job_map(actor=admin_user, job=job, mapping={"编号": "name", "小组名称": "name"})
    assert "组号" in str(refused.value.messages) and "多列" in str(refused.value.messages)
    services.job_map(
        actor=admin_user, job=job, mapping={"编号": "number", "小组名称": "name"}, save_as="老格式"
    )
    saved = SavedMapping.objects.restrict(admin_user, GROUPS.action).get()
    assert saved.name == "老格式" and saved.mapping == {"编号": "number", "小组名称": "name"}
    # the next file with the same columns (under a title this time) is matched by the saved mapping
    next_job = groups_job(admin_user, village_b, xlsx({"表": [["标题"], ["编 号", "小组名称"], [7, "七组"]]}))
    assert next_job.mapping == {"编号": "number", "小组名称": "name"}
    assert services.saved_mapping_for(actor=admin_user, job=next_job) == saved


def test_who_sees_which_job(admin_user, alice, charlie, grid, clerk, village_a, village_b):
    in_a = contacts_job(alice, village_a)
    in_b = contacts_job(admin_user, village_b)
    assert set(selectors.jobs(user=admin_user)) == {in_a, in_b}
    assert list(selectors.jobs(user=alice)) == [in_a]
    assert list(selectors.jobs(user=grid)) == [in_a]
    assert list(selectors.jobs(user=charlie)) == [in_b]
    assert list(selectors.jobs(user=clerk)) == []
    with pytest.raises(ImportJob.DoesNotExist):
        selectors.job_get(user=alice, pk=in_b.pk)
    # a cadre cannot start a job for another village
    with pytest.raises(NotInScope):
        contacts_job(alice, village_b)


def test_a_refused_file_changes_nothing(admin_user, village_b):
    with pytest.raises(ValidationError) as refused:
        services.job_upload(
            actor=admin_user,
            kind=GROUPS.kind,
            upload=upload(b"MZ" + b"\x00" * 100, "小组.xlsx"),
            options={"village": village_b.pk},
        )
    assert refused.value.code == "not_spreadsheet"
    with pytest.raises(ValidationError) as no_header:
        groups_job(admin_user, village_b, xlsx({"表": [["随便"], ["什么", "都行"]]}))
    assert no_header.value.code == "no_header"
    assert not ImportJob.objects.unrestricted("test").exists()


def test_uploaded_files_are_deleted_after_a_while(admin_user, village_b):
    job = _checked(admin_user, groups_job(admin_user, village_b))
    services.job_commit(actor=admin_user, job=job)
    run_tasks()
    assert tasks.import_files_purge.call() == 0
    ImportJob.objects.unrestricted("test").filter(pk=job.pk).update(
        committed_at=timezone.now() - datetime.timedelta(days=8)
    )
    assert tasks.import_files_purge.call() == 1
    job.refresh_from_db()
    assert not job.file and job.file_deleted_at


# ---------------------------------------------------------------------------------------------- pages


def test_pages_upload_correct_check_commit_and_download(admin_user, village_b):
    client = Client()
    client.force_login(admin_user)
    page = client.get("/imports/")
    assert "导入村民小组" in page.content.decode()
    answer = client.post(
        f"/imports/new/{GROUPS.kind}/",
        {
            "file": upload(xlsx({"表": [["编号", "小组名称"], [5, "五组"]]}), "x.xlsx"),
            "village": village_b.pk,
        },
    )
    assert answer.status_code == 302
    job = ImportJob.objects.restrict(admin_user, GROUPS.action).get()
    body = client.get(f"/imports/{job.pk}/").content.decode()
    assert "五组" in body  # the sample values under each column
    # an incomplete matching names the missing field
    body = client.post(f"/imports/{job.pk}/", {"col_0": "", "col_1": "name"}).content.decode()
    assert "没有列对应" in body and "组号" in body
    assert client.post(f"/imports/{job.pk}/", {"col_0": "number", "col_1": "name"}).status_code == 302
    assert "正在检查" in client.get(f"/imports/{job.pk}/progress/").content.decode()
    run_tasks()
    body = client.get(f"/imports/{job.pk}/").content.decode()
    assert "确认导入" in body or "导入" in body
    report = client.get(f"/imports/{job.pk}/report.xlsx")
    assert report["Content-Type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(report.content))
    assert book.sheetnames == ["数量", "问题"]
    assert client.post(f"/imports/{job.pk}/commit/").status_code == 302
    run_tasks()
    assert _groups(village_b) == [(5, "五组")]


def test_a_refused_upload_is_shown_on_the_form(admin_user, village_b):
    client = Client()
    client.force_login(admin_user)
    body = client.post(
        f"/imports/new/{GROUPS.kind}/",
        {"file": upload(b"%PDF-1.4 " + b"\x00" * 50, "a.xlsx"), "village": village_b.pk},
    ).content.decode()
    assert "不是表格文件" in body


def test_outsider_gets_404(charlie, clerk, other_town_admin, admin_user, village_a):
    job = contacts_job(admin_user, village_a)
    for user in (charlie, clerk, other_town_admin):
        client = Client()
        client.force_login(user)
        assert client.get(f"/imports/{job.pk}/").status_code == 404
        assert client.get(f"/imports/{job.pk}/progress/").status_code == 404
        assert client.post(f"/imports/{job.pk}/commit/").status_code == 404


def test_report_cells_are_neutralised():
    from xiangzhi.imports.export import neutralise

    assert [neutralise(v) for v in ("=1+2", "+86", "-3", "@SUM(A1)", "\tx", "\rx", "张三", 5)] == [
        "'=1+2",
        "'+86",
        "'-3",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "张三",
        5,
    ]
    assert CONTACTS.kind == "tests.contacts"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_commit_on_postgresql_writes_its_progress_beside_it(admin_user, village_b, monkeypatch):
    # the progress goes through a connection of its own while the commit's transaction runs: it must never wait
    # on a lock that transaction holds (the job's row), or the commit would never end
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite writes the progress at the end, in the commit's transaction")
    monkeypatch.setattr(services, "PROGRESS_EVERY", 1)
    job = _checked(admin_user, groups_job(admin_user, village_b))
    services.job_commit(actor=admin_user, job=job)
    run_tasks()
    job.refresh_from_db()
    assert job.state == State.COMMITTED, job.reason
    assert job.rows_done == 3
