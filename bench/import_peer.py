"""The peer of bench/import.py: the same ledger through django-import-export, as a Django developer would write it.

Two `ModelResource`s (a household per distinct household number, then a resident per row with the membership and
the head set in `after_save_instance`), fed a tablib Dataset read from the same workbook. Not part of the app: the
bench only. It writes what the import-export way writes — rows through the ORM, one query or more per row, no
search keys, no audit — so the comparison flatters the peer.
"""

import datetime

import tablib
from import_export import fields, resources, widgets

from xiangzhi.areas.models import Village, VillageGroup
from xiangzhi.core.crypto import blind_index
from xiangzhi.registry.choices import IdStatus, Relationship, ResidenceStatus, Sex
from xiangzhi.registry.ledger.layout import COLUMNS
from xiangzhi.registry.models import Household, Membership, Resident

HEADERS = [c.header for c in COLUMNS]
KEY = {c.header: c.key for c in COLUMNS}
SEX = {"男": Sex.MALE, "女": Sex.FEMALE}
RELATIONSHIP = {
    "户主": Relationship.HEAD,
    "配偶": Relationship.SPOUSE,
    "子": Relationship.SON,
    "女": Relationship.DAUGHTER,
    "孙子": Relationship.GRANDSON,
    "孙女": Relationship.GRANDDAUGHTER,
    "父亲": Relationship.FATHER,
    "母亲": Relationship.MOTHER,
    "儿媳": Relationship.DAUGHTER_IN_LAW,
    "女婿": Relationship.SON_IN_LAW,
    "祖父": Relationship.GRANDFATHER,
    "祖母": Relationship.GRANDMOTHER,
    "兄弟姐妹": Relationship.SIBLING,
}
STATUS = {
    "在家": ResidenceStatus.AT_HOME,
    "外出务工": ResidenceStatus.MIGRANT,
    "外出就学": ResidenceStatus.STUDYING,
}


def read_dataset(path: str, village_names: list[str]) -> tablib.Dataset:
    """The workbook as one tablib Dataset (import-export reads one sheet with a header on its first row; a ledger
    has a sheet per group under title rows, so the peer gets the rows gathered, with a village column taken from
    the sheet's name)."""
    from openpyxl import load_workbook

    data = tablib.Dataset(headers=["村", *HEADERS])
    wb = load_workbook(path, read_only=True)
    for ws in wb.worksheets:
        village = next(v for v in sorted(village_names, key=len, reverse=True) if ws.title.startswith(v))
        header_seen = False
        for row in ws.iter_rows(values_only=True):
            if not header_seen:
                header_seen = list(row[: len(HEADERS)]) == HEADERS
                continue
            cells = list(row[: len(HEADERS)])  # a row's empty cells at its end are not in the file
            data.append([village, *cells, *[None] * (len(HEADERS) - len(cells))])
    wb.close()
    return data


class _TownRows:
    """What every resource here needs: the town the rows go into, and its groups by (village, group name)."""

    def __init__(self, *, town, **kwargs):
        super().__init__(**kwargs)
        self.town = town
        self.groups = {
            (g.village.name, g.name): g
            for g in VillageGroup.objects.unrestricted("bench peer")
            .filter(town=town)
            .select_related("village")
        }


class HouseholdResource(_TownRows, resources.ModelResource):
    village = fields.Field(column_name="村", attribute="village", widget=widgets.ForeignKeyWidget(Village))
    number = fields.Field(column_name="户号", attribute="number")
    address = fields.Field(column_name="家庭住址", attribute="address")
    house_number = fields.Field(column_name="门牌号", attribute="house_number")

    class Meta:
        model = Household
        fields = ("village", "number", "address", "house_number")
        import_id_fields = ("village", "number")
        skip_unchanged = True

    def get_queryset(self):
        return Household.objects.unrestricted("bench peer").filter(town=self.town)

    def before_import_row(self, row, **kwargs):
        group = self.groups[(row["村"], row["组别"])]
        row["group_obj"], row["村"] = group, group.village_id  # a village's name is unique in its town only

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        instance.town = self.town
        instance.group = row["group_obj"]


