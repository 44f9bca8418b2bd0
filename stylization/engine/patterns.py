"""Seamless base patterns for demo data, the style models' training, tests and the benches.

Each shape is drawn once per lattice translation of the repeat, shape by shape, so the
drawing is exactly periodic under the repeat (paint order is the same for every copy).
Drawing happens at twice the size and is box-reduced, which keeps the period exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from .repeat import REPEAT_TYPES, check_repeat, check_tile_size

PATTERN_KINDS: tuple[str, ...] = ("motifs", "ditsy", "stripes", "geometric", "blobs", "checks")


@dataclass(frozen=True)
class PatternSpec:
    """One generated base pattern, at any size: the same repeat, kind and seed draw the same design."""

    repeat: str
    kind: str
    seed: int

    def generate(self, size: int | tuple[int, int]) -> Image.Image:
        return generate_pattern(self.repeat, size=size, seed=self.seed, kind=self.kind)


# The demo catalogue's base patterns, in the order `manage.py seed_demo` lists them.
DEMO_CATALOGUE_PATTERNS: tuple[PatternSpec, ...] = (
    PatternSpec("basic", "motifs", 1),
    PatternSpec("half_drop", "motifs", 2),
    PatternSpec("half_brick", "checks", 3),
    PatternSpec("center", "motifs", 4),
    PatternSpec("mirror", "geometric", 5),
    PatternSpec("basic", "stripes", 6),
    PatternSpec("half_drop", "blobs", 7),
)
# Every kind on every repeat, twice over, with seeds from 1000: well apart from the seeds the benches
# hold out to judge the models on.
GENERATED_TRAINING_PATTERNS: tuple[PatternSpec, ...] = tuple(
    PatternSpec(REPEAT_TYPES[i % len(REPEAT_TYPES)], kind, 1000 + i)
    for i, kind in enumerate(PATTERN_KINDS * 2)
)
# What a style's feed-forward model learns on (with the live catalogue's patterns, when it has them).
TRAINING_PATTERNS: tuple[PatternSpec, ...] = DEMO_CATALOGUE_PATTERNS + GENERATED_TRAINING_PATTERNS

_PALETTES = [
    ["#f4efe6", "#e63946", "#457b9d", "#1d3557", "#f1c453", "#2a9d8f"],
    ["#fff8e7", "#d62828", "#f77f00", "#fcbf49", "#003049", "#6a994e"],
    ["#1b263b", "#e0e1dd", "#ff6b6b", "#ffd166", "#06d6a0", "#118ab2"],
    ["#fefae0", "#bc6c25", "#dda15e", "#606c38", "#283618", "#9b2226"],
    ["#f8edeb", "#9d4edd", "#ff006e", "#3a86ff", "#fb5607", "#8338ec"],
    ["#e9f5db", "#132a13", "#31572c", "#ecf39e", "#ff8fab", "#fb6f92"],
]

Shape = tuple[np.ndarray, str]  # polygon vertices (n x 2, tile pixels) and fill colour


def generate_pattern(
    repeat: str, *, size: int | tuple[int, int], seed: int, kind: str = "motifs"
) -> Image.Image:
    """A colourful tile that is seamless when laid out in `repeat` (size is width x height)."""
    return pattern_plane(repeat, size=size, seed=seed, kind=kind, cols=1, rows=1)


def pattern_plane(
    repeat: str, *, size: int | tuple[int, int], seed: int, kind: str = "motifs", cols: int = 2, rows: int = 2
) -> Image.Image:
    """The same design painted directly over cols x rows tiles of the plane.

    Independent of `tile_layout`, so the two can be compared to prove the tile repeats.
    """
    check_repeat(repeat)
    if kind not in PATTERN_KINDS:
        raise ValueError(f"unknown pattern kind {kind!r}; expected one of {', '.join(PATTERN_KINDS)}")
    width, height = (size, size) if isinstance(size, int) else size
    if width < 16 or height < 16:
        raise ValueError("a pattern tile needs at least 16x16 pixels")
    check_tile_size(repeat, height, width)
    rng = np.random.default_rng(seed)
    palette = _PALETTES[int(rng.integers(len(_PALETTES)))]
    ground, colours = palette[0], palette[1:]
    if repeat == "center":
        shapes = _centred_motif(rng, width, height, colours)
    else:
        shapes = _SHAPES[kind](rng, width, height, colours)
    # A random phase keeps band edges of stripes and checks off the tile edge, as in real artwork.
    phase = np.zeros(2) if repeat == "center" else rng.uniform(0, 1, size=2) * (width, height)
    return _draw(shapes, phase, repeat, width, height, ground, (cols * width, rows * height))


def _draw(
    shapes: list[Shape],
    phase: np.ndarray,
    repeat: str,
    width: int,
    height: int,
    ground: str,
    canvas_size: tuple[int, int],
) -> Image.Image:
    """Paint the shapes with all their lattice copies; canvas_size > tile shows the repeat."""
    scale = 2
    canvas = Image.new("RGB", (canvas_size[0] * scale, canvas_size[1] * scale), ground)
    draw = ImageDraw.Draw(canvas)
    offsets = _lattice(repeat, width, height)
    for polygon, colour in shapes:
        points = np.rint((polygon + phase) * scale).astype(np.int64)
        for dx, dy in offsets:
            draw.polygon([(int(x), int(y)) for x, y in points + (dx * scale, dy * scale)], fill=colour)
    return canvas.reduce(scale)


def _lattice(repeat: str, width: int, height: int) -> list[tuple[int, int]]:
    if repeat in ("mirror", "center"):
        # A mirrored tile is continuous by reflection; shapes may run off its edge.
        return [(0, 0)]
    offsets = []
    for i in range(-2, 3):
        for j in range(-2, 3):
            if repeat == "basic":
                offsets.append((i * width, j * height))
            elif repeat == "half_drop":
                offsets.append((i * width, j * height + i * (height // 2)))
            else:  # half_brick
                offsets.append((i * width + j * (width // 2), j * height))
    return offsets


def _ellipse(cx: float, cy: float, rx: float, ry: float, angle: float = 0.0, n: int = 28) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    x, y = rx * np.cos(t), ry * np.sin(t)
    c, s = np.cos(angle), np.sin(angle)
    return np.stack([cx + c * x - s * y, cy + s * x + c * y], axis=1)


def _flower(rng: np.random.Generator, cx: float, cy: float, r: float, colours: list[str]) -> list[Shape]:
    petals = int(rng.integers(5, 9))
    petal_colour, centre_colour = rng.choice(colours, size=2, replace=False)
    start = rng.uniform(0, np.pi)
    shapes = []
    for k in range(petals):
        a = start + 2 * np.pi * k / petals
        shapes.append(
            (
                _ellipse(cx + 0.55 * r * np.cos(a), cy + 0.55 * r * np.sin(a), 0.5 * r, 0.22 * r, a),
                petal_colour,
            )
        )
    shapes.append((_ellipse(cx, cy, 0.25 * r, 0.25 * r), centre_colour))
    return shapes


def _leaf(rng: np.random.Generator, cx: float, cy: float, r: float, colours: list[str]) -> list[Shape]:
    a = rng.uniform(0, np.pi)
    t = np.linspace(0, np.pi, 14)
    upper = np.stack([r * np.cos(t), 0.35 * r * np.sin(t)], 1)
    lower = np.stack([r * np.cos(t[::-1]), -0.35 * r * np.sin(t[::-1])], 1)
    pts = np.concatenate([upper, lower])
    c, s = np.cos(a), np.sin(a)
    rotated = pts @ np.array([[c, s], [-s, c]]) + (cx, cy)
    return [(rotated, str(rng.choice(colours)))]


def _motifs(rng: np.random.Generator, width: int, height: int, colours: list[str]) -> list[Shape]:
    unit = min(width, height) / 256
    count = max(4, int(width * height / (70 * unit) ** 2))
    shapes: list[Shape] = []
    for _ in range(count):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        pick = rng.random()
        if pick < 0.4:
            shapes += _flower(rng, cx, cy, rng.uniform(14, 30) * unit, colours)
        elif pick < 0.75:
            shapes += _leaf(rng, cx, cy, rng.uniform(10, 22) * unit, colours)
        else:
            r = rng.uniform(3, 8) * unit
            shapes.append((_ellipse(cx, cy, r, r, n=16), str(rng.choice(colours))))
    return shapes


def _ditsy(rng: np.random.Generator, width: int, height: int, colours: list[str]) -> list[Shape]:
    """A dense all-over print of small flowers and leaves: no area of the tile is empty."""
    unit = min(width, height) / 256
    shapes: list[Shape] = []
    for _ in range(max(12, int(width * height / (34 * unit) ** 2))):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        if rng.random() < 0.5:
            shapes += _flower(rng, cx, cy, rng.uniform(8, 16) * unit, colours)
        else:
            shapes += _leaf(rng, cx, cy, rng.uniform(7, 14) * unit, colours)
    return shapes


def _band(x0: float, x1: float, height: int, vertical: bool) -> np.ndarray:
    pts = np.array([[x0, -height], [x1, -height], [x1, 2 * height], [x0, 2 * height]], dtype=float)
    return pts if vertical else pts[:, ::-1]


def _stripes(rng: np.random.Generator, width: int, height: int, colours: list[str]) -> list[Shape]:
    vertical = bool(rng.random() < 0.5)
    period = width if vertical else height
    across = height if vertical else width
    shapes: list[Shape] = []
    x = 0.0
    while x < period:
        w = rng.uniform(0.03, 0.12) * period
        shapes.append((_band(x, min(x + w, period), across, vertical), str(rng.choice(colours))))
        x += w + rng.uniform(0.01, 0.06) * period
    for _ in range(int(rng.integers(3, 7))):  # a scatter of dots keeps the stripes from being 1-D
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(3, 7) * min(width, height) / 256
        shapes.append((_ellipse(cx, cy, r, r, n=16), str(rng.choice(colours))))
    return shapes


def _checks(rng: np.random.Generator, width: int, height: int, colours: list[str]) -> list[Shape]:
    a, b, c = (str(v) for v in rng.choice(colours, size=3, replace=False))
    n = int(rng.choice([4, 6, 8]))
    shapes: list[Shape] = []
    for k in range(n):
        shapes.append((_band(k * width / n, (k + 0.5) * width / n, height, True), a))
    for k in range(n):
        shapes.append((_band(k * height / n, (k + 0.5) * height / n, width, False), b))
    for i in range(n):
        for j in range(n):
            x0, y0 = i * width / n, j * height / n
            shapes.append(
                (
                    np.array(
                        [
                            [x0, y0],
                            [x0 + width / (2 * n), y0],
                            [x0 + width / (2 * n), y0 + height / (2 * n)],
                            [x0, y0 + height / (2 * n)],
                        ]
                    ),
                    c,
                )
            )
    return shapes


def _geometric(rng: np.random.Generator, width: int, height: int, colours: list[str]) -> list[Shape]:
    n = int(rng.choice([4, 6, 8]))
    cw, ch = width / n, height / n
    shapes: list[Shape] = []
    for i in range(n):
        for j in range(n):
            cx, cy = (i + 0.5) * cw, (j + 0.5) * ch
            colour = colours[(i + 2 * j) % len(colours)]
            if (i + j) % 2:
                shapes.append(
                    (
                        np.array(
                            [[cx, cy - ch / 2], [cx + cw / 2, cy], [cx, cy + ch / 2], [cx - cw / 2, cy]]
                        ),
                        colour,
                    )
                )
            else:
                shapes.append(
                    (
                        np.array(
                            [
                                [cx - cw * 0.4, cy + ch * 0.35],
                                [cx, cy - ch * 0.4],
                                [cx + cw * 0.4, cy + ch * 0.35],
                            ]
                        ),
                        colour,
                    )
                )
            shapes.append((_ellipse(cx, cy, cw * 0.08, ch * 0.08, n=12), colours[(i + j + 3) % len(colours)]))
    return shapes


def _blobs(rng: np.random.Generator, width: int, height: int, colours: list[str]) -> list[Shape]:
    unit = min(width, height) / 256
    shapes: list[Shape] = []
    for _ in range(max(3, int(width * height / (90 * unit) ** 2))):
        cx, cy, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(16, 34) * unit
        t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
        radius = r * (1 + 0.25 * np.sin(2 * t + rng.uniform(0, 6)) + 0.1 * np.sin(3 * t + rng.uniform(0, 6)))
        radius *= 1 + 0.6 * np.exp(-((t - np.pi) ** 2) / 0.2)  # the paisley's curled tail
        a = rng.uniform(0, 2 * np.pi)
        outline = np.stack([cx + radius * np.cos(t + a), cy + radius * np.sin(t + a)], 1)
        outer, inner, dot = (str(v) for v in rng.choice(colours, size=3, replace=False))
        shapes.append((outline, outer))
        shapes.append((cx + 0.55 * (outline - (cx, cy)), inner))
        shapes.append((_ellipse(cx, cy, 0.15 * r, 0.15 * r, n=16), dot))
    return shapes


def _centred_motif(rng: np.random.Generator, width: int, height: int, colours: list[str]) -> list[Shape]:
    cx, cy, r = width / 2, height / 2, 0.3 * min(width, height)
    shapes = _flower(rng, cx, cy, r, colours)
    ring = int(rng.integers(8, 14))
    for k in range(ring):
        a = 2 * np.pi * k / ring
        d = 0.06 * min(width, height)
        shapes.append(
            (
                _ellipse(cx + 1.25 * r * np.cos(a), cy + 1.25 * r * np.sin(a), d, d, n=16),
                colours[k % len(colours)],
            )
        )
    return shapes


_SHAPES = {
    "motifs": _motifs,
    "ditsy": _ditsy,
    "stripes": _stripes,
    "geometric": _geometric,
    "blobs": _blobs,
    "checks": _checks,
}
