"""SVG export of a tile that still tiles: trace with wrap-around context, crop to the tile, and
wrap the tile in an SVG `<pattern>` laid out as its repeat (half-drop and half-brick offsets,
mirror flips), so a viewer fills any area with it and the file does not grow with the area."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from .layout import plane_array
from .metrics import ssim_luma
from .repeat import check_repeat

# Chosen by measurement (`python -m tests.benchmarks.stylization --vector`, two stylized 512² tiles, 2-core CPU):
#   settings (speckle/precision/layer, mode)   time    SVG      paths   SSIM
#   4/6/16 spline (vtracer defaults)           0.65 s  3.7 MB   4502    0.81
#   2/7/8 polygon  <- chosen                   1.05 s  1.2 MB  10544    0.90
#   4/6/16 polygon                             0.59 s  0.6 MB   4502    0.81
#   8/5/32 polygon                             0.25 s   74 KB    387    0.55
# Texture is what a buyer pays for, so fidelity wins; polygon mode keeps the file small.
DEFAULT_VECTOR_SETTINGS: dict[str, Any] = {
    "colormode": "color",
    "hierarchical": "stacked",
    "mode": "polygon",
    "filter_speckle": 2,
    "color_precision": 7,
    "layer_difference": 8,
}
_SVG_OPEN = re.compile(r"<svg\b[^>]*>", re.S)
_PATH = re.compile(r"<path\b[^>]*/>", re.S)
_PATH_D = re.compile(r'\bd="([^"]*)"')
_TRANSLATE = re.compile(r'transform="translate\(\s*([-\d.eE]+)[\s,]+([-\d.eE]+)\s*\)"')
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# vtracer's colour clustering is not local: a shape cut short by the image border comes out
# another colour and outline than its whole twin on the far side of the wrap. Measured on
# seamless textured tiles (render seam ratio / interior cuts): 512² with 16/32/64/128/256 px
# of context gave 5.9/4.6/3.2/2.0/1.2 against 1.19; 128² with 8 px 1.52, with 32 px 1.01.
# So the context is half the tile on every side, capped to bound a 3600² trace.
MAX_CONTEXT = 1024


@dataclass
class VectorResult:
    svg: str
    ssim: float
    settings: dict[str, Any] = field(default_factory=dict)
    paths: int = 0
    bytes: int = 0


def vectorize_tile(
    tile: Image.Image, *, repeat: str, settings: dict[str, Any] | None = None, margin: int | None = None
) -> VectorResult:
    """Trace `tile` with vtracer and return an SVG of exactly the tile that repeats seamlessly.

    Shapes crossing the tile edge are traced from the padded plane, so the part that
    leaves on the right is the part that comes back on the left.
    """
    check_repeat(repeat)
    chosen = {**DEFAULT_VECTOR_SETTINGS, **(settings or {})}
    width, height = tile.size
    margin = margin if margin is not None else min(max(width, height) // 2, MAX_CONTEXT)
    rgb = np.asarray(tile.convert("RGB"))
    padded = plane_array(rgb, repeat, -margin, -margin, height + 2 * margin, width + 2 * margin)
    buffer = io.BytesIO()
    Image.fromarray(padded, mode="RGB").save(buffer, format="PNG")
    import vtracer  # imported here so the render path needs only torch and Pillow

    traced = vtracer.convert_raw_image_to_svg(buffer.getvalue(), img_format="png", **chosen)
    svg = _crop_to_tile(traced, width, height, margin, repeat)
    rendered = render_svg(svg, width, height)
    return VectorResult(
        svg=svg,
        ssim=ssim_luma(tile.convert("RGB"), rendered),
        settings=chosen,
        paths=svg.count("<path"),
        bytes=len(svg.encode()),
    )


def _crop_to_tile(traced: str, width: int, height: int, margin: int, repeat: str = "basic") -> str:
    opening = _SVG_OPEN.search(traced)
    end = traced.rfind("</svg>")
    if opening is None or end < 0:
        raise ValueError("vtracer returned no SVG document")
    body = _PATH.sub(
        lambda m: m.group(0) if _overlaps_tile(m.group(0), width, height, margin) else "",
        traced[opening.end() : end],
    )
    cell_w, cell_h, copies = _pattern_cell(repeat, width, height)
    uses = "".join(f'<use href="#motif-tile" xlink:href="#motif-tile"{_transform(t)}/>' for t in copies)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" version="1.1" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">\n'
        f'<defs><clipPath id="tile"><rect x="0" y="0" width="{width}" height="{height}"/></clipPath>\n'
        f'<g id="motif-tile" clip-path="url(#tile)"><g transform="translate({-margin} {-margin})">{body}</g></g>\n'
        f'<pattern id="motif-repeat" data-repeat="{repeat}" patternUnits="userSpaceOnUse" x="0" y="0" '
        f'width="{cell_w}" height="{cell_h}">{uses}</pattern></defs>\n'
        f'<rect id="motif-fill" x="0" y="0" width="{width}" height="{height}" fill="url(#motif-repeat)"/>\n</svg>\n'
    )


def _pattern_cell(repeat: str, width: int, height: int) -> tuple[int, int, list[str]]:
    """The SVG pattern's rectangle and the tile copies (transforms) that fill it as the repeat
    does. A half drop's rectangle is two columns wide: the second column is the tile dropped by
    half its height, drawn twice so that both halves reach into the rectangle."""
    if repeat == "half_drop":
        drop = height // 2
        return 2 * width, height, ["", f"translate({width} {drop})", f"translate({width} {drop - height})"]
    if repeat == "half_brick":
        shift = width // 2
        return width, 2 * height, ["", f"translate({shift} {height})", f"translate({shift - width} {height})"]
    if repeat == "mirror":
        return (
            2 * width,
            2 * height,
            [
                "",
                f"translate({2 * width} 0) scale(-1 1)",
                f"translate(0 {2 * height}) scale(1 -1)",
                f"translate({2 * width} {2 * height}) scale(-1 -1)",
            ],
        )
    return width, height, [""]  # basic, and a centred motif printed on a plain grid


def _transform(transform: str) -> str:
    return f' transform="{transform}"' if transform else ""


_ROOT_SIZE = re.compile(r'(<svg\b[^>]*?)width="\d+" height="\d+" viewBox="0 0 \d+ \d+"')
_FILL_SIZE = re.compile(r'(<rect id="motif-fill" x="0" y="0" )width="\d+" height="\d+"')


def fill_area(svg: str, width: int, height: int) -> str:
    """The same repeat SVG filling a width x height area: only the outer rectangle changes."""
    svg = _ROOT_SIZE.sub(
        lambda m: f'{m.group(1)}width="{width}" height="{height}" viewBox="0 0 {width} {height}"',
        svg,
        count=1,
    )
    return _FILL_SIZE.sub(lambda m: f'{m.group(1)}width="{width}" height="{height}"', svg, count=1)


def _overlaps_tile(path: str, width: int, height: int, margin: int) -> bool:
    """False only for a path whose points all lie outside the tile: it is context, not content."""
    d, shift = _PATH_D.search(path), _TRANSLATE.search(path)
    if d is None:
        return True
    numbers = [float(n) for n in _NUMBER.findall(d.group(1))]
    if not numbers or len(numbers) % 2:
        return True
    dx, dy = (float(shift.group(1)), float(shift.group(2))) if shift else (0.0, 0.0)
    xs = [x + dx - margin for x in numbers[0::2]]
    ys = [y + dy - margin for y in numbers[1::2]]
    # Polygon and spline control points both bound their shape, so the box test is safe.
    return max(xs) > 0 and min(xs) < width and max(ys) > 0 and min(ys) < height


def render_svg(svg: str, width: int, height: int) -> Image.Image:
    import resvg_py

    png = resvg_py.svg_to_bytes(svg_string=svg, width=width, height=height, background="#ffffff")
    return Image.open(io.BytesIO(bytes(png))).convert("RGB")
