"""Import jobs made through the services, as a user makes them on the pages."""

from xiangzhi.imports import services
from xiangzhi.imports.tests.files import csv_bytes, groups_workbook, upload
from xiangzhi.imports.tests.importers import CONTACTS, GROUPS


def groups_job(actor, village, data: bytes | None = None, name: str = "小组.xlsx"):
    return services.job_upload(
        actor=actor,
        kind=GROUPS.kind,
        upload=upload(data or groups_workbook(), name),
        options={"village": village.pk},
    )


def contacts_job(actor, village):
    data = csv_bytes([["姓名", "电话"], ["张三", "13800000000"], ["", "13900000000"]])
    return services.job_upload(
        actor=actor, kind=CONTACTS.kind, upload=upload(data, "联系人.csv"), options={"village": village.pk}
    )
