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
    return Image.fromarray(plane_array(array, repeat, 0, 0, rows * tile.height, cols * tile.width), mode="RGB")


def print_sheet(tile: Image.Image, *, repeat: str, width_px: int, height_px: int) -> Image.Image:
    """The tile repeated over a product of width_px x height_px, cropped at the product's edge."""
    check_repeat(repeat)
    if width_px < 1 or height_px < 1:
        raise ValueError("a print sheet needs a positive size")
    array = np.asarray(tile.convert("RGB"))
    return Image.fromarray(plane_array(array, repeat, 0, 0, height_px, width_px), mode="RGB")
