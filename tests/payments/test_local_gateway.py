"""The local test gateway: a purchase end to end through the same order and royalty code as Stripe."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from marketplace.models import Order, OrderStatus, Style
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.royalties.models import EntryKind, RoyaltyEntry, Transfer
from tests.conftest import SHIP_TO

from .conftest import ledger_total

pytestmark = pytest.mark.django_db(transaction=True)


def test_local_gateway_purchase_pays_the_order_and_writes_royalties_for_artist_and_designer(
    local_on: None, make_order: Any, buyer: Any, artist: Any, designer: Any, client_for: Any
) -> None:
    order = make_order("swatch", "yard")  # 5.00 + 24.00; style fee 2.00 + 10 %, pattern 5 %
    client = client_for(buyer)
    started = client.post(f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json")
    assert started.status_code == 200, started.content
    body = started.json()
    assert body["gateway"] == "local"
    assert body["checkout_url"] == f"http://testserver/payments/local/{body['payment']}/"
    again = client.post(f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json").json()
    assert again["payment"] == body["payment"]  # a repeated checkout reuses the open payment

    confirmed = client.post(
        f"/api/v1/payments/local/{body['payment']}/confirm/", {"outcome": "succeeded"}, format="json"
    )
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["order_status"] == "paid"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID

    fees = RoyaltyEntry.objects.filter(payee=artist, kind=EntryKind.STYLE_FEE)
    assert sorted(e.amount for e in fees) == [Decimal("2.00000"), Decimal("2.00000")]
    assert ledger_total(payee=artist) == Decimal("4.00") + Decimal("2.90")  # two fees + 10 % of 29.00
    assert ledger_total(payee=designer) == Decimal("1.45")  # 5 % of 29.00
    assert ledger_total(order=order) == Decimal("29.00")  # the platform keeps exactly the rest
    assert not Transfer.objects.exists()  # nobody has a Connect account: all held

    statement = client_for(artist).get("/api/v1/royalties/").json()
    assert (
        statement["earned"] == "6.90000" and statement["held"] == "6.90000" and statement["paid"] == "0.00000"
    )
    assert statement["count"] == 4


def test_local_gateway_page_offers_pay_and_decline_to_the_buyer_only(
    local_on: None, make_order: Any, buyer: Any, make_user: Any, style: Style, client_for: Any
) -> None:
    order = make_order()
    api = client_for(buyer)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(buyer)
    payment_id = api.post(f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json").json()["payment"]
    page_url = f"/payments/local/{payment_id}/"

    page = browser.get(page_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "TEST GATEWAY" in html
    assert ">Pay</button>" in html and ">Decline</button>" in html

    assert Client().get(page_url).status_code == 302  # anonymous: to the login page
    stranger = Client()
    stranger.force_login(make_user("buyer"))
    assert stranger.get(page_url).status_code == 404  # someone else's payment is missing, not forbidden (no id oracle)
    assert browser.post(page_url, {"outcome": "declined"}).status_code == 403  # no CSRF token

    token = browser.cookies["csrftoken"].value
    style.refresh_from_db()
    assert style.uses_taken == 1
    declined = browser.post(page_url, {"outcome": "declined", "csrfmiddlewaretoken": token})
    assert declined.status_code == 302 and declined["Location"] == f"/orders/{order.pk}/"
    order.refresh_from_db()
    style.refresh_from_db()
    assert order.status == OrderStatus.DRAFT and style.uses_taken == 0
    assert Payment.objects.get(pk=payment_id).status == PaymentStatus.DECLINED
    assert not RoyaltyEntry.objects.exists()

    # Checking out again opens a new payment, and Pay completes it.
    second = api.post(f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json").json()["payment"]
    assert second != payment_id
    paid = browser.post(f"/payments/local/{second}/", {"outcome": "succeeded", "csrfmiddlewaretoken": token})
    assert paid.status_code == 302 and paid["Location"] == f"/orders/{order.pk}/"
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert ledger_total(order=order) == Decimal("5.00")


def test_only_the_orders_buyer_confirms_a_local_payment(
    local_on: None, make_order: Any, buyer: Any, make_user: Any, client_for: Any
) -> None:
    order = make_order()
    payment_id = client_for(buyer).post(f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json").json()["payment"]
    url = f"/api/v1/payments/local/{payment_id}/confirm/"
    assert (
        client_for(make_user("buyer")).post(url, {"outcome": "succeeded"}, format="json").status_code == 404
    )
    assert client_for(None).post(url, {"outcome": "succeeded"}, format="json").status_code == 401
    assert client_for(buyer).post(url, {"outcome": "maybe"}, format="json").status_code == 400
    assert Order.objects.get(pk=order.pk).status == OrderStatus.AWAITING_PAYMENT
    assert client_for(buyer).post(url, {"outcome": "succeeded"}, format="json").status_code == 200
    assert client_for(buyer).post(url, {"outcome": "declined"}, format="json").status_code == 409


def test_local_gateway_is_refused_when_debug_is_off(
    settings: Any, make_order: Any, buyer: Any, client_for: Any, style: Style
) -> None:
    settings.STRIPE_SECRET_KEY = ""
    settings.DEBUG = False
    order = make_order()
    refused = client_for(buyer).post(f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json")
    assert refused.status_code == 503
    assert "DEBUG" in refused.json()["detail"] and "STRIPE_SECRET_KEY" in refused.json()["detail"]
    order.refresh_from_db()
    style.refresh_from_db()
    assert order.status == OrderStatus.DRAFT and style.uses_taken == 0  # nothing was reserved
    assert not Payment.objects.exists()


def test_local_gateway_page_is_refused_when_debug_is_off_and_absent_for_stripe_payments(
    local_on: None, settings: Any, make_order: Any, buyer: Any, client_for: Any
) -> None:
    order = make_order()
    payment_id = client_for(buyer).post(f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json").json()["payment"]
    browser = Client()
    browser.force_login(buyer)
    settings.DEBUG = False
    refused = browser.get(f"/payments/local/{payment_id}/")
    assert refused.status_code == 503 and b">Pay</button>" not in refused.content
    assert browser.post(f"/payments/local/{payment_id}/", {"outcome": "succeeded"}).status_code == 503
    assert Payment.objects.get(pk=payment_id).status == PaymentStatus.PENDING
    Payment.objects.filter(pk=payment_id).update(gateway="stripe")
    settings.DEBUG = True
    assert browser.get(f"/payments/local/{payment_id}/").status_code == 404