class ResidentResource(_TownRows, resources.ModelResource):
    name = fields.Field(column_name="姓名", attribute="name")
    sex = fields.Field(column_name="性别", attribute="sex")
    birth_date = fields.Field(column_name="出生日期", attribute="birth_date", widget=widgets.DateWidget())
    id_number = fields.Field(column_name="身份证号码", attribute="id_number")
    residence_status = fields.Field(column_name="居住状态", attribute="residence_status")
    notes = fields.Field(column_name="备注", attribute="notes")

    class Meta:
        model = Resident
        fields = ("name", "sex", "birth_date", "id_number", "residence_status", "notes")
        skip_unchanged = True

    def get_queryset(self):
        return Resident.objects.unrestricted("bench peer").filter(town=self.town)

    def get_instance(self, instance_loader, row):
        """By ID number (its blind index: the number itself is stored encrypted), else name and household."""
        qs = self.get_queryset()
        if row["身份证号码"]:
            return qs.filter(id_blind=blind_index("id", row["身份证号码"])).first()
        return qs.filter(name=row["姓名"], household=row["household_obj"]).first()

    def before_import_row(self, row, **kwargs):
        group = self.groups[(row["村"], row["组别"])]
        row["household_obj"] = Household.objects.unrestricted("bench peer").get(
            village=group.village, number=row["户号"]
        )
        row["性别"] = SEX.get(row["性别"], row["性别"])
        row["居住状态"] = STATUS.get(row["居住状态"], ResidenceStatus.AT_HOME)
        if isinstance(row["出生日期"], datetime.datetime):
            row["出生日期"] = row["出生日期"].date()
        row["身份证号码"] = row["身份证号码"] or None
        row["备注"] = row["备注"] or ""

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        instance.town = self.town
        instance.household = row["household_obj"]
        instance.id_status = IdStatus.PRESENT if instance.id_number else IdStatus.NONE
        instance.id_blind = blind_index("id", instance.id_number) if instance.id_number else None

    def after_save_instance(self, instance, row, **kwargs):
        if kwargs.get("dry_run"):
            return
        household = row["household_obj"]
        if not Membership.objects.unrestricted("bench peer").filter(resident=instance).exists():
            Membership.objects.create(
                town=self.town,
                household=household,
                resident=instance,
                relationship=RELATIONSHIP.get(row["与户主关系"], Relationship.OTHER),
            )
        if row["与户主关系"] == "户主" and household.head_id != instance.pk:
            household.head = instance
            household.save(update_fields=["head"])


def peer_import(path: str, *, town, dry_run: bool, limit: int | None = None) -> dict:
    """Both resources over the workbook; the households first (a dry run of the residents needs them, so a dry
    run of the whole file creates the households inside a transaction it rolls back). `limit`: only the first
    rows (whole households), when the whole file would take too long to wait for."""
    from django.db import transaction

    villages = list(
        Village.objects.unrestricted("bench peer").filter(town=town).values_list("name", flat=True)
    )
    data = read_dataset(path, villages)
    if limit is not None and limit < len(data):
        cut = limit
        while (
            cut < len(data) and data[cut][2] == data[cut - 1][2]
        ):  # the same household number: keep it whole
            cut += 1
        kept = tablib.Dataset(*data[:cut], headers=data.headers)
        data = kept
    households = tablib.Dataset(headers=data.headers)
    seen = set()
    for row in data.dict:
        key = (row["村"], row["户号"])
        if key not in seen:
            seen.add(key)
            households.append([row[h] for h in data.headers])

    class Rollback(Exception):
        pass

    counts = {}
    try:
        with transaction.atomic():
            h = HouseholdResource(town=town).import_data(households, dry_run=False, raise_errors=True)
            r = ResidentResource(town=town).import_data(data, dry_run=False, raise_errors=True)
            counts = {"households": dict(h.totals), "residents": dict(r.totals), "rows": len(data)}
            if dry_run:
                raise Rollback
    except Rollback:
        pass
    return counts
