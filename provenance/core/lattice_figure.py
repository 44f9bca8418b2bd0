"""The picture of a repeat match on the verification page: the query photo beside the matched tile,
with the lattice that the repeat fingerprint found drawn over the query as SVG lines. One highlighted
cell starts where the record's tile does. Bytes and the lattice in, data URIs and line coordinates out."""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

from PIL import Image

QUERY_SIDE_PX = 360
TILE_SIDE_PX = 180


def _jpeg_data_uri(data: bytes, side: int) -> tuple[str, int, int]:
    with Image.open(io.BytesIO(data)) as image:
        thumb = image.convert("RGB")
    thumb.thumbnail((side, side))
    out = io.BytesIO()
    thumb.save(out, format="JPEG", quality=88)
    return (
        "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode(),
        thumb.width,
        thumb.height,
    )


def lattice_figure(*, query: bytes, tile: bytes, lattice: Mapping[str, Sequence[float]]) -> dict[str, Any]:
    """`lattice`: the basis vectors `a` and `b`, the tile's `origin` and the query's `size`, in the
    query's own pixels (`Verification.query_lattice`)."""
    query_uri, width, height = _jpeg_data_uri(query, QUERY_SIDE_PX)
    tile_uri, tile_w, tile_h = _jpeg_data_uri(tile, TILE_SIDE_PX)
    scale = width / lattice["size"][0]
    a = [v * scale for v in lattice["a"]]
    b = [v * scale for v in lattice["b"]]
    ox, oy = (v * scale for v in lattice["origin"])
    reach = math.ceil(math.hypot(width, height) / max(1.0, min(math.hypot(*a), math.hypot(*b)))) + 2
    lines = []
    for i in range(-reach, reach + 1):
        for step, across in ((a, b), (b, a)):
            x0, y0 = ox + i * step[0] - reach * across[0], oy + i * step[1] - reach * across[1]
            x1, y1 = ox + i * step[0] + reach * across[0], oy + i * step[1] + reach * across[1]
            lines.append({"x1": round(x0, 1), "y1": round(y0, 1), "x2": round(x1, 1), "y2": round(y1, 1)})
    cell = [(ox, oy), (ox + a[0], oy + a[1]), (ox + a[0] + b[0], oy + a[1] + b[1]), (ox + b[0], oy + b[1])]
    return {
        "query": query_uri,
        "width": width,
        "height": height,
        "tile": tile_uri,
        "tile_width": tile_w,
        "tile_height": tile_h,
        "lines": lines,
        "cell": " ".join(f"{x:.1f},{y:.1f}" for x, y in cell),
    }
