"""A seated ticket to print or keep: one A4 page with the event, the session, its day, time and
venue in the event's time zone, the holder's name and address, and the check-in code as QR code
and in print. Plain Python (no Flask): the page passes the texts in the reader's language.

The QR code is the one the manage page shows (`ticket_qr`), drawn as vector squares so that it
prints sharp at any size."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import segno
from babel.dates import format_date, format_time
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

# TrueType fonts, so that any name in a Latin, Greek or Cyrillic script prints: DejaVu where the
# system has it (Debian's fonts-dejavu-core), else the Vera fonts that reportlab ships.
_FONT_CHOICES = (
    (
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ),
    (Path("Vera.ttf"), Path("VeraBd.ttf")),
)
REGULAR = "TicketSans"
BOLD = "TicketSans-Bold"

INK = (0.11, 0.11, 0.13)
MUTED = (0.33, 0.33, 0.37)
MARGIN = 20 * mm
QR_SIZE = 60 * mm
MAX_TITLE_LINES = 5
MAX_LINE_LINES = 2


def ticket_qr(code: str) -> segno.QRCode:
    """The check-in code as QR code, as the manage page and the door's scanner know it: never a
    Micro QR code (segno's choice for short contents), which phones' scanners cannot read."""
    return segno.make(code, error="m", micro=False)


@dataclass(frozen=True)
class PrintedTicket:
    event: str
    title: str
    # Aware datetimes in the event's time zone.
    starts: datetime
    ends: datetime
    venue: str
    holder: str
    address: str
    # The stored code (what the QR code holds) and the code as printed (groups of four).
    code: str
    printed_code: str
    locale: str
    # Translated labels: "holder", "address", "code", "hint", "document".
    labels: dict[str, str]


def _fonts() -> None:
    if REGULAR in pdfmetrics.getRegisteredFontNames():
        return
    for regular, bold in _FONT_CHOICES:
        if regular.is_absolute() and not (regular.exists() and bold.exists()):
            continue
        pdfmetrics.registerFont(TTFont(REGULAR, str(regular)))
        pdfmetrics.registerFont(TTFont(BOLD, str(bold)))
        return


def when_text(starts: datetime, ends: datetime, locale: str) -> str:
    """ "Montag, 6. Mai 2030, 13:00–14:00 Uhr" / "Monday 6 May 2030, 13:00–14:00" (24 hours, as
    the site writes times)."""
    day = format_date(
        starts, "EEEE, d. MMMM y" if locale == "de" else "EEEE d MMMM y", locale=locale
    )
    times = (
        f"{format_time(starts, 'HH:mm', locale=locale)}–{format_time(ends, 'HH:mm', locale=locale)}"
    )
    return f"{day}, {times} Uhr" if locale == "de" else f"{day}, {times}"


def _lines(text: str, font: str, size: float, width: float, most: int) -> list[str]:
    lines = simpleSplit(" ".join(text.split()), font, size, width) or [""]
    if len(lines) > most:
        lines = lines[:most]
        last = lines[-1]
        while last and pdfmetrics.stringWidth(last + " …", font, size) > width:
            last = last[:-1]
        lines[-1] = last.rstrip() + " …"
    return lines


class _Writer:
    """Lines of text from the top of the page down."""

    def __init__(self, canvas: Canvas, x: float, y: float, width: float):
        self.canvas, self.x, self.y, self.width = canvas, x, y, width

    def text(self, text: str, *, font=REGULAR, size=12.0, colour=INK, most=MAX_LINE_LINES):
        self.canvas.setFillColorRGB(*colour)
        self.canvas.setFont(font, size)
        for line in _lines(text, font, size, self.width, most):
            self.y -= size * 1.25
            self.canvas.drawString(self.x, self.y, line)

    def gap(self, points: float) -> None:
        self.y -= points


def _draw_qr(canvas: Canvas, code: str, x: float, y: float, size: float) -> None:
    """The QR code with its quiet zone inside the square (x, y) .. (x + size, y + size); each
    run of dark modules in a row is one rectangle, all filled as one path."""
    matrix = ticket_qr(code).matrix
    border = 4
    modules = len(matrix) + 2 * border
    step = size / modules
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + border) * step
        column = 0
        while column < len(row):
            if not row[column]:
                column += 1
                continue
            start = column
            while column < len(row) and row[column]:
                column += 1
            path.rect(x + (start + border) * step, top - step, (column - start) * step, step)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.drawPath(path, stroke=0, fill=1)


def ticket_pdf(ticket: PrintedTicket) -> bytes:
    """The ticket as a PDF document (the same bytes for the same ticket)."""
    _fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    canvas.setTitle(f"{ticket.labels['document']}: {ticket.title}")
    canvas.setAuthor(ticket.event)
    canvas.setSubject(ticket.printed_code)
    page_width, page_height = A4
    # The ticket: a framed card at the top of the page, the QR code at its right.
    card_top = page_height - MARGIN
    card_width = page_width - 2 * MARGIN
    text_width = card_width - QR_SIZE - 3 * 6 * mm
    writer = _Writer(canvas, MARGIN + 6 * mm, card_top - 4 * mm, text_width)
    writer.text(ticket.event, font=BOLD, size=11, colour=MUTED)
    writer.gap(4)
    writer.text(ticket.title, font=BOLD, size=18, most=MAX_TITLE_LINES)
    writer.gap(6)
    writer.text(when_text(ticket.starts, ticket.ends, ticket.locale), size=12)
    if ticket.venue:
        writer.text(ticket.venue, size=12)
    writer.gap(10)
    writer.text(ticket.labels["holder"], size=9, colour=MUTED)
    writer.text(ticket.holder, font=BOLD, size=13)
    writer.gap(4)
    writer.text(ticket.labels["address"], size=9, colour=MUTED)
    writer.text(ticket.address, size=11)
    writer.gap(4)
    writer.text(ticket.labels["code"], size=9, colour=MUTED)
    writer.text(ticket.printed_code, font=BOLD, size=13)

    qr_x = MARGIN + card_width - QR_SIZE - 6 * mm
    qr_y = card_top - 6 * mm - QR_SIZE
    _draw_qr(canvas, ticket.code, qr_x, qr_y, QR_SIZE)
    card_bottom = min(writer.y, qr_y) - 6 * mm
    canvas.setStrokeColorRGB(*MUTED)
    canvas.setLineWidth(0.8)
    canvas.roundRect(
        MARGIN, card_bottom, card_width, card_top - card_bottom, 4 * mm, stroke=1, fill=0
    )
    hint = _Writer(canvas, MARGIN, card_bottom - 2 * mm, card_width)
    hint.text(ticket.labels["hint"], size=10, colour=MUTED, most=3)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
