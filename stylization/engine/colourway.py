"""Colourways: a base pattern's flat colours, and the same pattern with some of them swapped.

The palette is found by k-means in Lab (scipy), then tidied the way a designer would read it:
clusters closer than MERGE_DELTA_E (CIEDE2000) are one colour, and a small cluster that is only a
mix of two larger ones is the anti-aliased edge between them, not a colour. Each colour is the
cluster's most common exact pixel value, so a flat colour comes back as the hex it was drawn with.

A swap moves each pixel by the blend of its colours' changes. Anti-aliased edges are mixes of two
flat colours in the encoded sRGB values (the rasteriser averages them), so each pixel is unmixed
against the pair of palette colours it lies closest to, p = (1 - t) a + t b + residual, and moved
by (1 - t) (a' - a) + t (b' - b). A pixel within MERGE_DELTA_E of a palette colour belongs to it
and moves with it, since the palette merged it there. So a flat pixel becomes its new colour
exactly, an edge keeps its coverage in the new colour, and a pixel that involves no swapped
colour does not change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from PIL import Image
from scipy.cluster.vq import kmeans2
from skimage.color import deltaE_ciede2000, rgb2lab

from .softproof import colours_out_of_gamut, parse_hex

MAX_PALETTE_SIZE = 8
# Two clusters nearer than this (CIEDE2000) are one colour to a buyer's eye at swatch size.
MERGE_DELTA_E = 8.0
# A cluster within this of the mix of two larger colours is their anti-aliased edge.
EDGE_MIX_DELTA_E = 3.0
# ... and much smaller than either of them (an edge is thin; a woven check's mixed square is not).
EDGE_MAX_AREA_RATIO = 0.5
# Palette extraction looks at a nearest-neighbour sample this wide, which keeps flat colours flat.
SAMPLE_SIDE = 256


class ColourwayError(ValueError):
    """A colourway entry that cannot be applied; `field` names it, e.g. colourway["#12ab34"]."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def extract_palette(image: Image.Image, *, max_colours: int = MAX_PALETTE_SIZE, seed: int = 0) -> list[str]:
    """The design's flat colours as "#rrggbb", most area first."""
    if not 1 <= max_colours <= 64:
        raise ValueError(f"max_colours must be between 1 and 64, got {max_colours!r}")
    sample = image.convert("RGB")
    sample.thumbnail((SAMPLE_SIDE, SAMPLE_SIDE), Image.Resampling.NEAREST)
    pixels = np.asarray(sample).reshape(-1, 3)
    distinct = np.unique(pixels, axis=0)
    lab = rgb2lab(pixels.astype(np.float64) / 255.0)
    k = min(max_colours, len(distinct))
    _, labels = kmeans2(lab, k, minit="++", rng=np.random.default_rng(seed))

    clusters: list[tuple[int, np.ndarray]] = []  # (area, most common exact colour)
    for label in range(k):
        members = pixels[labels == label]
        if len(members):
            colours, counts = np.unique(members, axis=0, return_counts=True)
            clusters.append((len(members), colours[int(np.argmax(counts))]))
    clusters.sort(key=lambda cluster: -cluster[0])

    kept: list[list] = []  # [area, colour]
    for area, colour in clusters:
        near = [entry for entry in kept if _delta_e(entry[1], colour) < MERGE_DELTA_E]
        if near:
            near[0][0] += area
        elif not _is_edge_mix(colour, area, kept):
            kept.append([area, colour])
    kept.sort(key=lambda entry: -entry[0])
    return [_to_hex(colour) for _, colour in kept]


def validate_colourway(colourway: object, palette: Sequence[str]) -> dict[str, str]:
    """The colourway with its hexes in lower case; ColourwayError naming the first bad entry."""
    if not isinstance(colourway, Mapping):
        raise ColourwayError("colourway", "must be an object mapping palette colours to new colours")
    known = {parse_hex(colour) for colour in palette}
    valid: dict[str, str] = {}
    for key, value in colourway.items():
        field = f'colourway["{key}"]'
        try:
            source = parse_hex(key)
        except ValueError:
            raise ColourwayError(field, "the key must be a colour as #rrggbb") from None
        if source not in known:
            raise ColourwayError(field, f"is not a colour of this pattern's palette ({', '.join(palette)})")
        if source in valid:
            raise ColourwayError(field, "names a palette colour that is already swapped")
        try:
            valid[source] = parse_hex(value)
        except ValueError:
            raise ColourwayError(field, f"the new colour must be #rrggbb, got {value!r}") from None
    return valid


