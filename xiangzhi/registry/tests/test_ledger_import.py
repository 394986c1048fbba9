"""The village ledger importer: the messy workbook's report row by row, commit, idempotence, updates, scope."""



from xiangzhi.core.models import AuditEntry
from xiangzhi.registry.ledger.importer import LedgerImporter
from xiangzhi.registry.models import Resident
from xiangzhi.registry.tests import ledger_workbook as wb


def _elsewhere(household_b):
    return household_b.head.id_number


def test_debug(alice, village_a, group_a1, group_a2, household_b):
    rows = wb.source_rows(_elsewhere(household_b))
    imp = LedgerImporter()
    report = imp.commit(actor=alice, rows=rows, options={"village": village_a.pk}, progress=lambda n: None)
    print(report.counts)
    n = AuditEntry.objects.count()
    report = imp.commit(actor=alice, rows=rows, options={"village": village_a.pk}, progress=lambda n: None)
    print(report.counts, report.changes)
    for i in report.issues:
        print(i)
    print(AuditEntry.objects.count() - n)
    for r in Resident.objects.all():
        print(
            r.name, r.household.number, r.id_number, [p.number for p in r.phones.all()], list(r.flags.all())
        )
    assert 0
