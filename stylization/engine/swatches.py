"""A swatch of an approved print sheet: a piece of the sheet's own pixels at the swatch's size.

The swatch is not rendered again. It is cut from the middle of the sheet the buyer approved, so what
they hold is what the full-size print will be, pixel for pixel, at the same DPI."""

from __future__ import annotations

from PIL import Image


def swatch_box(*, sheet_px: tuple[int, int], swatch_px: tuple[int, int]) -> tuple[int, int, int, int]:
    """The (left, top, right, bottom) box of a swatch centred on a sheet's printed area.

    `sheet_px` is the printed area (a selvedge strip below it is not part of the design)."""
    sheet_w, sheet_h = sheet_px
    width, height = swatch_px
    if width <= 0 or height <= 0:
        raise ValueError(f"a swatch needs a positive size, got {width}×{height} px")
    if width > sheet_w or height > sheet_h:
        raise ValueError(
            f"a {width}×{height} px swatch does not fit in the {sheet_w}×{sheet_h} px sheet it is cut from"
        )
    left, top = (sheet_w - width) // 2, (sheet_h - height) // 2
    return left, top, left + width, top + height


def swatch_cut(sheet: Image.Image, *, box: tuple[int, int, int, int]) -> Image.Image:
    """The sheet's pixels inside `box`, unchanged (no resampling, no colour conversion)."""
    return sheet.convert("RGB").crop(box)
