"""A print-and-scan simulator, so the bench and the tests need no printer.

It renders the printed plane of a tile at product scale and photographs a window of it: the
window holds `periods` periods (the side of the plane's translation cell, see
`repeat_fingerprint.repeat_lattice`) at a random phase, is warped by a small rotation and
perspective, optionally draped over sinusoidal fabric folds (a displacement plus shading), then
blurred, colour-cast, noised and JPEG-compressed. Every sample of the plane goes through the
repeat geometry, so all five repeat types are exact.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter
from scipy import ndimage

from provenance.core.plane import plane_view, sample_plane
from provenance.core.repeat_fingerprint import repeat_lattice


@dataclass(frozen=True)
class Capture:
    """How one photo of the print is taken."""

    periods: float = 2.0  # window side, in periods of the plane
    long_side: int = 600  # photo pixels along the window's longer side
    aspect: float = 1.0  # window width / height
    rotation_deg: float = 0.0
    perspective: float = 0.0  # each corner moves up to this fraction of the window side
    blur_sigma: float = 0.0  # photo pixels
    noise_sigma: float = 0.0  # of 255
    colour_cast: tuple[float, float, float] | None = None  # per-channel gain
    brightness_offset: float = 0.0  # added to every channel, of 255
    gamma: float = 1.0
    jpeg_quality: int | None = None
    fold_amplitude: float = 0.0  # displacement, photo pixels
    fold_wavelength: float = 200.0  # photo pixels
    fold_angle_deg: float = 0.0


def _homography(source: NDArray[np.float64], target: NDArray[np.float64]) -> NDArray[np.float64]:
    """The 3 x 3 projective map taking four source points to four target points."""
    rows = []
    for (x, y), (u, v) in zip(source, target, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y, -u])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y, -v])
    _, _, vt = np.linalg.svd(np.array(rows, dtype=np.float64))
    return vt[-1].reshape(3, 3) / vt[-1][-1]


def period_length(repeat: str, width: int, height: int) -> float:
    """The side of a square with the area of the plane's translation cell, in tile pixels."""
    return float(np.sqrt(abs(np.linalg.det(repeat_lattice(repeat, width, height)))))


def _prefiltered(tile: NDArray[np.float64], repeat: str, sigma: float) -> NDArray[np.float64]:
    """The tile blurred as a piece of its plane (the blur reaches across the repeat's edges)."""
    if sigma < 0.3:
        return tile
    height, width = tile.shape[:2]
    margin = int(np.ceil(3 * sigma)) + 1
    padded = plane_view(tile, repeat, -margin, -margin, height + 2 * margin, width + 2 * margin)
    blurred = ndimage.gaussian_filter(padded, (sigma, sigma, 0))
    return blurred[margin : margin + height, margin : margin + width]


