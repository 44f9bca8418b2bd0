"""What the buyer previews is what prints: a purchase of every repeat type, previewed by the worker's
preview step and rendered by the render step, delivers print tiles that look like their previews and
wrap seamlessly as their print sheets lay them out."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from marketplace.models import LineStage, OrderLine
from marketplace.payments.models import PaymentStatus
from marketplace.payments.services import payment_checkout_start, payment_local_confirm
from marketplace.services.orders import OrderLineRequest, order_checkout, order_create
from marketplace.services.personalizations import personalization_create
from stylization.engine import REPEAT_TYPES, tile_layout
from stylization.engine.metrics import lab_correlation, seam_excess, seam_ratio
from stylization.services import personalization_render_preview
from stylization.steps import order_line_render
from tests.conftest import SHIP_TO

pytestmark = pytest.mark.django_db

# The product's promise: the print seen at the preview's size correlates with the preview (Lab, 64²),
# and the tile's edge, laid out as the sheet lays it, is no more visible than the base pattern's own
# edge or a cut through the print's inside (`seam_excess`; the raw seam ratio is in the message).
MIN_LAB_CORRELATION = 0.8
MAX_SEAM_RATIO = 1.10


@pytest.fixture
def local_gateway(settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = ""
    settings.DEBUG = True
    # Print tiles of 128 px from previews of 64 px: the print still has a level finer than its preview.
    settings.STYLIZATION_PREVIEW_SIZE = 64


def _image(field: Any) -> Image.Image:
    with field.open("rb") as fh:
        return Image.open(io.BytesIO(fh.read())).convert("RGB")


def test_a_purchase_of_every_repeat_type_prints_what_was_previewed_without_seams(
    local_gateway: None, buyer: Any, style: Any, products: Any, make_pattern: Any
) -> None:
    requests = []
    for seed, repeat in enumerate(REPEAT_TYPES):
        job = personalization_create(
            buyer=buyer, base_pattern=make_pattern(repeat_type=repeat, side=128), style=style, seed=seed
        )
        personalization_render_preview(personalization_id=job.pk)
        requests.append(OrderLineRequest(personalization=job, product_size=products["swatch"], quantity=1))
    order = order_create(buyer=buyer, lines=requests)
    order_checkout(order=order, actor=buyer, shipping_address=SHIP_TO)
    payment = payment_checkout_start(order=order, actor=buyer, shipping_address=SHIP_TO)
    payment_local_confirm(payment=payment, actor=buyer, outcome=PaymentStatus.SUCCEEDED)

    figures = {}
    for line in OrderLine.objects.filter(order=order).select_related("personalization__base_pattern"):
        order_line_render(order_line_id=line.pk)
        line.refresh_from_db()
        assert line.stage == LineStage.RENDERED
        repeat = line.personalization.base_pattern.repeat_type
        preview, tile, sheet = (
            _image(line.personalization.preview),
            _image(line.print_png),
            _image(line.print_sheet),
        )
        base = _image(line.personalization.base_pattern.image)
        assert line.render_info["engine"]["from_preview"] is True
        # The delivered sheet is the tile laid out as its repeat lays it (two periods checked).
        laid = tile_layout(tile, repeat, 2, 2)
        assert np.array_equal(np.asarray(sheet)[: laid.height, : laid.width], np.asarray(laid))
        figures[repeat] = (
            lab_correlation(preview, tile.resize(preview.size, Image.Resampling.BOX)),
            seam_excess(tile, base, repeat),
            seam_ratio(tile, repeat),
        )
    assert set(figures) == set(REPEAT_TYPES)
    for repeat, (correlation, seam, _raw) in figures.items():
        assert correlation >= MIN_LAB_CORRELATION, (repeat, figures)
        assert seam <= MAX_SEAM_RATIO, (repeat, figures)