def colourway_apply(image: Image.Image, palette: Sequence[str], colourway: object) -> Image.Image:
    """The design with each palette colour named in `colourway` replaced by its new colour."""
    swaps = validate_colourway(colourway, palette)
    rgb = image.convert("RGB")
    if not swaps:
        return rgb
    old = np.array([_to_rgb(parse_hex(colour)) for colour in palette], dtype=np.float32)
    change = np.array(
        [
            _to_rgb(swaps[colour]) - _to_rgb(colour) if colour in swaps else np.zeros(3)
            for colour in map(parse_hex, palette)
        ],
        dtype=np.float32,
    )
    # The swap is a function of the pixel's colour, so it is worked out once per distinct colour.
    codes = np.frombuffer(rgb.tobytes("raw", "RGBX"), dtype=np.uint32) & 0xFFFFFF
    distinct, pixel_colour = np.unique(codes, return_inverse=True)
    colours = np.stack([distinct & 0xFF, (distinct >> 8) & 0xFF, (distinct >> 16) & 0xFF], axis=-1).astype(
        np.float32
    )
    moved = colours + _colour_shift(colours, old, change)
    result = np.clip(np.rint(moved), 0, 255).astype(np.uint8)[pixel_colour.reshape(-1)]
    return Image.fromarray(result.reshape(rgb.height, rgb.width, 3), "RGB")


def _colour_shift(colours: np.ndarray, old: np.ndarray, change: np.ndarray) -> np.ndarray:
    """How far each colour (n x 3, sRGB 0-255) moves when palette colours `old` move by `change`."""
    nearest, distance = palette_distance(colours, old)
    shift = change[nearest].copy()
    # A colour the palette merged into its nearest entry is that entry's colour, shading and all;
    # any other is unmixed against the pair of palette colours whose mix it lies closest to.
    mixed = distance >= MERGE_DELTA_E
    best_residual = np.full(len(colours), np.inf, dtype=np.float32)
    for a in range(len(old)):
        for b in range(a + 1, len(old)):
            direction = old[b] - old[a]
            length = max(float(direction @ direction), 1e-6)
            t = np.clip(((colours - old[a]) @ direction) / length, 0.0, 1.0)
            residual = ((colours - old[a] - t[:, None] * direction) ** 2).sum(axis=-1)
            better = mixed & (residual < best_residual)
            best_residual[better] = residual[better]
            shift[better] = (1 - t[better, None]) * change[a] + t[better, None] * change[b]
    return shift


def colourway_out_of_gamut(
    palette: Sequence[str], colourway: object, profile_bytes: bytes
) -> dict[str, bool]:
    """For each colour of the design after the swap, whether the substrate's printer cannot reach it."""
    swaps = validate_colourway(colourway, palette)
    shown = [swaps.get(parse_hex(colour), parse_hex(colour)) for colour in palette]
    return colours_out_of_gamut(shown, profile_bytes)


def palette_distance(colours: np.ndarray, palette: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each colour (n x 3, sRGB 0-255), its nearest palette colour by CIEDE2000 and how far.

    A colour nearer than MERGE_DELTA_E belongs to that palette colour and moves with it.
    """
    colours_lab = rgb2lab(np.asarray(colours, dtype=np.float64) / 255.0)
    palette_lab = rgb2lab(np.asarray(palette, dtype=np.float64) / 255.0)
    distances = np.stack(
        [deltaE_ciede2000(colours_lab, np.broadcast_to(entry, colours_lab.shape)) for entry in palette_lab],
        axis=1,
    )
    nearest = np.argmin(distances, axis=1)
    return nearest, distances[np.arange(len(colours)), nearest]


def _is_edge_mix(colour: np.ndarray, area: int, larger: list[list]) -> bool:
    """Whether a cluster is the anti-aliased edge of two larger colours: a mix of them, and much
    smaller than either (a woven check's mixed squares are as large as their threads)."""
    mixes = np.linspace(0.0, 1.0, 21)[:, None]
    target = rgb2lab(colour.astype(np.float64)[None, :] / 255.0)
    for i, (area_a, a) in enumerate(larger):
        for area_b, b in larger[i + 1 :]:
            if area > EDGE_MAX_AREA_RATIO * min(area_a, area_b):
                continue
            line = rgb2lab(((1 - mixes) * a + mixes * b) / 255.0)
            if float(deltaE_ciede2000(line, np.repeat(target, len(line), axis=0)).min()) < EDGE_MIX_DELTA_E:
                return True
    return False


def _delta_e(a: np.ndarray, b: np.ndarray) -> float:
    lab = rgb2lab(np.stack([a, b]).astype(np.float64) / 255.0)
    return float(deltaE_ciede2000(lab[0], lab[1]))


def _to_rgb(colour: str) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(colour[1:]), dtype=np.uint8).astype(np.float32)


def _to_hex(colour: np.ndarray) -> str:
    return "#" + "".join(f"{int(channel):02x}" for channel in colour)
