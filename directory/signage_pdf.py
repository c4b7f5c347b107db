"""The sheet and the door poster as A4 PDF files, drawn with fpdf2 (pure Python).

The text comes from `directory.signage.sheet_content`, already in the reader's language.
The PDF uses the core Helvetica font in the Windows-1252 encoding, which every PDF reader
has and which covers French (é, à, ç, œ, ’, «, €, the no-break space); the rare character
outside it is written as its closest plain letters (see `pdf_text`), so a name typed with
an unusual character never breaks the file.
"""

from __future__ import annotations

import io
import unicodedata

from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace

from directory.signage import labelled

ENCODING = "windows-1252"
FONT = "helvetica"
MARGIN = 15  # mm
# Spaces French typography puts before "h", ":" and "?" that Windows-1252 lacks.
SPACES = dict.fromkeys(map(ord, "\u202f\u2009\u2007\u2002\u2003\u2005\u2006"), "\u00a0")
DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2015"), "-")
# Letters that Unicode does not decompose into a plain letter and an accent.
LETTERS = str.maketrans("ŁłĐđĦħı", "LlDdHhi")


def pdf_text(text: str) -> str:
    """`text` in characters the core font can draw: thin and narrow spaces become no-break
    spaces, other characters outside Windows-1252 their letters without accents, or "?"."""
    text = str(text).translate(SPACES).translate(DASHES)
    try:
        text.encode(ENCODING)
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for char in text:
        try:
            char.encode(ENCODING)
            out.append(char)
        except UnicodeEncodeError:
            plain = unicodedata.normalize("NFKD", char.translate(LETTERS))
            plain = plain.encode("ascii", "ignore").decode()
            out.append(plain or "?")
    return "".join(out)


class _Document(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.core_fonts_encoding = ENCODING
        self.footer_text = footer_text
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 8)

    def footer(self):
        self.set_y(-MARGIN - 4)
        self.set_font(FONT, size=8)
        self.set_text_color(80)
        self.cell(0, 4, self.footer_text, align="L")
        self.set_text_color(0)


def _document(content: dict, language: str, title: str) -> _Document:
    footer = pdf_text(
        _("Printed on %(date)s. Hours can change: the live page is %(url)s")
        % {"date": content["printed_on"], "url": content["url"]}
    )
    pdf = _Document(footer)
    pdf.set_title(pdf_text(f"{content['name']} — {title}"))
    pdf.set_lang(language)
    pdf.set_creator("Lieux partagés")
    pdf.add_page()
    if not content["is_public"]:
        pdf.set_text_color(160, 0, 0)
        draft = _("Draft: this place is not public yet, its QR code leads nowhere.")
        _paragraph(pdf, draft, 11, "B")
        pdf.set_text_color(0)
        pdf.ln(2)
    return pdf


