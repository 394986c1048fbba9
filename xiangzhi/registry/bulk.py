"""Rows written straight through the DB-API in bulk (COPY on PostgreSQL): the demo town's loader and the ledger
import, where Django's bulk_create would spend most of the time building model instances."""

from django.db import connection


class RawInsert:
    """Rows written straight through the DB-API (COPY on PostgreSQL), bypassing model instances.

    This is seed data by the million: Django's bulk_create spends most of its time building and preparing model
    instances. The caller supplies database values for `attnames` (encrypting what an EncryptedCharField would);
    every other column gets its field default, prepared once.
    """

    def __init__(self, model, attnames: list[str]):
        meta = model._meta
        rest = [f for f in meta.concrete_fields if not f.primary_key and f.attname not in attnames]
        defaults = [f.get_default() for f in rest]
        for f, value in zip(rest, defaults, strict=True):
            if value is None and not f.null:
                raise ValueError(f"{meta.label}.{f.name} has no default: supply it")
        self.tail = tuple(f.get_db_prep_save(v, connection) for f, v in zip(rest, defaults, strict=True))
        qn = connection.ops.quote_name
        columns = ", ".join(qn(meta.get_field(a).column) for a in attnames) + "".join(
            ", " + qn(f.column) for f in rest
        )
        self.table = qn(meta.db_table)
        self.columns = columns
        self.placeholders = ", ".join(["%s"] * (len(attnames) + len(rest)))

    def write(self, rows: list[tuple]) -> None:
        if not rows:
            return
        tail = self.tail
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and hasattr(cursor.cursor, "copy"):  # psycopg 3
                with cursor.cursor.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row + tail)
            else:
                cursor.executemany(
                    # identifiers from the model's meta, quoted; values are parameters
                    f"INSERT INTO {self.table} ({self.columns}) VALUES ({self.placeholders})",  # noqa: S608
                    [row + tail for row in rows],
                )
