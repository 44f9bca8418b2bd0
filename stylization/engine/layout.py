"""Laying a tile out in its repeat: the print sheet, seam measurement and the SVG margin."""

from __future__ import annotations

import numpy as np
from PIL import Image

from .repeat import check_repeat, plane_to_tile


def layout_repeat(repeat: str) -> str:
    # A centred motif is printed on a plain grid: its ground meets the next tile's ground.
    return "basic" if repeat == "center" else repeat


def plane_array(tile: np.ndarray, repeat: str, top: int, left: int, height: int, width: int) -> np.ndarray:
    """The (height x width) piece of the printed plane starting at (top, left)."""
    tile_h, tile_w = tile.shape[:2]
    ys, xs = np.meshgrid(np.arange(top, top + height), np.arange(left, left + width), indexing="ij")
    ty, tx = plane_to_tile(layout_repeat(repeat), tile_h, tile_w, ys, xs)
    return tile[ty, tx]


def tile_layout(tile: Image.Image, repeat: str, cols: int, rows: int) -> Image.Image:
    """cols x rows tiles placed as the repeat places them (dropped columns, bricked rows, mirrors)."""
    check_repeat(repeat)
    if cols < 1 or rows < 1:
        raise ValueError("a layout needs at least one column and one row")
    array = np.asarray(tile.convert("RGB"))
    return Image.fromarray(
        plane_array(array, repeat, 0, 0, rows * tile.height, cols * tile.width), mode="RGB"
    )


def repeat_period(repeat: str, tile_h: int, tile_w: int) -> tuple[int, int]:
    """The smallest block of the printed plane that repeats by plain translation."""
    layout = layout_repeat(repeat)
    if layout == "half_drop":
        return tile_h, 2 * tile_w
    if layout == "half_brick":
        return 2 * tile_h, tile_w
    if layout == "mirror":
        return 2 * tile_h, 2 * tile_w
    return tile_h, tile_w


def print_sheet(tile: Image.Image, *, repeat: str, width_px: int, height_px: int) -> Image.Image:
    """The tile repeated over a product of width_px x height_px, cropped at the product's edge.

    One period of the plane is laid out through the repeat, then copied by plain translation, so
    memory stays at the sheet itself plus one period (a yard at 150 DPI is 5400x6300 px)."""
    check_repeat(repeat)
    if width_px < 1 or height_px < 1:
        raise ValueError("a print sheet needs a positive size")
    array = np.asarray(tile.convert("RGB"))
    period_h, period_w = repeat_period(repeat, *array.shape[:2])
    block = plane_array(array, repeat, 0, 0, min(period_h, height_px), min(period_w, width_px))
    sheet = np.empty((height_px, width_px, 3), dtype=np.uint8)
    for top in range(0, height_px, block.shape[0]):
        rows = min(block.shape[0], height_px - top)
        for left in range(0, width_px, block.shape[1]):
            cols = min(block.shape[1], width_px - left)
            sheet[top : top + rows, left : left + cols] = block[:rows, :cols]
    return Image.fromarray(sheet, mode="RGB")
