"""A physical print sells the print, not its files: its buyer views the proof (a reduced whole and
full-resolution tiles, all marked PROOF) and never downloads a production file; a digital file is
delivered after payment and cannot be cancelled once delivered."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from PIL import Image

from marketplace.models import LineStage, Order, OrderLine, OrderStatus, Product, ProductSize
from marketplace.proofs import PROOF_PREVIEW_MAX_SIDE, PROOF_TILE_PX
from marketplace.services.orders import OrderLineRequest, order_create
from marketplace.services.personalizations import personalization_create
from provenance.core.credentials import png_has_manifest_chunk
from tests.conftest import image_bytes

SHEET_W, SHEET_H = 1800, 700  # wider than the preview, and more than one tile each way


@pytest.fixture
def digital(db: None) -> ProductSize:
    product = Product.objects.create(slug="digital", name="Digital file", substrate="digital", use="personal")
    return ProductSize.objects.create(
        product=product, slug="download", name="Download", width_in=4, height_in=4, price=Decimal("8.00")
    )


def _line_with_files(buyer: Any, pattern: Any, style: Any, size: ProductSize, *, stage: str) -> OrderLine:
    personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    order = order_create(buyer=buyer, lines=[OrderLineRequest(personalization, size, 1)])
    line = order.lines.get()
    line.print_png.save("print.png", ContentFile(image_bytes(96, 96)), save=False)
    line.print_sheet.save("print-sheet.png", ContentFile(image_bytes(SHEET_W, SHEET_H)), save=False)
    line.svg.save("print.svg", ContentFile(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), save=False)
    line.stage = stage
    line.render_info = {"sheet_px": [SHEET_W, SHEET_H]}
    line.save()
    status = OrderStatus.PROOF_READY if stage == LineStage.PROOF_READY else OrderStatus.FULFILLED
    Order.objects.filter(pk=order.pk).update(status=status)
    return line


def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def test_a_physical_lines_buyer_downloads_no_production_file_and_views_a_marked_proof(
    buyer: Any, make_user: Any, pattern: Any, style: Any, products: Any, client_for: Any
) -> None:
    line = _line_with_files(buyer, pattern, style, products["swatch"], stage=LineStage.PROOF_READY)
    api = client_for(buyer)
    base = f"/api/v1/orders/{line.order_id}/lines/{line.pk}"
    for kind in ("print_png", "print_sheet", "svg"):
        refused = api.get(f"{base}/files/{kind}/")
        assert refused.status_code == 403 and "proof" in refused.json()["detail"], kind
    page = Client()
    page.force_login(buyer)
    for name in ("print.png", "print-sheet.png", "print.svg"):
        assert page.get(f"/orders/{line.order_id}/lines/{line.pk}/{name}").status_code == 403, name

    shown = api.get(f"/api/v1/orders/{line.order_id}/").json()["lines"][0]
    assert shown["files"] == {"print_png": None, "print_sheet": None, "svg": None}
    preview = api.get(shown["proof_url"])
    assert preview.status_code == 200 and preview["Cache-Control"] == "private, no-store"
    assert max(_image(preview.content).size) == PROOF_PREVIEW_MAX_SIDE < SHEET_W
    tiles = shown["proof_tiles"]
    assert (tiles["columns"], tiles["rows"], tiles["tile_px"]) == (4, 2, PROOF_TILE_PX)
    tile = api.get(tiles["url"].format(col=3, row=1))
    assert tile.status_code == 200
    assert _image(tile.content).size == (SHEET_W - 3 * PROOF_TILE_PX, SHEET_H - PROOF_TILE_PX)
    assert not png_has_manifest_chunk(tile.content)
    with line.print_sheet.open("rb") as fh:
        sheet = _image(fh.read()).convert("RGB")
    # Full resolution, but marked: the tile is not the sheet's pixels.
    assert (
        _image(tile.content).convert("RGB").tobytes()
        != sheet.crop((3 * PROOF_TILE_PX, PROOF_TILE_PX, SHEET_W, SHEET_H)).tobytes()
    )
    assert api.get(tiles["url"].format(col=4, row=0)).status_code == 404
    assert client_for(make_user("buyer")).get(shown["proof_url"]).status_code == 404
    assert client_for(None).get(shown["proof_url"]).status_code in (401, 403)
    html = page.get(f"/orders/{line.order_id}/").content.decode()
    assert "print-sheet.png" not in html and "data-proof-tile" in html

    Order.objects.filter(pk=line.order_id).update(status=OrderStatus.REFUNDED)
    assert api.get(shown["proof_url"]).status_code == 410


def test_a_delivered_digital_line_keeps_its_downloads_and_cannot_be_cancelled(
    buyer: Any, pattern: Any, style: Any, digital: ProductSize, client_for: Any
) -> None:
    line = _line_with_files(buyer, pattern, style, digital, stage=LineStage.DELIVERED)
    api = client_for(buyer)
    shown = api.get(f"/api/v1/orders/{line.order_id}/").json()["lines"][0]
    assert all(shown["files"].values()) and shown["proof_url"] is None and shown["proof_tiles"] is None
    for kind, url in shown["files"].items():
        assert api.get(url).status_code == 200, kind
    cancel = api.post(f"/api/v1/orders/{line.order_id}/lines/{line.pk}/cancel/")
    assert cancel.status_code == 409
    line.refresh_from_db()
    assert line.stage == LineStage.DELIVERED
