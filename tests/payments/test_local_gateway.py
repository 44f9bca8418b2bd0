"""The local test gateway: a purchase end to end through the same order and royalty code as Stripe."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from marketplace.errors import Conflict
from marketplace.models import Order, OrderStatus, Style
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.payments.services import payment_checkout_start, payment_local_confirm
from marketplace.royalties.models import EntryKind, RoyaltyEntry, Transfer
from tests.conftest import SHIP_TO

from .conftest import ledger_total

pytestmark = pytest.mark.django_db(transaction=True)


def test_local_gateway_purchase_pays_the_order_and_writes_royalties_for_artist_and_designer(
    local_on: None, make_order: Any, buyer: Any, artist: Any, designer: Any, client_for: Any
) -> None:
    order = make_order("swatch", "yard")  # 5.00 + 24.00; style fee 2.00 + 10 %, pattern 5 %
    client = client_for(buyer)
    started = client.post(
        f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json"
    )
    assert started.status_code == 200, started.content
    body = started.json()
    assert body["gateway"] == "local"
    assert body["checkout_url"] == f"http://testserver/payments/local/{body['payment']}/"
    again = client.post(
        f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json"
    ).json()
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
    payment_id = api.post(
        f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json"
    ).json()["payment"]
    page_url = f"/payments/local/{payment_id}/"

    page = browser.get(page_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "TEST GATEWAY" in html
    assert ">Pay</button>" in html and ">Decline</button>" in html

    assert Client().get(page_url).status_code == 302  # anonymous: to the login page
    stranger = Client()
    stranger.force_login(make_user("buyer"))
    assert (
        stranger.get(page_url).status_code == 404
    )  # someone else's payment is missing, not forbidden (no id oracle)
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
    second = api.post(
        f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json"
    ).json()["payment"]
    assert second != payment_id
    paid = browser.post(f"/payments/local/{second}/", {"outcome": "succeeded", "csrfmiddlewaretoken": token})
    assert paid.status_code == 302 and paid["Location"] == f"/orders/{order.pk}/"
    assert Order.objects.get(pk=order.pk).status == OrderStatus.PAID
    assert ledger_total(order=order) == Decimal("5.00")


def test_only_the_orders_buyer_confirms_a_local_payment(
    local_on: None, make_order: Any, buyer: Any, make_user: Any, client_for: Any
) -> None:
    order = make_order()
    payment_id = (
        client_for(buyer)
        .post(f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json")
        .json()["payment"]
    )
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
    refused = client_for(buyer).post(
        f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json"
    )
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
    payment_id = (
        client_for(buyer)
        .post(f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json")
        .json()["payment"]
    )
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


def _assert_one_payment_kept(order: Order) -> None:
    """At most one succeeded payment per order keeps its money, and a succeeded payment's order is
    never back in draft unless that payment was given back."""
    order.refresh_from_db()
    succeeded = list(Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED))
    kept = [p for p in succeeded if p.amount_refunded < p.amount]
    assert len(kept) <= 1, f"{len(kept)} succeeded payments kept for order {order.pk}"
    goods = order.total - order.shipping_amount - order.tax_amount
    if kept:
        assert order.status == OrderStatus.PAID, f"a kept payment's order is {order.status}"
    assert ledger_total(order=order) == (goods if kept else 0), (
        "the ledger does not hold exactly the kept payment"
    )


def test_a_pay_after_a_decline_of_the_same_payment_is_refused(
    local_on: None, make_order: Any, buyer: Any
) -> None:
    order = make_order()
    payment = payment_checkout_start(order=order, actor=buyer, shipping_address=SHIP_TO)
    # The Pay request loaded the payment while it was still pending; the Decline then won.
    seen_pending = Payment.objects.get(pk=payment.pk)
    payment_local_confirm(payment=payment, actor=buyer, outcome=PaymentStatus.DECLINED)
    with pytest.raises(Conflict, match="already declined"):
        payment_local_confirm(payment=seen_pending, actor=buyer, outcome=PaymentStatus.SUCCEEDED)
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.status, order.status) == (PaymentStatus.DECLINED, OrderStatus.DRAFT)
    _assert_one_payment_kept(order)


def test_concurrent_pays_and_declines_settle_a_payment_once_and_charge_once(
    local_on: None, make_order: Any, buyer: Any
) -> None:
    for _ in range(3):
        order = make_order()
        payment = payment_checkout_start(order=order, actor=buyer, shipping_address=SHIP_TO)
        outcomes = [PaymentStatus.SUCCEEDED, PaymentStatus.DECLINED] * 5
        barrier = threading.Barrier(len(outcomes))
        answers: list[str] = []

        def confirm(
            outcome: str, seen: Payment, barrier: threading.Barrier = barrier, answers: list[str] = answers
        ) -> None:
            try:
                barrier.wait()
                answers.append(payment_local_confirm(payment=seen, actor=buyer, outcome=outcome).status)
            except Conflict:
                answers.append("refused")
            finally:
                connection.close()

        threads = [
            threading.Thread(target=confirm, args=(outcome, Payment.objects.get(pk=payment.pk)))
            for outcome in outcomes
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        payment.refresh_from_db()
        order.refresh_from_db()
        assert (payment.status, order.status) in (
            (PaymentStatus.SUCCEEDED, OrderStatus.PAID),
            (PaymentStatus.DECLINED, OrderStatus.DRAFT),
        ), (payment.status, order.status)
        # The winning outcome answers five times; the other is refused five times.
        assert sorted(answers) == sorted([payment.status] * 5 + ["refused"] * 5)
        _assert_one_payment_kept(order)
        if order.status == OrderStatus.DRAFT:
            again = payment_checkout_start(order=order, actor=buyer, shipping_address=SHIP_TO)
            payment_local_confirm(payment=again, actor=buyer, outcome=PaymentStatus.SUCCEEDED)
        _assert_one_payment_kept(order)
        assert Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED).count() == 1
