"""The village ledger importer: the messy workbook's report row by row, commit, idempotence, updates, scope,
query counts."""

import datetime

import pytest

from xiangzhi.core.crypto import blind_index
from xiangzhi.core.exceptions import NotInScope
from xiangzhi.core.models import AuditEntry
from xiangzhi.imports.engine import SourceRow, importer_for
from xiangzhi.registry import search
from xiangzhi.registry.ledger.importer import LedgerImporter
from xiangzhi.registry.models import Membership, Resident, SearchToken
from xiangzhi.registry.services.ledger import resident_search_keys
from xiangzhi.registry.tests import ledger_workbook as wb
from xiangzhi.registry.tests.factories import make_id

NOOP = lambda n: None  # noqa: E731


def _run(actor, village, rows, *, commit=False):
    importer = importer_for("registry.ledger")
    options = {"village": village.pk}
    if commit:
        return importer.commit(actor=actor, rows=rows, options=options, progress=NOOP)
    return importer.dry_run(actor=actor, rows=rows, options=options)


@pytest.fixture
def messy(household_b, group_a1, group_a2):
    return wb.source_rows(household_b.head.id_number)


# What the messy ledger must report: (sheet, row as Excel shows it, field, level).
EXPECTED = {
    ("一组", 6, "id_number", "error"),  # 刘小军: the same ID number as 周三 on 二组 row 5
    ("一组", 9, "id_number", "error"),  # 陈老汉: 5.00111E+17
    ("一组", 10, "relationship", "error"),  # 陈小花: her head's row is refused
    ("一组", 11, "birth_date", "warning"),  # 王五: 1970/1/2 but the ID says 1970-01-03
    ("一组", 11, "sex", "warning"),  # 王五: 女 but the ID says male
    ("一组", 12, "id_number", "error"),  # 王小五: check character
    ("一组", 13, "id_number", "error"),  # 王小丫: 500111200501010000, 15 digits and zeros
    ("一组", 14, "id_number", "warning"),  # 张无名: no ID number
    ("一组", 15, "relationship", "error"),  # 赵六: under 孙大圣, who is no head above
    ("二组", 4, "residence_status", "warning"),  # 周二: 死亡 and not on record
    ("二组", 5, "id_number", "error"),  # 周三: the same ID number as 刘小军
    ("二组", 6, "group", "error"),  # 吴七: 第三组
    ("二组", 7, "group", "error"),  # 吴八: 第三组 (merged)
    ("二组", 8, "id_number", "error"),  # 郑九: registered in village B, out of the cadre's sight
    ("二组", 9, "relationship", "error"),  # 郑十: head refused
}


def test_the_messy_ledger_report_row_by_row(alice, village_a, messy):
    report = _run(alice, village_a, messy)

    assert {(i.sheet, i.row, i.field, i.level) for i in report.issues} == EXPECTED
    assert report.counts == {
        "new": 6,  # 刘大山 赵桂兰 刘小红 王五 张无名 周一
        "changed": 0,
        "unchanged": 0,
        "refused": 11,
        "warnings": 3,
        "skipped": 1,
        "households_new": 3,
        "households_changed": 0,
    }
    problems = {(i.sheet, i.row, i.field): i.problem for i in report.issues}
    assert "5.00111E+17" in problems["一组", 9, "id_number"]
    assert "二组" in problems["一组", 6, "id_number"] and "5" in problems["一组", 6, "id_number"]
    assert "第三组" in problems["二组", 6, "group"]
    assert "B-001" not in problems["二组", 8, "id_number"]  # another village's household is not named
    # the dry run wrote nothing but the lasting row of the ID number found elsewhere
    assert not Resident.objects.filter(household__village=village_a).exists()


