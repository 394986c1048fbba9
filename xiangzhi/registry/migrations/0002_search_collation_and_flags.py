"""PostgreSQL keeps search tokens in the "C" collation so prefix ranges follow code points (as in SQLite);
and the default flags of the BRIEF are created once (towns may add their own)."""

from django.db import migrations

FLAGS = [
    # code, name, emergency, has_level
    ("dibao", "低保", False, False),
    ("tekun", "特困", True, False),
    ("disabled", "残疾", True, True),
    ("elderly_alone", "独居老人", True, False),
    ("left_behind_elderly", "留守老人", True, False),
    ("left_behind_child", "留守儿童", True, False),
    ("lifted_poverty", "脱贫户", False, False),
    ("relapse_watch", "防返贫监测对象", False, False),
    ("party_member", "党员", False, False),
    ("veteran", "退役军人", False, False),
]


def collate_c(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE registry_searchtoken ALTER COLUMN token TYPE varchar(80) COLLATE "C"')


def add_flags(apps, schema_editor):
    FlagType = apps.get_model("registry", "FlagType")
    for sort, (code, name, emergency, has_level) in enumerate(FLAGS):
        FlagType.objects.get_or_create(
            code=code, defaults={"name": name, "emergency": emergency, "has_level": has_level, "sort": sort}
        )


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [
        migrations.RunPython(collate_c, migrations.RunPython.noop),
        migrations.RunPython(add_flags, migrations.RunPython.noop),
    ]
