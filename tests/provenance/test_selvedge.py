"""The selvedge strip: with `attribution_required`, the print sheet carries the credit and a QR code
of the record's verify URL, outside the repeat; the record's sheet hash covers the strip."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest
import zxingcpp
from django.test import Client
from PIL import Image

from marketplace.services.fulfilment import order_line_deliver
from marketplace.services.orders import OrderLineRequest, order_checkout, order_create, order_mark_paid
from marketplace.services.personalizations import personalization_create
from marketplace.services.proofs import order_proofs_approve
from provenance.core.hashing import sha256_hex
from provenance.services import order_line_attribute, record_write_to_chain
from stylization.engine import print_sheet
from stylization.steps import order_line_render, order_line_vectorize
from tests.conftest import SHIP_TO

pytestmark = pytest.mark.usefixtures("fresh_chain")


def _made_line(
    buyer: Any, pattern: Any, style: Any, size: Any, django_capture_on_commit_callbacks: Any
) -> Any:
    personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    order = order_create(
        buyer=buyer, lines=[OrderLineRequest(personalization=personalization, product_size=size, quantity=1)]
    )
    order_checkout(order=order, actor=buyer, shipping_address=SHIP_TO)
    with django_capture_on_commit_callbacks(execute=False):
        order_mark_paid(order=order)
    line = order.lines.get()
    order_line_render(order_line_id=line.pk)
    order_line_vectorize(order_line_id=line.pk)
    record = order_line_attribute(order_line_id=line.pk)
    assert record is not None
    order_line_deliver(order_line_id=line.pk)
    record_write_to_chain(record_pk=record.pk)
    line.refresh_from_db()
    return line


def _sheet(line: Any) -> tuple[bytes, Image.Image]:
    with line.print_sheet.open("rb") as fh:
        data = fh.read()
    return data, Image.open(io.BytesIO(data)).convert("RGB")


def test_the_selvedge_qr_decodes_to_the_records_verify_url(
    settings: Any,
    buyer: Any,
    make_user: Any,
    make_style: Any,
    pattern: Any,
    products: Any,
    client_for: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.SITE_URL = "http://testserver"
    style = make_style(attribution_required=True)
    line = _made_line(buyer, pattern, style, products["swatch"], django_capture_on_commit_callbacks)
    record = line.attribution_record
    assert record.record_id == line.reserved_record_id  # the id reserved at render time was used
    data, sheet = _sheet(line)
    repeat_w, repeat_h = products["swatch"].print_pixels(pattern.dpi)
    assert sheet.width == repeat_w and sheet.height > repeat_h  # the strip lies below the repeat area
    decoded = [r.text for r in zxingcpp.read_barcodes(sheet.crop((0, repeat_h, sheet.width, sheet.height)))]
    assert decoded == [f"http://testserver/api/v1/provenance/records/{record.record_id}/certificate/"]
    # The repeat itself is untouched by the strip.
    with line.print_png.open("rb") as fh:
        tile = Image.open(io.BytesIO(fh.read())).convert("RGB")
    expected = print_sheet(tile, repeat=pattern.repeat_type, width_px=repeat_w, height_px=repeat_h)
    assert np.array_equal(np.asarray(sheet.crop((0, 0, repeat_w, repeat_h))), np.asarray(expected))
    # The record hashes the sheet as printed (signed), strip included; the URL on it answers.
    assert record.delivered_sheet_sha256 == sha256_hex(data)
    certificate = client_for(None).get(urlsplit(decoded[0]).path)
    assert certificate.status_code == 200
    licence_url = f"http://testserver/licences/{style.pk}/v{line.licence_version.version}/"
    assert f'href="{licence_url}"' in certificate.content.decode()  # the exact version sold
    verify = client_for(None).get("/api/v1/provenance/verify/", {"sha256": sha256_hex(data)}).json()
    assert verify["verdict"] == "verified" and verify["record_id"] == record.record_id
    # The print shop's ticket gives the sheet's real height and says the strip is outside the product.
    order_proofs_approve(order=line.order, actor=buyer)
    printer = Client()
    printer.force_login(make_user("printer"))
    ticket = printer.get(f"/studio/production/jobs/{line.production_job.pk}/").content.decode()
    strip_px = sheet.height - repeat_h
    assert f"{sheet.width} × {sheet.height} px" in ticket and f"the bottom {strip_px} px" in ticket


def test_no_strip_without_attribution_required(
    buyer: Any, style: Any, pattern: Any, products: Any, django_capture_on_commit_callbacks: Any
) -> None:
    line = _made_line(buyer, pattern, style, products["swatch"], django_capture_on_commit_callbacks)
    _, sheet = _sheet(line)
    assert sheet.size == products["swatch"].print_pixels(pattern.dpi)
    assert zxingcpp.read_barcodes(sheet) == []