def test_commit_writes_through_the_registry_invariants(alice, village_a, group_a1, messy):
    before = AuditEntry.objects.count()
    report = _run(alice, village_a, messy, commit=True)
    assert report.counts["new"] == 6

    liu = Resident.objects.get(name="刘大山")
    assert liu.id_number == wb.LIU_DASHAN and liu.birth_date == datetime.date(1958, 3, 12) and liu.sex == "M"
    assert [p.number for p in liu.phones.order_by("priority")] == ["13812345678", "02343721234"]
    assert sorted((f.flag.code, f.level) for f in liu.flags.all()) == [("dibao", None), ("disabled", 2)]
    household = liu.household
    assert household.head == liu and household.group == group_a1
    assert household.number == "00101001"  # the town's pattern: village 001, group 01, first household
    assert [
        (m.resident.name, m.relationship, m.start_reason) for m in household.memberships.order_by("id")
    ] == [
        ("刘大山", "head", "registered"),
        ("赵桂兰", "spouse", "registered"),
        ("刘小红", "daughter", "registered"),
    ]
    hong = Resident.objects.get(name="刘小红")
    assert hong.id_number == "500111198802100249" and hong.residence_status == "studying"
    assert Resident.objects.get(name="赵桂兰").id_number == wb.ZHAO_GUILAN  # full-width digits
    wang = Resident.objects.get(name="王五")
    assert wang.sex == "M" and wang.birth_date == datetime.date(1970, 1, 3)  # the ID number's
    nameless = Resident.objects.get(name="张无名")
    assert nameless.id_status == "none" and nameless.no_id_reason
    # search keys equal what the services build, so the resident is found by pinyin
    for resident in Resident.objects.filter(household__village=village_a):
        stored = set(SearchToken.objects.filter(resident=resident).values_list("token", flat=True))
        assert stored == {t.token for t in search.build_resident_tokens(resident)}
    hits = search.search(alice, "liudashan")
    assert [h.resident.name for h in hits if h.resident] == ["刘大山"]
    # one audit row per record written, said to come from the ledger, and one for the import
    rows = AuditEntry.objects.filter(pk__gt=0).order_by("id")[before:]
    actions = [r.action for r in AuditEntry.objects.order_by("id")][before:]
    assert actions.count("registry.resident.add") == 6
    assert actions.count("registry.household.create") == 3
    assert actions.count("registry.ledger.import") == 1
    add = AuditEntry.objects.filter(action="registry.resident.add", target_id=str(liu.pk)).get()
    assert add.after["via"] == "台账导入" and add.after["id_number"] == "500111********" + wb.LIU_DASHAN[-4:]
    assert add.after["phones"][0]["number"] == "138****5678"
    assert list(rows)  # rows readable


def test_importing_the_same_file_twice_changes_nothing(alice, village_a, messy):
    _run(alice, village_a, messy, commit=True)
    audit_before = AuditEntry.objects.count()
    tokens_before = SearchToken.objects.count()

    report = _run(alice, village_a, messy, commit=True)

    assert report.counts["new"] == 0 and report.counts["changed"] == 0 and report.counts["unchanged"] == 6
    assert report.changes == []
    assert SearchToken.objects.count() == tokens_before
    # only the lasting row of the ID number registered elsewhere, checked again
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)[audit_before:]) == [
        "registry.resident.duplicate_id"
    ]
    info = [i for i in report.issues if i.level == "info"]
    assert [(i.sheet, i.row) for i in info] == [("一组", 14)]  # 张无名, matched by name and birth date


def _rows(*people, sheet="1组"):
    return [SourceRow(sheet=sheet, row=3 + i, values=values) for i, values in enumerate(people)]


def test_a_newer_ledger_updates_matching_residents_and_says_what_changed(alice, village_a, household_a):
    head, wife, son, mother = (m.resident for m in household_a.memberships.order_by("id"))
    rows = _rows(
        {
            "group": "1组",
            "household_number": "A-001",
            "name": "张三",
            "relationship": "户主",
            "id_number": head.id_number,
            "phones": "13812345678、13500001111",
            "flags": "低保",
            "residence_status": "在家",
        },
        {
            "name": "李四妹",
            "relationship": "妻",
            "id_number": "500111********" + wife.id_number[-4:],
            "phones": "139****1111",
            "residence_status": "外出务工",
        },
        {"name": "张小明", "relationship": "子", "id_number": son.id_number, "residence_status": "外出务工"},
        {"name": "王秀英", "relationship": "母亲", "id_number": mother.id_number, "residence_status": "死亡"},
        {"name": "张小宝", "relationship": "孙子", "id_number": make_id(datetime.date(2020, 2, 2), "M", 9)},
    )
    report = _run(alice, village_a, rows)
    assert report.counts["changed"] == 3 and report.counts["unchanged"] == 1 and report.counts["new"] == 1
    changes = {c["record"]: c["changes"] for c in report.changes}
    assert changes["张三"] == {
        "phones": ["138****5678", "138****5678、135****1111"],
        "flags": ["—", "低保"],
    }
    assert changes["李四妹"] == {"residence_status": ["at_home", "migrant"]}
    assert changes["王秀英"] == {"residence_status": ["at_home", "deceased"]}

    _run(alice, village_a, rows, commit=True)

    head.refresh_from_db()
    assert [p.number for p in head.phones.order_by("priority")] == ["13812345678", "13500001111"]
    assert [f.flag.code for f in head.flags.all()] == ["dibao"]
    wife.refresh_from_db()
    assert wife.residence_status == "migrant" and [p.number for p in wife.phones.all()] == ["13900001111"]
    mother.refresh_from_db()
    assert mother.residence_status == "deceased"
    assert Membership.objects.get(resident=mother).end_reason == "deceased"
    baby = Resident.objects.get(name="张小宝")
    assert baby.household == household_a
    assert Membership.objects.get(resident=baby).relationship == "grandson"
    update = AuditEntry.objects.filter(action="registry.resident.update", target_id=str(head.pk)).get()
    assert update.before["flags"] == [] and update.after["flags"] == ["dibao"]
    assert AuditEntry.objects.filter(
        action="registry.membership.end_deceased", target_id=str(mother.pk)
    ).exists()
    tokens = set(SearchToken.objects.filter(resident=head).values_list("token", flat=True))
    assert "f" + blind_index("phone", "13500001111") in tokens

    again = _run(alice, village_a, rows, commit=True)
    assert again.counts["changed"] == 0 and again.counts["new"] == 0


