"""The registry's printed documents: the household card and the certificate of residence (居住证明), as PDF in A4
or A6 (`xiangzhi.core.pdf`). They only lay out what the services and selectors hand them: numbers arrive masked
unless the caller decided otherwise."""

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from xiangzhi.core.pdf import Document, PdfFont

from .choices import ResidenceStatus
from .models import ResidenceCertificate
from .selectors import HouseholdCard

PAPER_SIZES = ("A4", "A6")


def paper_size(value: str | None) -> str:
    """The size asked for in the URL (`?size=A6`); anything else is A4."""
    value = (value or "").upper()
    return value if value in PAPER_SIZES else "A4"


def _who(user) -> str:
    return user.display_name or user.username


def _members(doc: Document, card: HouseholdCard, *, may_see_ids: bool) -> None:
    for row in card.members:
        r = row.resident
        age = "" if r.age is None else ngettext("%(age)s year", "%(age)s years", r.age) % {"age": r.age}
        facts = [row.relationship_label, r.get_sex_display(), age, r.get_residence_status_display()]
        doc.runs((r.name, True), ("  " + " · ".join(f for f in facts if f), False))
        if may_see_ids:
            shown = r.id_number_masked or _("none") + (f"（{r.no_id_reason}）" if r.no_id_reason else "")
            doc.text_block(_("ID number: %(id)s") % {"id": shown})
        flags = [f"{f.flag.name}{f.level or ''}" for f in row.flags]
        if flags:
            doc.text_block(_("Flags: %(flags)s") % {"flags": "、".join(flags)})
        doc.ln(doc.line_height(0.3))


def household_card_pdf(*, card: HouseholdCard, size: str, printed_by, may_see_ids: bool) -> bytes:
    """The household card to print: who lives there and whom to call, in order; every number masked."""
    h = card.household
    doc = Document(size=size, title=_("Household card %(n)s") % {"n": h.number})
    doc.text_block(
        _("%(town)s · household card") % {"town": h.town.name}, scale=1.6, bold=True, align="C", gap=1
    )
    doc.text_block(_("Household number: %(n)s") % {"n": h.number}, scale=1.15, bold=True)
    doc.text_block(
        _("Village and group: %(village)s %(group)s") % {"village": h.village.name, "group": h.group.name}
    )
    address = h.address + (f" {h.house_number}" if h.house_number and h.house_number not in h.address else "")
    doc.text_block(_("Address: %(address)s") % {"address": address or "—"})
    doc.text_block(_("Head of household: %(name)s") % {"name": h.head.name if h.head else "—"})
    doc.rule()

    doc.text_block(_("Who to call, in order"), scale=1.2, bold=True, gap=0.5)
    for i, (phone, resident) in enumerate(card.call_list, start=1):
        answered = ""
        if phone.holder != "self":
            answered = " " + _("answered by %(who)s") % {
                "who": phone.holder_name or phone.get_holder_display()
            }
        away = (
            f"（{resident.get_residence_status_display()}）"
            if resident.residence_status != ResidenceStatus.AT_HOME
            else ""
        )
        doc.text_block(f"{i}. {resident.name}{away}{answered}  {phone.number_masked}")
    if not card.call_list:
        doc.text_block(_("No phone numbers on record."))
    doc.rule()

    doc.text_block(_("Members"), scale=1.2, bold=True, gap=0.5)
    _members(doc, card, may_see_ids=may_see_ids)
    if not card.members:
        doc.text_block(_("No current members."))
    doc.rule()
    doc.text_block(
        _("Printed %(date)s by %(who)s. Phone and ID numbers are masked: look them up in the registry.")
        % {"date": f"{timezone.localdate():%Y-%m-%d}", "who": _who(printed_by)},
        scale=0.85,
    )
    return doc.pdf_bytes()


def certificate_pdf(
    *, certificate: ResidenceCertificate, id_number: str, size: str, font: PdfFont | None = None
) -> bytes:
    """The certificate of residence as issued. It is an official paper in Chinese whatever the page's language,
    so its wording is written here in Chinese, not translated."""
    c = certificate
    doc = Document(size=size, title=f"居住证明 {c.serial}", font=font)
    doc.ln(doc.line_height(2))
    doc.text_block("居 住 证 明", scale=2.2, bold=True, align="C", gap=doc.line_height(0.6))
    doc.text_block(f"编号：{c.serial}", align="R", gap=doc.line_height(1.2))
    who = f"{c.name}（身份证号：{id_number}）" if id_number else c.name
    body = f"兹证明{who}系本镇{c.place}村民，现居住于{c.address}。"
    doc.text_block("\u3000\u3000" + body, scale=1.25, leading=1.5)
    doc.text_block(f"\u3000\u3000此证明用于{c.purpose}。", scale=1.25, leading=1.5)
    doc.text_block("\u3000\u3000特此证明。", scale=1.25, leading=1.5, gap=doc.line_height(6))
    # the issuing body and the date on the right, with room above and around them for the town's seal
    doc.text_block(f"{c.town.name}（盖章）", scale=1.25, align="R")
    issued = timezone.localtime(c.issued_at)
    doc.text_block(f"{issued.year}年{issued.month}月{issued.day}日", scale=1.25, align="R")
    return doc.pdf_bytes()