def _heading(pdf: FPDF, text: str, size: float) -> None:
    pdf.set_font(FONT, "B", size)
    pdf.multi_cell(0, size * 0.5, pdf_text(text), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _paragraph(pdf: FPDF, text: str, size: float, style: str = "") -> None:
    pdf.set_font(FONT, style, size)
    pdf.multi_cell(0, size * 0.45, pdf_text(text), align="L", new_x="LMARGIN", new_y="NEXT")


def _week_table(pdf: FPDF, week: list[dict], size: float, label_width: float) -> None:
    pdf.set_font(FONT, size=size)
    with pdf.table(
        col_widths=(label_width, pdf.epw - label_width),
        width=pdf.epw,
        text_align="LEFT",
        line_height=size * 0.5,
        padding=(1, 2),
        headings_style=FontFace(emphasis="BOLD", fill_color=235),
    ) as table:
        table.row([pdf_text(_("Day")), pdf_text(_("Hours"))])
        for day in week:
            row = table.row()
            row.cell(pdf_text(day["label"]), style=FontFace(emphasis="BOLD"))
            row.cell(pdf_text(day["text"]))
    pdf.ln(3)


def _qr(pdf: FPDF, png: bytes, x: float, y: float, size: float) -> None:
    pdf.image(io.BytesIO(png), x=x, y=y, w=size, h=size, alt_text=_("QR code"))


def _hours(pdf: FPDF, content: dict, *, heading: float, text: float, label_width: float):
    _heading(pdf, content["week_title"], heading)
    if content["has_hours"]:
        _week_table(pdf, content["week"], text, label_width)
    else:
        _paragraph(
            pdf,
            _("The opening hours have not been given yet: contact the place before going."),
            text,
        )
        pdf.ln(2)


def _sheet(pdf: FPDF, content: dict, qr: bytes) -> None:
    qr_size = 42
    top = pdf.get_y()
    _qr(pdf, qr, pdf.w - MARGIN - qr_size, top, qr_size)
    # Name and address on the left of the QR code.
    pdf.set_right_margin(MARGIN + qr_size + 5)
    _heading(pdf, content["name"], 20)
    for line in content["address"]:
        _paragraph(pdf, line, 12)
    pdf.ln(2)
    _paragraph(pdf, _("Scan the code for the live page, with the hours of the coming days."), 9)
    pdf.set_right_margin(MARGIN)
    pdf.set_y(max(pdf.get_y(), top + qr_size) + 4)

    _hours(pdf, content, heading=13, text=10, label_width=52)
    for service in content["services_own_hours"]:
        _heading(pdf, service["name"], 11)
        _week_table(pdf, service["week"], 9, 52)
    if content["services_place_hours"]:
        _heading(pdf, _("Services during the opening hours"), 11)
        _paragraph(pdf, ", ".join(content["services_place_hours"]), 10)
        pdf.ln(3)

    _heading(pdf, _("Contact"), 13)
    contact = [
        (_("Phone"), content["phone"]),
        (_("Email"), content["email"]),
        (_("Website"), content["website"]),
    ]
    for label, value in contact:
        if value:
            _paragraph(pdf, labelled(label, value), 10)
    if not any(value for _label, value in contact):
        _paragraph(pdf, _("No contact given yet."), 10)
    pdf.ln(3)
    _heading(pdf, _("Accessibility"), 13)
    _paragraph(pdf, f"{_('Wheelchair access:')} {content['wheelchair']}", 10)
    if content["accessibility_notes"]:
        _paragraph(pdf, content["accessibility_notes"], 10)
    if content["acceslibre_url"]:
        _paragraph(pdf, f"{_('Details on Acceslibre:')} {content['acceslibre_url']}", 10)


def _poster(pdf: FPDF, content: dict, qr: bytes) -> None:
    # The code at the top right, beside the name, so that it is always on the first page.
    qr_size = 55
    top = pdf.get_y()
    _qr(pdf, qr, pdf.w - MARGIN - qr_size, top, qr_size)
    pdf.set_right_margin(MARGIN + qr_size + 5)
    _heading(pdf, content["name"], 30)
    for line in content["address"]:
        _paragraph(pdf, line, 16)
    pdf.ln(2)
    _paragraph(pdf, _("Scan for the services and the hours of the coming days"), 12, "B")
    pdf.set_right_margin(MARGIN)
    pdf.set_y(max(pdf.get_y(), top + qr_size) + 5)
    _hours(pdf, content, heading=20, text=17, label_width=82)
    names = [s["name"] for s in content["services_own_hours"]] + content["services_place_hours"]
    if names:
        _paragraph(pdf, _("Here: %(services)s") % {"services": ", ".join(names)}, 14)
        pdf.ln(1)
    if content["phone"]:
        _paragraph(pdf, labelled(_("Phone"), content["phone"]), 16, "B")
    _paragraph(pdf, f"{_('Wheelchair access:')} {content['wheelchair']}", 14)


def signage_pdf(content: dict, qr: bytes, *, poster: bool, language: str) -> bytes:
    """The sheet (`poster` False) or the door poster of `content` as PDF bytes; `qr` is the
    PNG of the QR code of the place page."""
    title = _("Door poster") if poster else _("Information sheet")
    pdf = _document(content, language, title)
    if poster:
        _poster(pdf, content, qr)
    else:
        _sheet(pdf, content, qr)
    return bytes(pdf.output())
