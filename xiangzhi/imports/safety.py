"""What a file must pass before any spreadsheet parser sees it: its size, its real type (by its first bytes, not
its name), and for an .xlsx the zip (entry count, uncompressed size, compression ratio: zip bombs), every XML part
without a DOCTYPE or ENTITY (billion laughs), no macros; an OLE container that is encrypted is password-protected.
Cells holding formulas are found here too (never evaluated), so the reader can leave their values out.

`inspect(handle)` raises `Refused` (a ValidationError with a translated message) or returns what it found.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from typing import IO

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .reading import sniff_text_encoding

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# first bytes of files people send by mistake, named for the message
KNOWN_OTHERS = {
    b"%PDF": "PDF",
    b"MZ": "EXE",
    b"\x7fELF": "ELF",
    b"\x89PNG": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF8": "GIF",
    b"Rar!": "RAR",
    b"7z\xbc\xaf": "7Z",
    b"\x1f\x8b": "GZIP",
}
FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")
MERGE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\s+ref=\"([A-Z]{1,3}[0-9]{1,7}:[A-Z]{1,3}[0-9]{1,7})\"")


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


class Refused(ValidationError):
    """A file not read, and why (translated)."""


@dataclass
class Inspected:
    kind: str  # "xlsx", "xls" or "csv"
    encoding: str = ""  # for csv
    formulas: dict[str, list[str]] = field(default_factory=dict)  # sheet name → cell references
    merges: dict[str, list[str]] = field(default_factory=dict)  # sheet name → merged ranges (.xlsx)
    sizes: dict[str, int] = field(default_factory=dict)  # sheet name → its part's unpacked size (.xlsx)


def inspect(handle: IO[bytes], *, name: str = "") -> Inspected:
    handle.seek(0, 2)
    size = handle.tell()
    handle.seek(0)
    if size == 0:
        raise Refused(_("The file is empty."), code="empty")
    limit = _limit("XIANGZHI_IMPORT_MAX_BYTES", 100 * 1024 * 1024)
    if size > limit:
        raise Refused(
            _("The file is larger than %(limit)s MB.") % {"limit": limit // (1024 * 1024)}, code="too_big"
        )
    head = handle.read(8)
    handle.seek(0)
    if head.startswith(ZIP_MAGIC):
        return _inspect_xlsx(handle)
    if head.startswith(OLE_MAGIC):
        return _inspect_ole(handle)
    for magic in KNOWN_OTHERS:
        if head.startswith(magic):
            raise _not_a_spreadsheet()
    encoding = sniff_text_encoding(handle)
    if encoding is None:
        raise _not_a_spreadsheet()
    return Inspected(kind="csv", encoding=encoding, formulas={})


def _not_a_spreadsheet() -> Refused:
    return Refused(
        _("This file is not a spreadsheet. Please upload an Excel workbook (.xlsx or .xls) or a CSV file."),
        code="not_spreadsheet",
    )


def _password() -> Refused:
    return Refused(
        _(
            "The file is password-protected. Open it in Excel or WPS, remove the password, save it and upload it again."
        ),
        code="password",
    )


def _macros() -> Refused:
    return Refused(
        _(
            "The workbook contains macros, which are not accepted. Save it as an ordinary .xlsx workbook and upload it again."
        ),
        code="macros",
    )


def _unsafe() -> Refused:
    return Refused(_("The workbook is damaged or unsafe to open, so it was not read."), code="unsafe")


def _inspect_ole(handle: IO[bytes]) -> Inspected:
    import msoffcrypto
    import olefile

    handle.seek(0)
    try:
        ole = olefile.OleFileIO(handle)
    except (OSError, ValueError):
        raise _not_a_spreadsheet() from None
    try:
        streams = {"/".join(s).lower() for s in ole.listdir(streams=True, storages=True)}
    finally:
        ole.close()
    if "encryptioninfo" in streams or "encryptedpackage" in streams:
        raise _password()
    if any(s.startswith("_vba_project_cur") or s.startswith("macros") for s in streams):
        raise _macros()
    if "workbook" not in streams and "book" not in streams:
        raise _not_a_spreadsheet()  # a Word document, an old PowerPoint, …
    handle.seek(0)
    try:
        encrypted = msoffcrypto.OfficeFile(handle).is_encrypted()
    except Exception:  # msoffcrypto does not know every BIFF version; calamine still reads them
        encrypted = False
    handle.seek(0)
    if encrypted:
        raise _password()
    return Inspected(kind="xls")


def _inspect_xlsx(handle: IO[bytes]) -> Inspected:
    handle.seek(0)
    try:
        archive = zipfile.ZipFile(handle)
        entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _not_a_spreadsheet() from None
    if len(entries) > _limit("XIANGZHI_IMPORT_MAX_ZIP_ENTRIES", 2000):
        raise _unsafe()
    names = {e.filename.lower(): e for e in entries}
    if "[content_types].xml" not in names:
        raise _not_a_spreadsheet()
    if "xl/workbook.bin" in names:
        raise _macros()  # .xlsb: binary parts, macros possible, not read
    if "xl/workbook.xml" not in names:
        raise _not_a_spreadsheet()  # a .docx, .pptx, .zip
    if any(n.endswith("vbaproject.bin") or n.startswith("xl/macrosheets/") for n in names):
        raise _macros()
    total_limit = _limit("XIANGZHI_IMPORT_MAX_UNPACKED_BYTES", 1024 * 1024 * 1024)
    ratio_limit = _limit("XIANGZHI_IMPORT_MAX_ZIP_RATIO", 200)
    declared = 0
    for e in entries:
        declared += e.file_size
        if e.file_size > 1024 * 1024 and e.file_size > ratio_limit * max(e.compress_size, 1):
            raise _unsafe()
    if declared > total_limit:
        raise _unsafe()
    content_types = _read_limited(archive, names["[content_types].xml"], 1024 * 1024)
    if b"macroenabled" in content_types.lower() or b"vbaproject" in content_types.lower():
        raise _macros()
    sheets = _sheet_parts(archive, names)
    formulas: dict[str, list[str]] = {}
    merges: dict[str, list[str]] = {}
    sizes: dict[str, int] = {}
    budget = [total_limit]
    for e in entries:
        lower = e.filename.lower()
        if not (lower.endswith(".xml") or lower.endswith(".rels") or lower.endswith(".vml")):
            continue
        _check_xml(archive, e, budget)
        if lower in sheets:
            found, merged = _scan_sheet(archive, e, budget)
            if found:
                formulas[sheets[lower]] = found
            if merged:
                merges[sheets[lower]] = merged
            sizes[sheets[lower]] = e.file_size
    handle.seek(0)
    return Inspected(kind="xlsx", formulas=formulas, merges=merges, sizes=sizes)


def _read_limited(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, limit: int) -> bytes:
    with archive.open(entry) as part:
        data = part.read(limit + 1)
    if len(data) > limit:
        raise _unsafe()
    return data


class _Counted:
    """A zip member read with a running budget: a part that unpacks to more than it declared (or than the
    budget left) stops the reading, whatever its header says."""

    def __init__(self, archive: zipfile.ZipFile, entry: zipfile.ZipInfo, budget: list[int]):
        self.part = archive.open(entry)
        self.budget = budget

    def read(self, size: int = 65536) -> bytes:
        data = self.part.read(min(size, 1 << 20) if size and size > 0 else 1 << 20)
        self.budget[0] -= len(data)
        if self.budget[0] < 0:
            raise _unsafe()
        return data

    def close(self) -> None:
        self.part.close()


def _check_xml(archive: zipfile.ZipFile, entry: zipfile.ZipInfo, budget: list[int]) -> None:
    """Refuse a part with a DOCTYPE or an ENTITY declaration (parsed up to its root element: a DTD comes before
    it), or one that is not well-formed XML."""
    source = _Counted(archive, entry, [min(budget[0], 64 * 1024 * 1024)])
    try:
        for _event, _element in iterparse(source, events=("start",), forbid_dtd=True, forbid_entities=True):
            break
    except DefusedXmlException:
        raise _unsafe() from None
    except Exception:  # ParseError: not XML at all
        raise _unsafe() from None
    finally:
        source.close()


def _scan_sheet(
    archive: zipfile.ZipFile, entry: zipfile.ZipInfo, budget: list[int]
) -> tuple[list[str], list[str]]:
    """The references of the cells holding a formula, and the merged ranges ("A1:C1"). A fast byte scan finds
    the merged ranges and whether there is any formula; the sheet is parsed only if there is."""
    merges: list[str] = []
    seen = False
    with archive.open(entry) as part:
        tail = b""
        while block := part.read(1 << 20):
            budget[0] -= len(block)
            if budget[0] < 0:
                raise _unsafe()
            window = tail + block
            seen = seen or bool(FORMULA.search(window))
            # a tag cut at the block's end is found whole in the next window; one found whole twice is not kept
            for match in MERGE.finditer(window):
                if match.end() > len(tail):
                    merges.append(match.group(1).decode("ascii"))
            tail = block[-256:]
    if not seen:
        return [], merges
    refs: list[str] = []
    cell_ref = ""
    source = _Counted(archive, entry, [budget[0]])
    try:
        for event, element in iterparse(
            source, events=("start", "end"), forbid_dtd=True, forbid_entities=True
        ):
            tag = element.tag.rsplit("}", 1)[-1]
            if event == "start" and tag == "c":
                cell_ref = element.get("r", "")
            elif event == "end" and tag == "f":
                if cell_ref and (not refs or refs[-1] != cell_ref):
                    refs.append(cell_ref)
            elif event == "end" and tag == "row":
                element.clear()
    except DefusedXmlException:
        raise _unsafe() from None
    finally:
        source.close()
    return refs, merges


def _sheet_parts(archive: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo]) -> dict[str, str]:
    """worksheet part path (lower case) → sheet name, from the workbook and its relationships."""
    book = names.get("xl/workbook.xml")
    rels = names.get("xl/_rels/workbook.xml.rels")
    if book is None or rels is None:
        return {}
    targets: dict[str, str] = {}
    for part, wanted in ((rels, "Relationship"), (book, "sheet")):
        data = _read_limited(archive, part, 8 * 1024 * 1024)
        try:
            from defusedxml.ElementTree import fromstring

            root = fromstring(data, forbid_dtd=True)
        except Exception:
            raise _unsafe() from None
        for element in root.iter():
            tag = element.tag.rsplit("}", 1)[-1]
            if tag != wanted:
                continue
            if wanted == "Relationship":
                target = element.get("Target", "")
                target = target.lstrip("/") if target.startswith("/") else "xl/" + target
                targets[element.get("Id", "")] = target.lower()
            else:
                rid = next((v for k, v in element.attrib.items() if k.endswith("}id")), "")
                if rid in targets:
                    targets[targets[rid]] = element.get("name", "")
    return {k: v for k, v in targets.items() if k.startswith("xl/")}
