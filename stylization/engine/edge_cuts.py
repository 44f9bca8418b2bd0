"""The repeat check's edge test: are motifs cut by the tile's edge in a way that shows?

A seamless tile continues every motif across its edge into the neighbouring tile, so the pixels
either side of the edge are as alike as any two neighbours inside the tile. A tile cropped without
regard to its repeat cuts motifs: a motif pixel on the edge meets, across it, the unrelated pixel
on the opposite side of the tile.

The measure, on the tile at most MEASURE_SIDE a side:
- the ground is the dominant flat colour (k-means in Lab, as region control finds it); every other
  pixel is foreground (motif);
- a border pixel is *cut* when it is foreground and its neighbour across the edge, as the print
  lays the tiles out (the repeat's own wrap), differs from it by more than CUT_DELTA_E (CIE76);
- the border's cut fraction is the share of border pixels that are cut; the same test on every
  pair of neighbours inside the tile gives the interior's fraction (motif outlines cross there too);
- `excess` is the border's fraction less the interior's. Above CUT_WARNING_EXCESS the repeat
  check warns: that many more motif pixels break at the edge than anywhere inside.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

from .colour import srgb_to_lab
from .images import to_tensor
from .layout import layout_repeat
from .regions import flat_colour_labels
from .repeat import check_repeat, pad

MEASURE_SIDE = 256
# A colour difference anyone sees side by side (CIE76; 2.3 is a just-noticeable difference).
CUT_DELTA_E = 10.0
# 5 % more of the border's pixels broken than of the inside's neighbours. On the generated 160 px
# patterns (seed 41; basic, half drop, half brick x motifs, ditsy, blobs) seamless tiles measured
# -0.04 to 0.02, and the same designs cropped to 80 % of their period 0.02 to 0.28 (8 of 9 above 0.05).
CUT_WARNING_EXCESS = 0.05


@dataclass(frozen=True)
class EdgeCuts:
    border_fraction: float
    interior_fraction: float

    @property
    def excess(self) -> float:
        return self.border_fraction - self.interior_fraction

    @property
    def warns(self) -> bool:
        return self.excess > CUT_WARNING_EXCESS


def edge_cuts(tile: Image.Image, repeat: str) -> EdgeCuts:
    """How much more often motifs break at the tile's edge than inside it (see the module's note)."""
    check_repeat(repeat)
    image = tile.convert("RGB")
    scale = min(1.0, MEASURE_SIDE / max(image.size))
    if scale < 1.0:
        size = (max(8, round(image.width * scale)), max(8, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BOX)
    x = to_tensor(image)
    foreground = _foreground(x)
    lab = srgb_to_lab(pad(x, layout_repeat(repeat), 1)[0].permute(1, 2, 0).double().numpy())
    inner = lab[1:-1, 1:-1]
    fg = foreground

    def cut(a: np.ndarray, b: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return mask & (np.linalg.norm(a - b, axis=-1) > CUT_DELTA_E)

    border = [
        cut(inner[0], lab[0, 1:-1], fg[0]),  # top row against the row above it in the plane
        cut(inner[-1], lab[-1, 1:-1], fg[-1]),
        cut(inner[:, 0], lab[1:-1, 0], fg[:, 0]),
        cut(inner[:, -1], lab[1:-1, -1], fg[:, -1]),
    ]
    interior = [
        cut(inner[1:], inner[:-1], fg[1:]),
        cut(inner[:, 1:], inner[:, :-1], fg[:, 1:]),
    ]
    border_fraction = sum(int(c.sum()) for c in border) / sum(c.size for c in border)
    interior_fraction = sum(int(c.sum()) for c in interior) / max(1, sum(c.size for c in interior))
    return EdgeCuts(border_fraction=border_fraction, interior_fraction=interior_fraction)


def _foreground(x: torch.Tensor) -> np.ndarray:
    labels = flat_colour_labels(x)
    ground = np.bincount(labels.ravel()).argmax()
    return np.asarray(labels != ground)
