"""The proof of a physical line, as the buyer sees it: never the production print sheet itself, but
views of it marked as a proof. A reduced preview shows the whole sheet; full-resolution tiles
(`PROOF_TILE_PX` square, cut on a fixed grid) show any part of it at print zoom. Every view carries a
visible "PROOF" mark and none carries the sheet's content credential, so no view is a production
file and none verifies as one."""

from __future__ import annotations

import io
import math
from typing import Any

from PIL import Image, ImageDraw, ImageFont

PROOF_PREVIEW_MAX_SIDE = 1600
PROOF_TILE_PX = 512
PROOF_MARK = "PROOF"
# The mark repeats on this pitch (in the view's pixels), so every tile and any crop shows it.
_MARK_PITCH = 192


def proof_sheet_size(render_info: dict[str, Any]) -> tuple[int, int]:
    """The print sheet's size in pixels as the render step recorded it, its selvedge strip included."""
    sheet_w, sheet_h = render_info.get("sheet_px") or (0, 0)
    strip = (render_info.get("selvedge") or {}).get("strip_px", 0)
    return int(sheet_w), int(sheet_h) + int(strip)


def proof_grid(sheet_w: int, sheet_h: int) -> tuple[int, int]:
    """How many tile columns and rows cover a sheet of this size."""
    return math.ceil(sheet_w / PROOF_TILE_PX), math.ceil(sheet_h / PROOF_TILE_PX)


def _marked(image: Image.Image, *, origin: tuple[int, int] = (0, 0), pitch: int = _MARK_PITCH) -> Image.Image:
    """The image with the word PROOF laid over it on a staggered grid anchored at the sheet's
    corner (`origin` is the view's offset on the sheet), so neighbouring tiles continue the pattern."""
    base = image.convert("RGBA")
    overlay = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    font = ImageFont.load_default(size=max(12, pitch // 5))
    ox, oy = origin
    first_row = (oy // pitch) - 1
    for row in range(first_row, first_row + base.height // pitch + 3):
        shift = (pitch // 2) * (row % 2)
        first_col = ((ox - shift) // pitch) - 1
        for col in range(first_col, first_col + base.width // pitch + 3):
            x, y = col * pitch + shift - ox, row * pitch - oy
            draw.text(
                (x, y),
                PROOF_MARK,
                font=font,
                fill=(255, 255, 255, 120),
                stroke_width=2,
                stroke_fill=(20, 20, 20, 120),
            )
    return Image.alpha_composite(base, overlay).convert("RGB")


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _open_sheet(sheet_png: bytes) -> Image.Image:
    with Image.open(io.BytesIO(sheet_png)) as image:
        return image.convert("RGB")


def proof_preview_png(sheet_png: bytes, *, max_side: int = PROOF_PREVIEW_MAX_SIDE) -> bytes:
    """The whole sheet reduced to at most `max_side` pixels on its longer side, marked PROOF."""
    sheet = _open_sheet(sheet_png)
    sheet.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return _png(_marked(sheet))


def proof_tile_png(sheet_png: bytes, *, col: int, row: int) -> bytes | None:
    """One full-resolution tile of the sheet's grid, marked PROOF; None outside the sheet."""
    sheet = _open_sheet(sheet_png)
    cols, rows = proof_grid(sheet.width, sheet.height)
    if not (0 <= col < cols and 0 <= row < rows):
        return None
    left, top = col * PROOF_TILE_PX, row * PROOF_TILE_PX
    box = (left, top, min(left + PROOF_TILE_PX, sheet.width), min(top + PROOF_TILE_PX, sheet.height))
    return _png(_marked(sheet.crop(box), origin=(left, top)))
