"""Two small importers that exist only for the engine's tests.

* "tests.groups" (区划 set-up, `areas.configure`): a village's groups (组号, 组名), written through
  `areas.services.group_save` — real writes, so a failure shows the rollback.
* "tests.contacts" (`registry.change`: a cadre's village, a grid worker's groups): names and phones, checked
  but never written — for who sees which job.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError

from xiangzhi.areas.models import Village, VillageGroup
from xiangzhi.areas.services import group_save
from xiangzhi.imports.engine import Field, Importer, Issue, Report, register_importer


class VillageOption(forms.Form):
    village = forms.ModelChoiceField(queryset=Village.objects.none(), label="村")

    def __init__(self, *args, user, action, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["village"]).queryset = Village.objects.restrict(user, action)


class GroupsImporter(Importer):
    kind = "tests.groups"
    label = "村民小组"
    action = "areas.configure"
    fields = (
        Field("number", "组号", synonyms=("组别", "小组编号"), required=True),
        Field("name", "组名", synonyms=("名称", "小组名称")),
    )
    fail_at: int | None = None  # raise at this row in commit (the rollback test)

    def options_form(self, *, user, data=None):
        return VillageOption(data, user=user, action=self.action)

    def options_to_json(self, cleaned_data):
        return {"village": cleaned_data["village"].pk}

    def _check(self, rows, options, report: Report, write=None, progress=None):
        village = Village.objects.unrestricted("the job's village, checked at upload").get(
            pk=options["village"]
        )
        existing = {
            g.number: g
            for g in VillageGroup.objects.unrestricted("the village's groups").filter(village=village)
        }
        seen: set[int] = set()
        for done, row in enumerate(rows, start=1):
            raw = row.values.get("number")
            try:
                number = int(float(str(raw).rstrip("组"))) if raw is not None else None
            except ValueError:
                number = None
            if number is None:
                report.issues.append(Issue(row.sheet, row.row, "number", "组号不是数字", "未导入"))
                report.counts["refused"] += 1
                continue
            if number in seen:
                report.issues.append(Issue(row.sheet, row.row, "number", "文件中组号重复", "未导入"))
                report.counts["refused"] += 1
                continue
            seen.add(number)
            name = str(row.values.get("name") or f"{number}组")
            group = existing.get(number)
            if group is not None and group.name == name:
                report.counts["unchanged"] += 1
            elif group is not None:
                report.counts["changed"] += 1
                report.changes.append({"sheet": row.sheet, "row": row.row, "name": [group.name, name]})
                if write:
                    write(group=group, number=number, name=name)
            else:
                report.counts["new"] += 1
                if write:
                    write(village=village, number=number, name=name)
            if self.fail_at is not None and done >= self.fail_at and write:
                raise ValidationError(f"第{row.row}行：写入失败（测试）")
            if progress:
                progress(done)
        return report

    def dry_run(self, *, actor, rows, options):
        return self._check(rows, options, Report())

    def commit(self, *, actor, rows, options, progress):
        def write(**kwargs: Any):
            group_save(actor=actor, **kwargs)

        return self._check(rows, options, Report(), write=write, progress=progress)


class ContactsImporter(Importer):
    kind = "tests.contacts"
    label = "联系人"
    action = "registry.change"
    fields = (
        Field("name", "姓名", synonyms=("名字",), required=True),
        Field("phone", "联系电话", synonyms=("电话", "手机号码")),
        Field("note", "备注"),
    )

    def options_form(self, *, user, data=None):
        return VillageOption(data, user=user, action=self.action)

    def options_to_json(self, cleaned_data):
        return {"village": cleaned_data["village"].pk}

    def dry_run(self, *, actor, rows, options):
        report = Report()
        for row in rows:
            if not row.values.get("name"):
                report.issues.append(Issue(row.sheet, row.row, "name", "缺少姓名", "未导入"))
                report.counts["refused"] += 1
            else:
                report.counts["new"] += 1
        return report

    def commit(self, *, actor, rows, options, progress):
        report = self.dry_run(actor=actor, rows=rows, options=options)
        progress(report.counts["new"])
        return report


GROUPS = GroupsImporter()
CONTACTS = ContactsImporter()
register_importer(GROUPS)
register_importer(CONTACTS)
