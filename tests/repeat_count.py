"""Counting a pattern's repeats in a picture of a product, from the picture alone.

The test pattern is two saturated colours (red and blue noise), so the printed face is told from
the scene (greys, browns, shadows) by its saturation, and the red-minus-blue signal along a row is
the pattern whatever the shading. The repeat's period is the first strong peak of that signal's
autocorrelation, averaged over the face's middle rows; the count is the face's width over it."""

from __future__ import annotations

import numpy as np
from PIL import Image


def two_colour_noise(side: int = 96, *, cells: int = 12, seed: int = 1) -> Image.Image:
    """A tile of red and blue blocks, random (no period shorter than the tile)."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 2, size=(cells, cells)).astype(bool)
    pixels = np.where(blocks[..., None], np.array([220, 30, 30]), np.array([30, 30, 220])).astype(np.uint8)
    return Image.fromarray(pixels, mode="RGB").resize((side, side), Image.Resampling.NEAREST)


def printed_face(image: Image.Image, *, min_saturation: int = 90) -> np.ndarray:
    rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
    return (rgb.max(axis=2) - rgb.min(axis=2)) >= min_saturation


def repeat_period_px(image: Image.Image) -> float:
    rgb = np.asarray(image.convert("RGB"), dtype=np.float64)
    face = printed_face(image)
    rows = np.flatnonzero(face.sum(axis=1) > 0.5 * face.sum(axis=1).max())
    cols = np.flatnonzero(face.sum(axis=0) > 0.5 * face.sum(axis=0).max())
    top, bottom = rows[0], rows[-1]
    left, right = cols[0], cols[-1]
    # The middle of the face, away from seams and curled edges.
    band_rows = range(top + (bottom - top) // 4, bottom - (bottom - top) // 4)
    x0, x1 = left + (right - left) // 10, right - (right - left) // 10
    signal = rgb[list(band_rows), x0:x1, 0] - rgb[list(band_rows), x0:x1, 2]
    signal = signal - signal.mean(axis=1, keepdims=True)
    n = signal.shape[1]
    spectrum = np.fft.rfft(signal, 2 * n, axis=1)
    auto = np.fft.irfft(spectrum * np.conj(spectrum), axis=1)[:, :n].mean(axis=0)
    auto = auto / np.arange(n, 0, -1)  # unbiased: each lag's mean product
    auto = auto / auto[0]
    lags = np.arange(n)
    usable = (lags > 3) & (lags < n // 2)
    peaks = [
        lag
        for lag in lags[usable]
        if auto[lag] > 0.5 and auto[lag] >= auto[lag - 1] and auto[lag] >= auto[lag + 1]
    ]
    if not peaks:
        raise AssertionError("no repeat found along the face")
    first = peaks[0]
    # Sub-pixel: a parabola through the peak and its neighbours.
    a, b, c = auto[first - 1], auto[first], auto[first + 1]
    return float(first + 0.5 * (a - c) / (a - 2 * b + c))


def repeats_across(image: Image.Image) -> float:
    """How many repeats the printed face shows from its left edge to its right."""
    face = printed_face(image)
    row = face[face.sum(axis=1).argmax()]
    cols = np.flatnonzero(row)
    return float((cols[-1] - cols[0] + 1) / repeat_period_px(image))
