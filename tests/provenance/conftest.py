from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.files.base import ContentFile

from marketplace.models import LineStage, OrderLine
from marketplace.services.orders import OrderLineRequest, order_checkout, order_create, order_mark_paid
from marketplace.services.personalizations import personalization_create
from provenance.chain_access import forget_chain_client
from stylization.engine import generate_pattern, print_png_bytes
from tests.conftest import SHIP_TO


@pytest.fixture(autouse=True)
def _keys_dir(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    settings.PROVENANCE_KEYS_DIR = str(tmp_path_factory.getbasetemp() / "c2pa-keys")


@pytest.fixture
def fresh_chain() -> Iterator[None]:
    """A new in-process chain for the test (the client is otherwise one per process)."""
    forget_chain_client()
    yield
    forget_chain_client()


@pytest.fixture
def rendered_line(
    buyer: Any, make_pattern: Any, style: Any, products: Any, django_capture_on_commit_callbacks: Any
) -> Callable[..., OrderLine]:
    """A paid order line whose outputs exist, as the render and vectorize jobs leave it."""

    def make(seed: int = 1) -> OrderLine:
        pattern = make_pattern(repeat_type="basic", side=96)
        personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style, seed=seed)
        order = order_create(
            buyer=buyer,
            lines=[
                OrderLineRequest(personalization=personalization, product_size=products["swatch"], quantity=1)
            ],
        )
        order_checkout(order=order, actor=buyer, shipping_address=SHIP_TO)
        with django_capture_on_commit_callbacks(execute=False):
            order_mark_paid(order=order)
        line = order.lines.get()
        tile = generate_pattern("basic", size=160, seed=100 + seed, kind="motifs")
        line.print_png.save("print.png", ContentFile(print_png_bytes(tile, dpi=72)), save=False)
        line.print_sheet.save("print-sheet.png", ContentFile(print_png_bytes(tile, dpi=72)), save=False)
        line.svg.save(
            "print.svg",
            ContentFile(b'<svg xmlns="http://www.w3.org/2000/svg" width="160" height="160"/>'),
            save=False,
        )
        line.stage = LineStage.VECTORIZED
        line.render_info = {
            "engine": {
                "method": "gatys-pyramid",
                "encoder": "random",
                "device": "cpu",
                "weights_sha256": "ab" * 32,
                "torch_version": "2.14.1",
            }
        }
        line.save()
        return line

    return make


def png_of(line: OrderLine) -> bytes:
    line.refresh_from_db()
    with line.print_png.open("rb") as fh:
        return fh.read()


def resized(data: bytes, factor: float = 0.5, fmt: str = "PNG") -> bytes:
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    image = image.resize((int(image.width * factor), int(image.height * factor)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format=fmt, quality=80)
    return out.getvalue()
