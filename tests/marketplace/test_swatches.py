"""A swatch of an approved proof: ordered through the API, paid through the usual checkout, cut from the
approved print sheet (not rendered), approved by itself, earning its royalties; and its price credited
once to a full-size order of the same design within SWATCH_CREDIT_DAYS."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from django.utils import timezone
from PIL import Image

from marketplace.models import (
    SWATCH_CREDIT_DAYS,
    EmailMessageLog,
    LineStage,
    Order,
    OrderLine,
    OrderStatus,
    ProductionJob,
    ProductSize,
)
from marketplace.payments.models import PaymentStatus
from marketplace.payments.services import payment_checkout_start, payment_local_confirm
from marketplace.royalties.models import RoyaltyEntry
from marketplace.services.orders import OrderLineRequest, order_cancel, order_create
from marketplace.services.personalizations import personalization_create
from tests.conftest import PURCHASE_QUEUES, SHIP_TO, join_all
from tests.factories import order_pay_locally

pytestmark = pytest.mark.django_db(transaction=True)


def _pay(order: Order) -> Order:
    order_pay_locally(order=order, shipping_address=SHIP_TO)
    order.refresh_from_db()
    return order


def _yard_order(buyer: Any, pattern: Any, style: Any, yard: ProductSize) -> Order:
    personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    return order_create(
        buyer=buyer, lines=[OrderLineRequest(personalization=personalization, product_size=yard, quantity=1)]
    )


def _approved_without_rendering(order: Order) -> OrderLine:
    """A paid line moved to approved directly: for the tests of ordering and credit, where the print
    files themselves play no part (the test of the cut runs the real workflow)."""
    _pay(order)
    order.lines.update(stage=LineStage.APPROVED, approved_at=timezone.now())
    return order.lines.get()


def _swatch_url(line: OrderLine) -> str:
    return f"/api/v1/orders/{line.order_id}/lines/{line.pk}/swatch/"


def _png(field: Any) -> Image.Image:
    with field.open("rb") as fh:
        return Image.open(io.BytesIO(fh.read())).convert("RGB")


def test_the_swatch_is_cut_from_the_approved_sheet_approves_itself_and_earns_royalties(
    local_gateway: None,
    production_worker: Any,
    buyer: Any,
    pattern: Any,
    style: Any,
    products: Any,
    client_for: Any,
) -> None:
    order = _pay(_yard_order(buyer, pattern, style, products["yard"]))
    join_all(queues=set(PURCHASE_QUEUES))
    source = order.lines.get()
    assert source.stage == LineStage.PROOF_READY
    api = client_for(buyer)
    assert api.post(_swatch_url(source)).status_code == 409  # not approved yet
    # The e-mails link to the buyer's design on the substrate's mockup (a cushion for fabric).
    mockup = f"/api/v1/personalizations/{source.personalization_id}/mockups/cushion.png"
    for key in (f"receipt:order:{order.pk}", f"proof-ready:line:{source.pk}:0"):
        assert mockup in EmailMessageLog.objects.get(key=key).body
    assert api.post(f"/api/v1/orders/{order.pk}/approve/").status_code == 200

    made = api.post(_swatch_url(source))
    assert made.status_code == 201, made.json()
    swatch_order = Order.objects.get(pk=made.json()["id"])
    assert swatch_order.status == OrderStatus.DRAFT and swatch_order.pk != order.pk
    assert made.json()["lines"][0]["size"] == products["swatch"].slug
    _pay(swatch_order)
    join_all(queues=set(PURCHASE_QUEUES))

    swatch = swatch_order.lines.get()
    source.refresh_from_db()
    assert swatch.swatch_of_id == source.pk and swatch.personalization_id == source.personalization_id
    # Its proof is the approved proof: approved when its files are made, and sent to the print shops.
    assert swatch.stage == LineStage.APPROVED and swatch.auto_approved
    assert ProductionJob.objects.filter(order_line=swatch).exists()
    # Not rendered again: the engine's record is the approved line's, and the sheet is a piece of its sheet.
    assert swatch.render_info["engine"] == source.render_info["engine"]
    approved_sheet, swatch_sheet = _png(source.print_sheet), _png(swatch.print_sheet)
    side = 8 * pattern.dpi
    assert swatch_sheet.size == (side, side) and approved_sheet.size == (36 * pattern.dpi, 42 * pattern.dpi)
    box = tuple(swatch.render_info["swatch"]["box"])
    left, top = (36 - 8) * pattern.dpi // 2, (42 - 8) * pattern.dpi // 2
    assert box == (left, top, left + side, top + side)
    assert np.array_equal(np.asarray(swatch_sheet), np.asarray(approved_sheet.crop(box)))
    assert np.array_equal(np.asarray(_png(swatch.print_png)), np.asarray(_png(source.print_png)))
    # Royalties like any line: the artist's fee and percentage and the designer's, on the swatch's price.
    entries = RoyaltyEntry.objects.filter(order_line=swatch)
    payees = {entry.payee_id for entry in entries}
    assert {style.artist_id, pattern.designer_id} <= payees
    artist_share = sum((e.amount for e in entries if e.payee_id == style.artist_id), Decimal("0"))
    assert artist_share == swatch.style_fee + swatch.line_total * swatch.artist_royalty_percent / 100
    # One swatch per approved proof.
    again = api.post(_swatch_url(source))
    assert again.status_code == 409 and str(swatch_order.pk) in str(again.json())


def test_the_swatch_api_answers_404_400_and_returns_the_unpaid_order_again(
    local_gateway: None, buyer: Any, make_user: Any, pattern: Any, style: Any, products: Any, client_for: Any
) -> None:
    source = _approved_without_rendering(_yard_order(buyer, pattern, style, products["yard"]))
    assert client_for(make_user("buyer")).post(_swatch_url(source)).status_code == 404
    assert client_for(None).post(_swatch_url(source)).status_code in (401, 403)
    wrong_order = f"/api/v1/orders/{source.order_id + 999}/lines/{source.pk}/swatch/"
    assert client_for(buyer).post(wrong_order).status_code == 404

    api = client_for(buyer)
    first = api.post(_swatch_url(source))
    assert first.status_code == 201
    repeated = api.post(_swatch_url(source))
    assert repeated.status_code == 200 and repeated.json()["id"] == first.json()["id"]
    # A swatch is not swatched again.
    swatch = OrderLine.objects.get(order_id=first.json()["id"])
    OrderLine.objects.filter(pk=swatch.pk).update(stage=LineStage.APPROVED)
    refused = api.post(_swatch_url(swatch))
    assert refused.status_code == 400 and "swatch" in str(refused.json())
    # A cancelled swatch order frees the proof for another.
    order_cancel(order=Order.objects.get(pk=first.json()["id"]), actor=buyer)
    assert api.post(_swatch_url(source)).status_code == 201


def test_the_catalogue_marks_swatch_sizes(db: None, products: Any, client_for: Any) -> None:
    listed = client_for(None).get("/api/v1/products/").json()
    sizes = {
        (product["slug"], size["slug"]): size
        for product in (listed["results"] if isinstance(listed, dict) else listed)
        for size in product["sizes"]
    }
    assert sizes[("cotton", "swatch-8x8")]["is_swatch"] is True
    assert sizes[("cotton", "yard")]["is_swatch"] is False
    # Every field it had before is still there.
    assert set(sizes[("cotton", "yard")]) >= {
        "id",
        "slug",
        "name",
        "width_in",
        "height_in",
        "price",
        "currency",
    }


def _paid_swatch(buyer: Any, pattern: Any, style: Any, products: Any, client_for: Any) -> OrderLine:
    source = _approved_without_rendering(_yard_order(buyer, pattern, style, products["yard"]))
    made = client_for(buyer).post(_swatch_url(source))
    _pay(Order.objects.get(pk=made.json()["id"]))
    return OrderLine.objects.get(order_id=made.json()["id"])


def _full_size_again(buyer: Any, swatch: OrderLine, products: Any) -> Order:
    request = OrderLineRequest(
        personalization=swatch.personalization, product_size=products["yard"], quantity=1
    )
    return order_create(buyer=buyer, lines=[request])


def test_the_swatch_price_is_credited_once_to_the_full_size_order(
    local_gateway: None, buyer: Any, pattern: Any, style: Any, products: Any, client_for: Any
) -> None:
    swatch = _paid_swatch(buyer, pattern, style, products, client_for)
    # Another swatch of the same design earns no credit: only a size that is not a swatch does.
    other_swatch = order_create(
        buyer=buyer,
        lines=[
            OrderLineRequest(
                personalization=swatch.personalization, product_size=products["swatch"], quantity=1
            )
        ],
    )
    assert _pay(other_swatch).discount == 0

    full = _full_size_again(buyer, swatch, products)
    payment = payment_checkout_start(order=full, actor=buyer, shipping_address=SHIP_TO)
    full.refresh_from_db()
    assert full.discount == swatch.line_total == products["swatch"].price
    assert full.total == full.subtotal - swatch.line_total + full.shipping_amount
    assert payment.amount == full.total
    swatch.refresh_from_db()
    assert swatch.swatch_credit_order_id == full.pk
    # While that order waits for payment, another order cannot take the same credit.
    second = _full_size_again(buyer, swatch, products)
    assert _pay(second).discount == 0
    payment_local_confirm(payment=payment, actor=buyer, outcome=PaymentStatus.SUCCEEDED)
    third = _full_size_again(buyer, swatch, products)
    assert _pay(third).discount == 0
    # The royalties of the full-size order are computed on what was paid for it, after the credit.
    paid = sum(
        (e.amount for e in RoyaltyEntry.objects.filter(order=full, payee=pattern.designer)), Decimal("0")
    )
    assert paid == (full.subtotal - full.discount) * pattern.royalty_percent / 100


def test_a_cancelled_order_gives_the_credit_back(
    local_gateway: None, buyer: Any, pattern: Any, style: Any, products: Any, client_for: Any
) -> None:
    swatch = _paid_swatch(buyer, pattern, style, products, client_for)
    first = _full_size_again(buyer, swatch, products)
    payment_checkout_start(order=first, actor=buyer, shipping_address=SHIP_TO)
    order_cancel(order=Order.objects.get(pk=first.pk), actor=buyer)
    assert _pay(_full_size_again(buyer, swatch, products)).discount == swatch.line_total


def test_the_credit_expires_after_the_credit_days(
    local_gateway: None, buyer: Any, pattern: Any, style: Any, products: Any, client_for: Any
) -> None:
    swatch = _paid_swatch(buyer, pattern, style, products, client_for)
    paid_at = timezone.now() - dt.timedelta(days=SWATCH_CREDIT_DAYS, hours=1)
    Order.objects.filter(pk=swatch.order_id).update(paid_at=paid_at)
    assert _pay(_full_size_again(buyer, swatch, products)).discount == 0
    Order.objects.filter(pk=swatch.order_id).update(paid_at=paid_at + dt.timedelta(hours=2))
    assert _pay(_full_size_again(buyer, swatch, products)).discount == swatch.line_total


def test_the_order_page_offers_the_swatch_and_the_cart_shows_its_credit(
    local_gateway: None, buyer: Any, pattern: Any, style: Any, products: Any, client: Any
) -> None:
    source = _approved_without_rendering(_yard_order(buyer, pattern, style, products["yard"]))
    client.force_login(buyer)
    page = client.get(f"/orders/{source.order_id}/").content.decode()
    assert 'data-testid="order-swatch"' in page and str(products["swatch"].price) in page

    made = client.post(f"/orders/{source.order_id}/lines/{source.pk}/swatch/")
    swatch = OrderLine.objects.get(swatch_of=source)
    assert made.status_code == 302 and made["Location"] == f"/orders/{swatch.order_id}/"
    swatch_page = client.get(made["Location"]).content.decode()
    assert 'data-testid="swatch-of"' in swatch_page and 'data-testid="order-swatch"' not in swatch_page
    # The approved proof now links to its swatch order instead of offering another.
    assert f"order {swatch.order_id}" in client.get(f"/orders/{source.order_id}/").content.decode()

    cart_line = {"personalization": source.personalization_id, "size": products["yard"].pk, "quantity": 1}
    client.post("/cart/add/", cart_line)
    assert 'data-testid="cart-swatch-credit"' not in client.get("/cart/").content.decode()  # unpaid yet
    _pay(Order.objects.get(pk=swatch.order_id))
    cart = client.get("/cart/").content.decode()
    assert f'data-testid="cart-swatch-credit">−{products["swatch"].price}<' in cart
