"""The printed plane of a tile under its repeat, sampled at any real coordinates.

The fingerprint and the print-and-scan simulator need the plane, not the tile; this is the
repeat geometry (the same rules as `stylization.engine.repeat.plane_to_tile`, restated here so
the provenance core depends on no other engine): a half drop moves column k down by
k * height / 2, a half brick row k right by k * width / 2, a mirror flips every other tile, and
a centred motif is printed on a plain grid.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

PLANE_REPEATS = ("basic", "half_drop", "half_brick", "mirror", "center")


def _reflect(coords: NDArray[np.int64], size: int) -> NDArray[np.int64]:
    phase = coords % (2 * size)
    return np.where(phase < size, phase, 2 * size - 1 - phase)


def tile_index(
    repeat: str, height: int, width: int, ys: NDArray[np.int64], xs: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The tile pixel the repeat prints at integer plane pixel (y, x)."""
    if repeat in ("basic", "center"):
        return ys % height, xs % width
    if repeat == "half_drop":
        return (ys - np.floor_divide(xs, width) * (height // 2)) % height, xs % width
    if repeat == "half_brick":
        return ys % height, (xs - np.floor_divide(ys, height) * (width // 2)) % width
    if repeat == "mirror":
        return _reflect(ys, height), _reflect(xs, width)
    raise ValueError(f"unknown repeat type {repeat!r}; expected one of {', '.join(PLANE_REPEATS)}")


def sample_plane(
    tile: NDArray[np.floating], repeat: str, xs: NDArray[np.floating], ys: NDArray[np.floating]
) -> NDArray[np.float64]:
    """Bilinear samples of the plane at real (x, y); pixel centres sit at integer coordinates."""
    height, width = tile.shape[:2]
    x0, y0 = np.floor(xs).astype(np.int64), np.floor(ys).astype(np.int64)
    fx, fy = xs - x0, ys - y0
    if tile.ndim == 3:
        fx, fy = fx[..., None], fy[..., None]
    out = np.zeros((*xs.shape, *tile.shape[2:]), dtype=np.float64)
    for dy, wy in ((0, 1 - fy), (1, fy)):
        for dx, wx in ((0, 1 - fx), (1, fx)):
            ty, tx = tile_index(repeat, height, width, y0 + dy, x0 + dx)
            out += wy * wx * tile[ty, tx]
    return out


def plane_view(
    tile: NDArray[np.floating], repeat: str, top: int, left: int, height: int, width: int
) -> NDArray[np.floating]:
    """The integer-aligned (height x width) window of the plane at (top, left)."""
    ys, xs = np.meshgrid(np.arange(top, top + height), np.arange(left, left + width), indexing="ij")
    ty, tx = tile_index(repeat, tile.shape[0], tile.shape[1], ys, xs)
    return tile[ty, tx]
