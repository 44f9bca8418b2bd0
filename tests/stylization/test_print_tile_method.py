"""The print tile is made by the method that made the preview, and wraps as its print sheet lays it out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from stylization.engine import REPEAT_TYPES, StyleParams, generate_pattern
from stylization.engine.feedforward import load_model_file
from stylization.engine.metrics import lab_correlation, seam_excess
from tests.stylization.conftest import periodic_texture

DEMO_MODEL = Path(__file__).resolve().parents[2] / "marketplace" / "demo_data" / "style_models" / "the_scream.pt"


def test_a_centred_motif_is_optimised_wrapping_as_its_sheet_lays_it_out(engine, style_image, short_schedule) -> None:
    # The sheet lays a `center` tile on a plain grid; an optimisation that clamped its edges painted
    # a stripe down each tile's edge and a band along its bottom.
    base = periodic_texture(96, seed=4)
    params = StyleParams(strength=0.8, seed=1)
    centre = engine.preview(base, style_image, repeat="center", params=params, long_side=96).image
    grid = engine.preview(base, style_image, repeat="basic", params=params, long_side=96).image
    assert np.array_equal(np.asarray(centre), np.asarray(grid))
    assert seam_excess(centre, base, "center") <= 1.10


@pytest.mark.parametrize("repeat", REPEAT_TYPES)
def test_a_live_models_print_tile_is_its_preview_at_print_size(repeat: str) -> None:
    model = load_model_file(DEMO_MODEL)
    base = generate_pattern(repeat, size=192, seed=11, kind="motifs")
    params = StyleParams(strength=0.7, seed=5)
    preview = model.stylize(base, repeat=repeat, params=params, long_side=64).image
    tile = model.render_tile(base, repeat=repeat, params=params, width_px=192, height_px=192,
                             preview_size=preview.size).image
    assert tile.size == (192, 192)
    assert lab_correlation(preview, tile.resize(preview.size, Image.Resampling.BOX)) >= 0.8
    assert seam_excess(tile, base, repeat) <= 1.10
    # Another seed is another preview, and so another print.
    other = model.render_tile(base, repeat=repeat, params=StyleParams(strength=0.7, seed=6), width_px=192,
                              height_px=192, preview_size=preview.size).image
    assert not np.array_equal(np.asarray(other), np.asarray(tile))
