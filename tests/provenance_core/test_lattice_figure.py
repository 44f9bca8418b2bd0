"""The verification page's figure of a repeat match: the lattice is drawn in the thumbnail's pixels."""

from __future__ import annotations

import base64
import io

from PIL import Image

from provenance.core.lattice_figure import QUERY_SIDE_PX, TILE_SIDE_PX, lattice_figure


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, format="PNG")
    return out.getvalue()


def _decoded_size(data_uri: str) -> tuple[int, int]:
    assert data_uri.startswith("data:image/jpeg;base64,")
    with Image.open(io.BytesIO(base64.b64decode(data_uri.split(",", 1)[1]))) as image:
        return image.size


def test_the_highlighted_cell_starts_at_the_tile_origin_scaled_to_the_query_thumbnail() -> None:
    lattice = {"a": [100.0, 0.0], "b": [20.0, 80.0], "origin": [40.0, 60.0], "size": [720, 480]}

    figure = lattice_figure(query=_png(720, 480), tile=_png(400, 400), lattice=lattice)

    assert (figure["width"], figure["height"]) == (QUERY_SIDE_PX, 240)  # 720 x 480 halved
    assert _decoded_size(figure["query"]) == (QUERY_SIDE_PX, 240)
    assert (figure["tile_width"], figure["tile_height"]) == (TILE_SIDE_PX, TILE_SIDE_PX)
    assert _decoded_size(figure["tile"]) == (TILE_SIDE_PX, TILE_SIDE_PX)
    assert figure["cell"] == "20.0,30.0 70.0,30.0 80.0,70.0 30.0,70.0"


def test_the_lattice_lines_run_along_both_bases_through_the_origin_and_cover_the_query() -> None:
    lattice = {"a": [50.0, 0.0], "b": [0.0, 50.0], "origin": [10.0, 20.0], "size": [200, 200]}

    figure = lattice_figure(query=_png(200, 200), tile=_png(50, 50), lattice=lattice)

    lines = figure["lines"]
    verticals = {line["x1"] for line in lines if line["x1"] == line["x2"]}
    horizontals = {line["y1"] for line in lines if line["y1"] == line["y2"]}
    assert len(verticals) + len(horizontals) == len(lines)  # an axis-aligned lattice draws no slant
    assert {10.0, 60.0, 110.0, 160.0} <= verticals and {20.0, 70.0, 120.0, 170.0} <= horizontals
    assert min(verticals) < 0 and max(verticals) > 200 and min(horizontals) < 0 and max(horizontals) > 200
