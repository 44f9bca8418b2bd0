"""Repeat topologies: how a tile's neighbours sit around it in the printed plane.

Everything that looks across a tile edge (convolution padding, pooling, resampling,
total variation, the tiled refinement's halos, the print sheet) goes through this
module, so a seam cannot come back through a path that forgot the wrap.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

REPEAT_TYPES: tuple[str, ...] = ("basic", "half_drop", "half_brick", "mirror", "center")
WRAPPING_REPEATS: tuple[str, ...] = ("basic", "half_drop", "half_brick", "mirror")


def check_repeat(repeat: str) -> str:
    if repeat not in REPEAT_TYPES:
        raise ValueError(f"unknown repeat type {repeat!r}; expected one of {', '.join(REPEAT_TYPES)}")
    return repeat


def check_tile_size(repeat: str, height: int, width: int) -> None:
    """A half drop (brick) moves the neighbour by half the tile: it must be a whole pixel."""
    if repeat == "half_drop" and height % 2:
        raise ValueError(f"a half-drop tile needs an even height, got {height}px")
    if repeat == "half_brick" and width % 2:
        raise ValueError(f"a half-brick tile needs an even width, got {width}px")


def plane_to_tile(
    repeat: str, height: int, width: int, ys: np.ndarray, xs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Map integer plane coordinates to the tile pixel that the repeat puts there.

    The tile occupies plane rows [0, height) and columns [0, width). Tile column k of a
    half drop is shifted down by k * height // 2; row k of a half brick right by k * width // 2.
    "center" is not a repeat: coordinates outside the tile clamp to its edge (replicate).
    """
    ys, xs = np.broadcast_arrays(np.asarray(ys, dtype=np.int64), np.asarray(xs, dtype=np.int64))
    if repeat == "basic":
        return ys % height, xs % width
    if repeat == "half_drop":
        column = np.floor_divide(xs, width)
        return (ys - column * (height // 2)) % height, xs % width
    if repeat == "half_brick":
        row = np.floor_divide(ys, height)
        return ys % height, (xs - row * (width // 2)) % width
    if repeat == "mirror":
        return _reflect(ys, height), _reflect(xs, width)
    if repeat == "center":
        return np.clip(ys, 0, height - 1), np.clip(xs, 0, width - 1)
    raise ValueError(f"unknown repeat type {repeat!r}")


def _reflect(coords: np.ndarray, size: int) -> np.ndarray:
    # Mirrored layout: odd tiles are flipped, so the edge pixel repeats (symmetric padding).
    phase = coords % (2 * size)
    return np.where(phase < size, phase, 2 * size - 1 - phase)


def plane_window(x: torch.Tensor, repeat: str, top: int, left: int, height: int, width: int) -> torch.Tensor:
    """The (height x width) window of the printed plane whose top-left corner is at (top, left)."""
    tile_h, tile_w = x.shape[-2:]
    ys, xs = np.meshgrid(np.arange(top, top + height), np.arange(left, left + width), indexing="ij")
    ty, tx = plane_to_tile(repeat, tile_h, tile_w, ys, xs)
    flat = torch.from_numpy(ty * tile_w + tx).to(x.device)
    return x.flatten(-2)[..., flat]


def window_indices(
    repeat: str, tile_h: int, tile_w: int, top: int, left: int, height: int, width: int
) -> torch.Tensor:
    """Flat tile indices of a plane window, for scattering a window back onto the tile."""
    ys, xs = np.meshgrid(np.arange(top, top + height), np.arange(left, left + width), indexing="ij")
    ty, tx = plane_to_tile(repeat, tile_h, tile_w, ys, xs)
    return torch.from_numpy(ty * tile_w + tx)


def pad(x: torch.Tensor, repeat: str, p: int) -> torch.Tensor:
    """Pad an NCHW tensor by p pixels on every side with the tile's true neighbours.

    Written with cat/roll rather than a gather because it runs before every convolution;
    `plane_window` is the slow reference it is tested against.
    """
    if p == 0:
        return x
    height, width = x.shape[-2:]
    if (p > height or p > width) and repeat in WRAPPING_REPEATS:
        # Deep pooled levels of a small tile: the padding wraps more than once.
        return plane_window(x, repeat, -p, -p, height + 2 * p, width + 2 * p)
    if repeat == "basic":
        return F.pad(x, (p, p, p, p), mode="circular")
    if repeat == "half_drop":
        return _pad_half_drop(x, p)
    if repeat == "half_brick":
        return _pad_half_drop(x.transpose(-1, -2), p).transpose(-1, -2)
    if repeat == "mirror":
        x = torch.cat([x[..., :p, :].flip(-2), x, x[..., -p:, :].flip(-2)], dim=-2)
        return torch.cat([x[..., :p].flip(-1), x, x[..., -p:].flip(-1)], dim=-1)
    if repeat == "center":
        return F.pad(x, (p, p, p, p), mode="replicate")
    if repeat == "zeros":
        # Not a product repeat: the seam-ratio control that ignores the wrap.
        return F.pad(x, (p, p, p, p))
    raise ValueError(f"unknown repeat type {repeat!r}")


def _pad_half_drop(x: torch.Tensor, p: int) -> torch.Tensor:
    height = x.shape[-2]
    drop = height // 2

    def wrap_rows(t: torch.Tensor) -> torch.Tensor:
        return torch.cat([t[..., -p:, :], t, t[..., :p, :]], dim=-2)

    # The column to the left sits half a tile higher, the one to the right half a tile lower.
    left = wrap_rows(torch.roll(x[..., -p:], shifts=-drop, dims=-2))
    right = wrap_rows(torch.roll(x[..., :p], shifts=drop, dims=-2))
    return torch.cat([left, wrap_rows(x), right], dim=-1)


_BINOMIAL = torch.tensor([1.0, 3.0, 3.0, 1.0])
_BLUR = (_BINOMIAL[:, None] * _BINOMIAL[None, :]) / 64.0


def pool2(x: torch.Tensor, repeat: str) -> torch.Tensor:
    """Halve the resolution with a [1 3 3 1] binomial filter, stride 2, padded through the repeat.

    Plain 2x2 block averaging left a 32-px grid in the output (gradients concentrate on
    block boundaries, and the tile edge is always one); the overlapping filter does not.
    Exact for every topology whose half shift survives halving.
    """
    height, width = x.shape[-2:]
    exact = height % 2 == 0 and width % 2 == 0
    if repeat == "half_drop":
        exact = exact and height % 4 == 0
    if repeat == "half_brick":
        exact = exact and width % 4 == 0
    if not exact:
        return resample(x, repeat, ((height + 1) // 2, (width + 1) // 2))
    channels = x.shape[1]
    kernel = _BLUR.to(x).expand(channels, 1, 4, 4)
    return F.conv2d(pad(x, repeat, 1), kernel, stride=2, groups=channels)


def resample(x: torch.Tensor, repeat: str, size: tuple[int, int]) -> torch.Tensor:
    """Resize a tile to size=(height, width) as a piece of its repeat.

    Separable antialiased (triangle) resampling whose taps wrap through the topology.
    Half drop/brick are not separable, so they are resampled on the doubled canvas that
    is an ordinary torus (the tile beside its dropped copy) and the first tile is cropped.
    """
    out_h, out_w = size
    in_h, in_w = x.shape[-2:]
    if (out_h, out_w) == (in_h, in_w):
        return x
    if repeat == "half_drop":
        check_tile_size(repeat, out_h, out_w)
        canvas = torch.cat([x, torch.roll(x, shifts=in_h // 2, dims=-2)], dim=-1)
        return resample(canvas, "basic", (out_h, 2 * out_w))[..., :out_w]
    if repeat == "half_brick":
        check_tile_size(repeat, out_h, out_w)
        canvas = torch.cat([x, torch.roll(x, shifts=in_w // 2, dims=-1)], dim=-2)
        return resample(canvas, "basic", (2 * out_h, out_w))[..., :out_h, :]
    boundary = {"basic": "wrap", "mirror": "reflect", "center": "clamp", "zeros": "clamp"}[repeat]
    x = _resample_axis(x, -2, out_h, boundary)
    return _resample_axis(x, -1, out_w, boundary)


def _resample_axis(x: torch.Tensor, dim: int, out_size: int, boundary: str) -> torch.Tensor:
    in_size = x.shape[dim]
    if in_size == out_size:
        return x
    scale = in_size / out_size
    support = max(scale, 1.0)  # widen the triangle when shrinking, so it antialiases
    centres = (np.arange(out_size) + 0.5) * scale - 0.5
    first = np.floor(centres - support).astype(np.int64) + 1
    taps = int(np.ceil(2 * support)) + 1
    idx = first[:, None] + np.arange(taps)[None, :]
    weights = np.clip(1.0 - np.abs(idx - centres[:, None]) / support, 0.0, None)
    weights /= weights.sum(axis=1, keepdims=True)
    if boundary == "wrap":
        idx = idx % in_size
    elif boundary == "reflect":
        idx = _reflect(idx, in_size)
    else:
        idx = np.clip(idx, 0, in_size - 1)
    x = x.movedim(dim, -1)
    gathered = x[..., torch.from_numpy(idx).to(x.device)]  # (..., out, taps)
    w = torch.from_numpy(weights).to(device=x.device, dtype=x.dtype)
    return (gathered * w).sum(-1).movedim(-1, dim)


def keep_low_band(x: torch.Tensor, reference: torch.Tensor, repeat: str) -> torch.Tensor:
    """x's detail finer than `reference`'s resolution laid on `reference`, at x's size.

    The print tile is made at print resolution but must look like the approved preview: the
    preview gives every frequency it holds, the print-resolution render only what lies above them.
    Both resamplings go through the repeat, so the result wraps as x does.
    """
    size = (x.shape[-2], x.shape[-1])
    small = (reference.shape[-2], reference.shape[-1])
    detail = x - resample(resample(x, repeat, small), repeat, size)
    return (resample(reference.to(x), repeat, size) + detail).clamp(0.0, 1.0)