def test_an_id_number_in_another_household_of_the_village_is_refused_by_its_number(
    alice, village_a, household_a, group_a2
):
    wife = household_a.memberships.get(relationship="spouse").resident
    rows = _rows(
        {
            "group": "2组",
            "name": "赵大",
            "relationship": "户主",
            "id_number": make_id(datetime.date(1960, 1, 1), "M", 40),
        },
        {"name": "李四妹", "relationship": "妻", "id_number": wife.id_number},
    )
    report = _run(alice, village_a, rows)
    errors = [i for i in report.issues if i.level == "error"]
    (issue,) = errors
    assert (issue.row, issue.field) == (4, "id_number") and "A-001" in issue.problem


def test_a_cadre_cannot_import_into_another_village(alice, charlie, village_a, village_b, grid, messy):
    with pytest.raises(Village.DoesNotExist):
        _run(alice, village_b, messy)
    with pytest.raises(Village.DoesNotExist):
        _run(grid, village_a, messy)  # grid workers change their groups, they do not import ledgers
    from xiangzhi.registry.ledger.importer import plan_ledger
    from xiangzhi.registry.services.ledger import ledger_apply

    plan = plan_ledger(actor=alice, village=village_a, rows=messy)
    with pytest.raises(NotInScope):
        ledger_apply(actor=charlie, village=village_a, plan=plan)
    form = LedgerImporter().options_form(user=alice)
    assert list(form.fields["village"].queryset) == [village_a]


def _household_rows(n):
    rows = []
    for h in range(n // 4):
        for k, rel in enumerate(("户主", "妻", "长子", "长女")):
            sex = "M" if k in (0, 2) else "F"
            rows.append(
                {
                    "group": "1组",
                    "name": f"测{h}{k}",
                    "relationship": rel,
                    "id_number": make_id(datetime.date(1950 + k * 20, 1 + h % 12, 1 + h % 28), sex, h),
                    "phones": f"138{h:04d}{k:04d}",
                    "flags": "低保" if k == 0 else "",
                }
            )
    return _rows(*rows)


@pytest.mark.parametrize("size", [40, 400])
def test_the_dry_run_reads_a_bounded_number_of_times(
    alice, village_a, group_a1, size, django_assert_max_num_queries
):
    rows = _household_rows(size)
    _run(alice, village_a, rows[: len(rows) // 2], commit=True)  # half on record: matched and compared
    with django_assert_max_num_queries(14):
        report = _run(alice, village_a, rows)
    assert report.counts["new"] == size // 2 and report.counts["unchanged"] == size // 2


def test_the_bulk_search_keys_equal_the_search_modules():
    for name, phones, id_number in [
        ("张三", ["13812345678"], make_id(datetime.date(1970, 1, 1))),
        ("单于天", [], None),
        ("阿依古丽·买买提", ["02343721234", "13900001111"], None),
        ("朱红勇", [], make_id(datetime.date(1990, 5, 5), "F")),
    ]:
        pairs = [(n, blind_index("phone", n)) for n in phones]
        blind = blind_index("id", id_number) if id_number else None
        assert resident_search_keys(name, pairs, id_number, blind) == search.resident_keys(
            name, phones, id_number
        )


from xiangzhi.areas.models import Village  # noqa: E402


def test_pinyin_read_by_character_equals_pypinyin_on_the_whole_name():
    from xiangzhi.registry.demo import Generator

    gen = Generator(5, datetime.date(2026, 1, 1))
    names = {gen.name("M" if i % 2 else "F") for i in range(3000)} | {"朱红勇", "单于天", "曾重庆", "区长江"}
    for name in names:
        plain = search.normalize(name)
        assert search._syllables(plain) == search._whole_pinyin(plain), name


def test_the_messy_workbook_file_has_every_shape(household_b):
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(wb.xlsx(household_b.head.id_number)))
    assert book.sheetnames == ["一组", "二组"]
    one = book["一组"]
    assert one["A1"].value.startswith("玉峰村") and "A1:K1" in {str(r) for r in one.merged_cells.ranges}
    assert [c.value for c in one[3]][:3] == ["组别", "户主", "姓名"]
    assert "A4:A7" in {str(r) for r in one.merged_cells.ranges}
    assert isinstance(one["G9"].value, float)  # the destroyed ID number, a number cell
    assert one["A17"].value == "合计"
    rows = wb.source_rows(household_b.head.id_number)
    assert {(r.sheet, r.row) for r in rows if r.values["name"]} >= {("一组", 4), ("二组", 9)}
