"""Peak memory of the import engine reading a generated 1,000,000-row ledger (.xlsx or .csv).

    python bench/import_read_memory.py generate 1000000          # writes var/bench/big<N>.xlsx and .csv
    python bench/import_read_memory.py read var/bench/big1000000.csv
    python bench/import_read_memory.py read var/bench/big1000000.xlsx [stream]

Prints the rows read, the time of each step and the peak RSS (ru_maxrss) of the process.
"""

import csv
import os
import resource
import sys
import time
from pathlib import Path

HEADER = ["姓名", "性别", "身份证号", "出生日期", "组别", "与户主关系", "联系电话", "备注"]


def generate(n: int) -> None:
    from openpyxl import Workbook

    out = Path("var/bench")
    out.mkdir(parents=True, exist_ok=True)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.append(["某村村民台账"])
    sheet.append(HEADER)
    with open(out / f"big{n}.csv", "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(n):
            row = [
                f"张{i}",
                "男",
                f"500111199{i % 10}0101{i % 10000:04d}",
                "1958.3.12",
                f"{i % 9 + 1}组",
                "户主",
                f"138{i:08d}",
                "",
            ]
            sheet.append(row)
            writer.writerow(row)
    book.save(out / f"big{n}.xlsx")


def read(path: str, stream: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiangzhi.config.settings.test")
    import django

    django.setup()
    from xiangzhi.imports import reading, safety
    from xiangzhi.imports.engine import Field

    fields = [
        Field("name", "姓名", required=True),
        Field("id_number", "身份证号"),
        Field("group", "组别"),
        Field("phone", "联系电话"),
    ]
    t0 = time.time()
    with open(path, "rb") as handle:
        found = safety.inspect(handle)
    t1 = time.time()
    streamed = found.merges if stream else None
    layouts = reading.layout(path, found.kind, fields, found.encoding or "utf-8", streamed=streamed)
    t2 = time.time()
    log = reading.ReadLog()
    rows = sum(
        1
        for _ in reading.read_rows(
            path,
            found.kind,
            layouts=layouts,
            mapping=reading.auto_mapping(layouts, fields),
            log=log,
            encoding=found.encoding or "utf-8",
            formulas=found.formulas,
            streamed=streamed,
        )
    )
    t3 = time.time()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{path}: {rows} rows; inspect {t1 - t0:.1f}s, layout {t2 - t1:.1f}s, read {t3 - t2:.1f}s; "
        f"peak RSS {peak:.0f} MB"
    )


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(int(sys.argv[2]))
    else:
        read(sys.argv[2], len(sys.argv) > 3 and sys.argv[3] == "stream")
