"""The door-plate card (A6): the household's QR code to stick by the door, and a slip with the PIN to cut off and
keep. The QR code is drawn as vector squares (segno's matrix), so it prints sharp at any size."""

import segno
from django.utils import timezone
from django.utils.translation import gettext as _

from xiangzhi.core.pdf import Document


def door_plate_pdf(*, household, url: str, pin: str, printed_by) -> bytes:
    doc = Document(size="A6", title=_("Door-plate card %(n)s") % {"n": household.number})
    doc.text_block(
        _("%(town)s · residents' sign-in") % {"town": household.town.name}, scale=1.5, bold=True, align="C"
    )
    doc.text_block(
        f"{household.village.name} {household.group.name} {household.house_number or ''}".strip(),
        align="C",
        gap=1,
    )
    qr = segno.make(url, error="m")
    matrix = list(qr.matrix)
    size = 52.0  # mm, quiet zone included
    module = size / (len(matrix) + 8)
    left = (doc.w - size) / 2 + 4 * module
    top = doc.get_y() + 4 * module
    doc.set_fill_color(0)
    for row, line in enumerate(matrix):
        for col, dark in enumerate(line):
            if dark:
                doc.rect(left + col * module, top + row * module, module, module, style="F")
    doc.set_y(top - 4 * module + size + 1)
    doc.text_block(
        _("Scan with the phone's camera or WeChat, then enter the family's PIN."), align="C", gap=2
    )
    doc.set_draw_color(120)
    doc.set_dash_pattern(dash=1.5, gap=1)
    doc.line(doc.l_margin, doc.get_y(), doc.w - doc.r_margin, doc.get_y())
    doc.set_dash_pattern()
    doc.ln(2)
    doc.text_block(_("Cut here. Keep this slip at home, never on the door."), scale=0.9, align="C", gap=1)
    doc.text_block(
        _("Family PIN: %(pin)s") % {"pin": " ".join([pin[:3], pin[3:]])}, scale=1.6, bold=True, align="C"
    )
    doc.text_block(
        _("Printed %(when)s by %(who)s. A new card makes this one stop working.")
        % {
            "when": timezone.localtime().strftime("%Y-%m-%d"),
            "who": printed_by.display_name or printed_by.username,
        },
        scale=0.8,
        align="C",
    )
    return doc.pdf_bytes()
