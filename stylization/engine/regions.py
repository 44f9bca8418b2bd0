"""Region control: the style paints a base pattern's motifs, its ground, or both.

A base pattern is mostly flat colour. Its colours are clustered (k-means in Lab); the ground is the
dominant cluster, the motifs are the rest. The mask is made from the tile itself, so it is a tile of
the same repeat, and it is resampled through that repeat, so its soft edges wrap as the print does.
The optimiser's Gram loss is restricted to the mask (Gatys et al. 2017, "Controlling perceptual
factors in neural style transfer", spatial control), and every method's output is composited
through it, so the other region keeps the base pattern's own pixels.
"""

from __future__ import annotations

import numpy as np
import torch

from .colour import srgb_to_lab
from .params import REGIONS
from .repeat import resample

# Clusters and the resolution they are found at: enough for a designer's palette of flat colours;
# the mask is then resampled to every level, so the preview and the print share one mask.
FLAT_COLOURS = 6
MASK_SIDE = 128
_KMEANS_ROUNDS = 12


def flat_colour_labels(content: torch.Tensor, colours: int = FLAT_COLOURS) -> np.ndarray:
    """Cluster index per pixel of a (1,3,H,W) tile, by k-means in Lab with farthest-point seeds."""
    lab = srgb_to_lab(content[0].permute(1, 2, 0).detach().cpu().double().numpy()).reshape(-1, 3)
    centres = [lab[0]]
    for _ in range(1, colours):
        distance = np.min([((lab - c) ** 2).sum(1) for c in centres], axis=0)
        if distance.max() < 1e-6:
            break
        centres.append(lab[int(distance.argmax())])
    centre = np.stack(centres)
    labels = np.zeros(len(lab), dtype=np.int64)
    for _ in range(_KMEANS_ROUNDS):
        labels = ((lab[:, None, :] - centre[None]) ** 2).sum(-1).argmin(1)
        for k in range(len(centre)):
            members = lab[labels == k]
            if len(members):
                centre[k] = members.mean(0)
    return labels.reshape(content.shape[-2:])


def ground_mask(content: torch.Tensor, repeat: str) -> torch.Tensor:
    """(1,1,h,w) of 1 where the tile shows its ground (the dominant flat colour), at most MASK_SIDE a side."""
    height, width = content.shape[-2:]
    scale = min(1.0, MASK_SIDE / max(height, width))
    size = (max(2, round(height * scale / 2) * 2), max(2, round(width * scale / 2) * 2))
    labels = flat_colour_labels(resample(content, repeat, size))
    ground = np.bincount(labels.ravel()).argmax()
    return torch.from_numpy((labels == ground).astype(np.float32))[None, None]


def region_mask(content: torch.Tensor, regions: str, repeat: str) -> torch.Tensor | None:
    """The mask of the region the style paints, at the mask's own resolution; None for "all"."""
    if regions not in REGIONS:
        raise ValueError(f"regions must be one of {', '.join(REGIONS)}, got {regions!r}")
    if regions == "all":
        return None
    ground = ground_mask(content, repeat)
    return ground if regions == "ground" else 1.0 - ground


def mask_at(mask: torch.Tensor, repeat: str, size: tuple[int, int], device: torch.device) -> torch.Tensor:
    """The mask at a tile size, resampled through the repeat (its edges soften, and wrap)."""
    return resample(mask, repeat, size).clamp(0.0, 1.0).to(device)


def composite(stylized: torch.Tensor, content: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """The stylized pixels inside the mask, the base pattern's outside it."""
    if mask is None:
        return stylized
    return content + mask * (stylized - content)
