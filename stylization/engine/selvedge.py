"""The selvedge strip: the attribution printed on the sheet's edge, outside the repeat, as
Spoonflower prints the designer's name along a fabric's selvedge. It holds the design's title, its
artist and designer, and a QR code of the attribution record's public verify URL, drawn at the
sheet's own DPI so its physical size does not depend on the product."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import segno
from PIL import Image, ImageDraw, ImageFont

# Physical sizes, in inches: the strip's least height, its padding, and a QR module (0.03 in is
# 4.5 px at 150 DPI; at least 3 px whatever the DPI, so a phone and a decoder read it).
STRIP_MIN_IN = 0.75
PADDING_IN = 0.1
QR_MODULE_IN = 0.03
QR_MODULE_MIN_PX = 3
QR_QUIET_MODULES = 4
# The credit's text: about 10 pt, and never below 7 px however narrow the sheet.
TEXT_IN = 0.14
MIN_TEXT_PX = 7


@dataclass(frozen=True)
class SelvedgeCredit:
    title: str
    artist: str
    designer: str
    verify_url: str


def qr_image(url: str, *, module_px: int) -> Image.Image:
    qr = segno.make(url, error="m", micro=False)
    rows = np.array(
        [list(row) for row in qr.matrix_iter(scale=module_px, border=QR_QUIET_MODULES)], dtype=bool
    )
    return Image.fromarray(np.where(rows, 0, 255).astype(np.uint8), mode="L").convert("RGB")


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # DejaVu has the "×" and accented names; Pillow's own font is the fallback where it is missing.
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size=max(8, size))
    except OSError:
        return ImageFont.load_default(size=max(8, size))


def _wrapped(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int
) -> list[str]:
    """The text broken at spaces into lines no wider than `width` (a word longer than that stands alone)."""
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _credit_layout(
    draw: ImageDraw.ImageDraw, texts: list[str], *, width: int, height: int, size: int
) -> tuple[list[tuple[str, ImageFont.FreeTypeFont | ImageFont.ImageFont]], int]:
    """Lines and their fonts (the title a size larger), shrunk until they fit the box; and the line pitch."""
    while True:
        laid: list[tuple[str, ImageFont.FreeTypeFont | ImageFont.ImageFont]] = []
        for i, text in enumerate(texts):
            font = _font(round(size * 1.25) if i == 0 else size)
            laid += [(line, font) for line in _wrapped(draw, text, font, width)]
        pitch = round(size * 1.45)
        if len(laid) * pitch <= height or size <= MIN_TEXT_PX:
            return laid, pitch
        size -= 1


def selvedge_strip(credit: SelvedgeCredit, *, width_px: int, dpi: int) -> Image.Image:
    """A white strip `width_px` wide: the QR code on the left, the credit beside it."""
    module = max(QR_MODULE_MIN_PX, round(QR_MODULE_IN * dpi))
    code = qr_image(credit.verify_url, module_px=module)
    pad = max(2, round(PADDING_IN * dpi))
    height = max(round(STRIP_MIN_IN * dpi), code.height + 2 * pad)
    strip = Image.new("RGB", (width_px, height), "white")
    strip.paste(code, (pad, (height - code.height) // 2))
    draw = ImageDraw.Draw(strip)
    texts = [
        credit.title,
        f"Style by {credit.artist} · pattern by {credit.designer}",
        "Scan the code to verify this print's attribution record",
    ]
    left = code.width + 2 * pad
    laid, pitch = _credit_layout(
        draw,
        texts,
        width=width_px - left - pad,
        height=height - 2 * pad,
        size=max(MIN_TEXT_PX, round(TEXT_IN * dpi)),
    )
    top = (height - len(laid) * pitch) // 2
    for i, (line, font) in enumerate(laid):
        draw.text((left, top + i * pitch), line, fill=(30, 30, 34), font=font)
    # A hairline separates the strip from the repeat, so a cutter sees where the design ends.
    draw.line([(0, 0), (width_px, 0)], fill=(160, 160, 160), width=max(1, dpi // 150))
    return strip


def with_selvedge(sheet: Image.Image, credit: SelvedgeCredit, *, dpi: int) -> Image.Image:
    """The sheet with the strip added below its repeat area (the repeat itself is untouched)."""
    strip = selvedge_strip(credit, width_px=sheet.width, dpi=dpi)
    out = Image.new("RGB", (sheet.width, sheet.height + strip.height), "white")
    out.paste(sheet.convert("RGB"), (0, 0))
    out.paste(strip, (0, sheet.height))
    return out
