"""The print tile is made by the method that made the preview, and wraps as its print sheet lays it out."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from marketplace.payments.models import PaymentStatus
from marketplace.payments.services import payment_checkout_start, payment_local_confirm
from marketplace.services.orders import OrderLineRequest, order_checkout, order_create
from marketplace.services.personalizations import personalization_create
from stylization import services
from stylization.engine import REPEAT_TYPES, StyleParams, generate_pattern
from stylization.engine.feedforward import load_model_file
from stylization.engine.metrics import lab_correlation, seam_excess
from stylization.models import StyleModel
from stylization.steps import order_line_render
from tests.conftest import SHIP_TO
from tests.stylization.conftest import periodic_texture

DEMO_MODEL = (
    Path(__file__).resolve().parents[2] / "marketplace" / "demo_data" / "style_models" / "the_scream.pt"
)


def test_a_centred_motif_is_optimised_wrapping_as_its_sheet_lays_it_out(
    engine, style_image, short_schedule
) -> None:
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
    tile = model.render_tile(
        base, repeat=repeat, params=params, width_px=192, height_px=192, preview_size=preview.size
    ).image
    assert tile.size == (192, 192)
    assert lab_correlation(preview, tile.resize(preview.size, Image.Resampling.BOX)) >= 0.8
    assert seam_excess(tile, base, repeat) <= 1.10
    # Another seed is another preview, and so another print.
    other = model.render_tile(
        base,
        repeat=repeat,
        params=StyleParams(strength=0.7, seed=6),
        width_px=192,
        height_px=192,
        preview_size=preview.size,
    ).image
    assert not np.array_equal(np.asarray(other), np.asarray(tile))


# A model that trains in about a second (as in test_style_models).
TINY = {"channels": 4, "residual_blocks": 1, "crop": 32, "target_side": 64, "batch": 1, "iterations": 3}


@pytest.mark.django_db
def test_a_live_preview_is_printed_by_the_model_that_made_it(
    settings: Any,
    make_style: Any,
    make_pattern: Any,
    buyer: Any,
    products: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.STYLIZATION_STYLE_MODELS, settings.STYLIZATION_STYLE_MODEL_CONFIG = True, TINY
    settings.STYLIZATION_PREVIEW_METHOD = "live"
    settings.STYLIZATION_PREVIEW_SIZE, settings.DEBUG, settings.STRIPE_SECRET_KEY = 64, True, ""
    with django_capture_on_commit_callbacks(execute=False):
        style = make_style()
    services.style_model_train(style_model_id=StyleModel.objects.get(style=style).pk)
    pattern = make_pattern(repeat_type="half_drop", side=128)
    job = personalization_create(buyer=buyer, base_pattern=pattern, style=style, seed=3)
    services.personalization_render_preview(personalization_id=job.pk)
    job.refresh_from_db()
    assert job.engine_info["method"] == "feedforward", job.error
    order = order_create(
        buyer=buyer,
        lines=[OrderLineRequest(personalization=job, product_size=products["swatch"], quantity=1)],
    )
    order_checkout(order=order, actor=buyer, shipping_address=SHIP_TO)
    payment = payment_checkout_start(order=order, actor=buyer, shipping_address=SHIP_TO)
    payment_local_confirm(payment=payment, actor=buyer, outcome=PaymentStatus.SUCCEEDED)
    line = order.lines.get()
    order_line_render(order_line_id=line.pk)
    line.refresh_from_db()
    made = line.render_info["engine"]
    assert made["method"] == "feedforward" and made["model_checksum"] == job.engine_info["model_checksum"]
    assert made["preview_size"] == job.engine_info["size"]
    with job.preview.open("rb") as fh:
        preview = Image.open(io.BytesIO(fh.read())).convert("RGB")
    with line.print_png.open("rb") as fh:
        tile = Image.open(io.BytesIO(fh.read())).convert("RGB")
    assert tile.size == (128, 128)
    assert lab_correlation(preview, tile.resize(preview.size, Image.Resampling.BOX)) >= 0.8
