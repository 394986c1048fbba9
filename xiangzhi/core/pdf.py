"""Printable PDF documents with Chinese text (fpdf2): the font found on the server is embedded as a subset of the
characters used, so a phone without Chinese fonts shows the document as printed.

The font is `XIANGZHI_PDF_FONT` (a .ttf, .otf or .ttc path) or else the first of `DEFAULT_FONTS` installed;
from a collection (.ttc) the Simplified Chinese face is taken. Without one, `pdf_font()` raises `NoPdfFont`,
which pages answer with a translated explanation (503), never a 500 nor a PDF of empty boxes.
"""

import functools
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from fontTools.ttLib import TTCollection, TTFont, TTLibError
from fpdf import FPDF
from fpdf.enums import WrapMode

# Debian's packages, best first: fonts-noto-cjk (what `.ci/run` and the README install), then older ones.
DEFAULT_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
_PROBE = ord("镇")  # a face that lacks it is no Chinese font

# page sizes the documents come in (ISO 216, mm; fpdf2 knows no A6 by name), with the margin and the base font
# size each reads well at (mm, pt)
SIZES = {"A4": ((210, 297), 15.0, 11.0), "A6": ((105, 148), 7.0, 7.5)}


class NoPdfFont(Exception):
    @property
    def message(self) -> str:
        return _(
            "No Chinese font is installed on the server, so the PDF cannot be made. Ask whoever runs the server "
            "to install the fonts-noto-cjk package or to set XIANGZHI_PDF_FONT to a Chinese font file."
        )


@dataclass(frozen=True)
class PdfFont:
    path: str
    index: int  # the face in a collection (.ttc); 0 otherwise
    bold_path: str | None = None  # the same family's bold, when installed beside it


@functools.cache
def _chinese_face(path: str, mtime: float) -> int | None:
    """The index of the face to use in `path` (the Simplified Chinese one of a collection), or None when the file
    is unreadable or has no Chinese characters. `mtime` makes a replaced file read again."""
    try:
        if Path(path).suffix.lower() in (".ttc", ".otc"):
            faces = TTCollection(path, lazy=True).fonts
        else:
            faces = [TTFont(path, lazy=True)]
        usable = []
        for i, face in enumerate(faces):
            cmap = face.getBestCmap() or {}
            if _PROBE in cmap:
                name = str(face["name"].getDebugName(1) or "")
                usable.append((not name.endswith((" SC", " CN", " GB")), "Mono" in name, i))
    except (OSError, TTLibError, KeyError, AssertionError, ValueError, struct.error):  # not a font
        return None
    return min(usable)[2] if usable else None


def pdf_font() -> PdfFont:
    """The font documents embed: the setting's, or the first default installed. Raises NoPdfFont."""
    configured = getattr(settings, "XIANGZHI_PDF_FONT", "")
    for path in [configured] if configured else DEFAULT_FONTS:
        if not os.path.isfile(path):
            continue
        index = _chinese_face(path, os.path.getmtime(path))
        if index is None:
            continue
        bold = path.replace("Regular", "Bold")
        has_bold = (
            bold != path and os.path.isfile(bold) and _chinese_face(bold, os.path.getmtime(bold)) == index
        )
        return PdfFont(path=path, index=index, bold_path=bold if has_bold else None)
    raise NoPdfFont


class Document(FPDF):
    """An A4 or A6 page with the Chinese font loaded as "zh" (and "zh" bold, the regular face when there is no
    bold); lines break between any two characters, as Chinese text does."""

    def __init__(self, *, size: str, title: str, font: PdfFont | None = None):
        page, margin, self.base = SIZES[size]
        super().__init__(format=page, unit="mm")
        font = font or pdf_font()
        self.add_font("zh", "", font.path, collection_font_number=font.index)
        self.add_font("zh", "B", font.bold_path or font.path, collection_font_number=font.index)
        self.set_margins(margin, margin, margin)
        self.set_auto_page_break(True, margin=margin)
        self.set_title(title)
        self.set_creator("xiangzhi")
        self.set_lang("zh-CN")
        self.add_page()
        self.set_font("zh", size=self.base)

    def line_height(self, scale: float = 1.0) -> float:
        return self.base * scale * 0.62  # pt to mm with some leading

    def text_block(
        self,
        text: str,
        *,
        scale: float = 1.0,
        bold: bool = False,
        align="L",
        gap: float = 0.0,
        leading: float = 1.0,
    ):
        """A paragraph across the page, wrapped anywhere, followed by `gap` mm; `leading` spaces its lines."""
        self.set_font("zh", "B" if bold else "", self.base * scale)
        self.multi_cell(
            0,
            self.line_height(scale) * leading,
            text,
            align=align,
            wrapmode=WrapMode.CHAR,
            new_x="LMARGIN",
            new_y="NEXT",
        )
        self.set_font("zh", "", self.base)
        if gap:
            self.ln(gap)

    def runs(self, *parts: tuple[str, bool], gap: float = 0.0) -> None:
        """One paragraph of (text, bold) runs, flowing on as one line would, wrapped anywhere."""
        for text, bold in parts:
            self.set_font("zh", "B" if bold else "", self.base)
            self.write(self.line_height(), text, wrapmode=WrapMode.CHAR)
        self.set_font("zh", "", self.base)
        self.ln(self.line_height() + gap)

    def rule(self, gap: float = 1.5) -> None:
        self.ln(gap / 2)
        self.set_draw_color(160)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(gap)

    def pdf_bytes(self) -> bytes:
        return bytes(self.output())