def photograph(tile: Image.Image, repeat: str, capture: Capture, rng: np.random.Generator) -> Image.Image:
    """A simulated photo of the print of `tile`, laid out in `repeat`."""
    array = np.asarray(tile.convert("RGB"), dtype=np.float64)
    height, width = array.shape[:2]
    side_plane = capture.periods * period_length(repeat, width, height)  # window's longer side, plane px
    if capture.aspect >= 1:
        window_w, window_h = side_plane, side_plane / capture.aspect
    else:
        window_w, window_h = side_plane * capture.aspect, side_plane
    out_w = max(16, round(capture.long_side * window_w / side_plane))
    out_h = max(16, round(capture.long_side * window_h / side_plane))
    plane_per_pixel = side_plane / capture.long_side
    # The prefilter already band-limits the plane to the photo's pixels, so a photo that shrinks
    # the plane takes one sample per pixel (a 2 x 2 grid costs four times as much).
    supersample = 2 if plane_per_pixel < 1 else 1
    source = _prefiltered(array, repeat, 0.5 * plane_per_pixel / supersample)

    # The window's corners in the plane: a random phase, a rotation about its centre, and each
    # corner nudged for perspective; the photo's corners map onto them.
    centre = rng.uniform(0, 50 * max(width, height), size=2)
    theta = np.radians(capture.rotation_deg)
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    half = np.array([window_w, window_h]) / 2
    corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=np.float64) * half
    corners = corners + rng.uniform(-1, 1, size=(4, 2)) * capture.perspective * side_plane
    plane_corners = corners @ rotation.T + centre
    photo_corners = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], dtype=np.float64)
    h = _homography(photo_corners, plane_corners)

    ys, xs = np.mgrid[0 : out_h * supersample, 0 : out_w * supersample].astype(np.float64)
    px, py = (xs + 0.5) / supersample, (ys + 0.5) / supersample
    shading = np.ones_like(px)
    if capture.fold_amplitude > 0:
        angle = np.radians(capture.fold_angle_deg)
        across = px * np.cos(angle) + py * np.sin(angle)
        wave = 2 * np.pi * across / capture.fold_wavelength
        px = px + capture.fold_amplitude * np.sin(wave) * np.cos(angle)
        py = py + capture.fold_amplitude * np.sin(wave) * np.sin(angle)
        shading = 1.0 - 0.12 * np.cos(wave)  # the sides of a fold catch less light
    denominator = h[2, 0] * px + h[2, 1] * py + h[2, 2]
    plane_x = (h[0, 0] * px + h[0, 1] * py + h[0, 2]) / denominator
    plane_y = (h[1, 0] * px + h[1, 1] * py + h[1, 2]) / denominator
    rendered = sample_plane(source, repeat, plane_x, plane_y) * shading[..., None]
    photo = rendered.reshape(out_h, supersample, out_w, supersample, 3).mean(axis=(1, 3))

    if capture.colour_cast is not None:
        photo = photo * np.array(capture.colour_cast)
    photo = 255.0 * np.clip((photo + capture.brightness_offset) / 255.0, 0, 1) ** capture.gamma
    image = Image.fromarray(np.clip(np.rint(photo), 0, 255).astype(np.uint8), mode="RGB")
    if capture.blur_sigma > 0:
        image = image.filter(ImageFilter.GaussianBlur(capture.blur_sigma))
    if capture.noise_sigma > 0:
        noisy = np.asarray(image, dtype=np.float64) + rng.normal(0, capture.noise_sigma, (out_h, out_w, 3))
        image = Image.fromarray(np.clip(np.rint(noisy), 0, 255).astype(np.uint8), mode="RGB")
    if capture.jpeg_quality is not None:
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=capture.jpeg_quality)
        buffer.seek(0)
        image = Image.open(buffer).convert("RGB")
    return image


def print_and_scan_capture(
    rng: np.random.Generator, *, periods: float | None = None, folds: bool = False
) -> Capture:
    """A random capture of the kind a legal team brings: 1.2-6 periods unless given, rotation up
    to 5°, a little perspective, blur, noise, a colour cast and JPEG; optionally folds."""
    return Capture(
        periods=float(rng.uniform(1.2, 6.0)) if periods is None else periods,
        long_side=int(rng.integers(420, 800)),
        aspect=float(rng.uniform(0.75, 1.33)),
        rotation_deg=float(rng.uniform(-5, 5)),
        perspective=float(rng.uniform(0, 0.03)),
        blur_sigma=float(rng.uniform(0.5, 1.5)),
        noise_sigma=float(rng.uniform(2, 6)),
        colour_cast=(
            float(rng.uniform(0.85, 1.15)),
            float(rng.uniform(0.85, 1.15)),
            float(rng.uniform(0.85, 1.15)),
        ),
        brightness_offset=float(rng.uniform(-15, 15)),
        gamma=float(rng.uniform(0.8, 1.25)),
        jpeg_quality=int(rng.integers(60, 86)),
        fold_amplitude=float(rng.uniform(1.5, 4)) if folds else 0.0,
        fold_wavelength=float(rng.uniform(160, 320)),
        fold_angle_deg=float(rng.uniform(0, 180)),
    )
