"""Judges shared by the tests and the bench: seam visibility and structural similarity."""

from __future__ import annotations

import numpy as np
from PIL import Image

from .layout import plane_array

_GRID = 8  # compare the wrap edge with interior boundaries in the same phase of an 8-px grid


def seam_ratio(tile: Image.Image, repeat: str) -> float:
    """Mean step across the wrap-around edge / mean step across interior boundaries in phase.

    About 1.0 means the edge is as smooth as the inside of the tile; the worse of the
    vertical and horizontal edges is returned.
    """
    array = np.asarray(tile.convert("RGB"), dtype=np.float64)
    height, width = array.shape[:2]
    plane = plane_array(array, repeat, 0, 0, 2 * height, 2 * width)
    across_columns = _ratio(plane[:height], width)
    across_rows = _ratio(plane[:, :width].transpose(1, 0, 2), height)
    return max(across_columns, across_rows)


def interior_cut_ratio(tile: Image.Image, repeat: str) -> float:
    """The seam metric's noise floor on this design: the 90th percentile of its score at sixteen cuts
    through the inside of the printed plane.

    A translated window of the plane is an equally valid tile of the same repeat, so a seamless
    tile's own edge scores like these cuts. One cut's score varies with what it happens to cross
    (on a textured 128 px tile, from 0.99 to 1.30, median 1.11), so the edge is held to the
    high end of that spread, not to a mean of a few cuts; a real seam scores 3 to 18.
    """
    array = np.asarray(tile.convert("RGB"))
    height, width = array.shape[:2]
    cuts = [(height * (2 * i + 1) // 9, width * (2 * j + 1) // 11) for i in range(4) for j in range(4)]
    scores = [
        seam_ratio(Image.fromarray(plane_array(array, repeat, dy, dx, height, width)), repeat)
        for dy, dx in cuts
    ]
    return float(np.percentile(scores, 90))


def _ratio(plane: np.ndarray, period: int) -> float:
    """plane: rows x (2*period) columns; the wrap edge lies between columns period-1 and period."""
    steps = np.abs(np.diff(plane, axis=1)).mean(axis=(0, 2))  # steps[c] is between columns c and c+1
    wrap = steps[period - 1]
    interior = [steps[c - 1] for c in range(1, period) if c % _GRID == period % _GRID]
    mean_interior = float(np.mean(interior)) if interior else float(steps[: period - 1].mean())
    if mean_interior <= 1e-9:
        return 1.0 if wrap <= 1e-9 else float("inf")
    return float(wrap / mean_interior)


def seam_excess(tile: Image.Image, base: Image.Image, repeat: str) -> float:
    """The seam ratio a render added to its base pattern's edge: at most ~1.0 when seamless.

    On a flat-colour design the seam ratio alone reads the design as much as the render: a seamless
    base whose motif crosses the tile's edge scores 1.8, a check whose line lies on the edge more,
    a centred motif's plain ground 0. The print's edge is compared with the worst of what its
    base scores there, what cuts through the print's inside score, and 1.
    """
    if base.size != tile.size:
        base = base.resize(tile.size, Image.Resampling.LANCZOS)
    floor = max(1.0, seam_ratio(base, repeat), interior_cut_ratio(tile, repeat))
    return seam_ratio(tile, repeat) / floor


def lab_correlation(preview: Image.Image, tile: Image.Image, side: int = 64) -> float:
    """Pearson correlation of two images' Lab values, both seen at side x side.

    How much a print tile looks like its preview: each channel is centred on its own mean, and the
    channels are pooled, so a channel that barely varies (a grey ground's a and b) weighs little.
    """
    from .colour import srgb_to_lab

    def lab(image: Image.Image) -> np.ndarray:
        small = image.convert("RGB").resize((side, side), Image.Resampling.BOX)
        values = srgb_to_lab(np.asarray(small, dtype=np.float64) / 255.0).reshape(-1, 3)
        return values - values.mean(axis=0)

    a, b = lab(preview), lab(tile)
    denominator = float(np.sqrt((a**2).sum() * (b**2).sum()))
    return float((a * b).sum() / denominator) if denominator > 1e-12 else 1.0


def luma(image: Image.Image) -> np.ndarray:
    rgb = np.asarray(image.convert("RGB"), dtype=np.float64)
    return rgb @ np.array([0.299, 0.587, 0.114])


def ssim_luma(a: Image.Image, b: Image.Image) -> float:
    """SSIM of Rec. 601 luminance; b is resized to a's size when they differ."""
    if a.size != b.size:
        b = b.resize(a.size, Image.Resampling.LANCZOS)
    from skimage.metrics import structural_similarity  # only the judges need scikit-image

    return float(structural_similarity(luma(a), luma(b), data_range=255.0))
