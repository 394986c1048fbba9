"""PostgreSQL keeps search tokens in the "C" collation so prefix ranges follow code points (as in SQLite)."""

from django.db import migrations


def collate_c(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE registry_searchtoken ALTER COLUMN token TYPE varchar(80) COLLATE "C"')


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(collate_c, migrations.RunPython.noop)]
