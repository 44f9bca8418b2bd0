"""Stripe Checkout and the address asked once: the cart's address goes to Stripe as the payment's
`shipping`, its region as Stripe's `state`, and Checkout does not ask for it again."""

from __future__ import annotations

from typing import Any

import pytest

from marketplace.models import OrderStatus
from marketplace.payments.gateways import stripe_client
from marketplace.payments.models import Payment
from tests.conftest import SHIP_TO
from tests.fakes.stripe_server import FakeStripe

from .conftest import deliver, stripe_checkout

pytestmark = pytest.mark.django_db(transaction=True)


def test_stripe_gets_the_address_with_its_state_and_does_not_collect_it_again(
    stripe_on: FakeStripe, make_order: Any
) -> None:
    fake = stripe_on
    order = make_order("yard")
    payment_id, session_id = stripe_checkout(order, fake)

    create = fake.requests_to("POST", "/v1/checkout/sessions")[0].params
    assert "shipping_address_collection" not in create
    shipping = create["payment_intent_data"]["shipping"]
    assert shipping["name"] == SHIP_TO["name"]
    assert shipping["address"] == {
        "line1": SHIP_TO["line1"],
        "city": SHIP_TO["city"],
        "state": "IL",
        "postal_code": SHIP_TO["postal_code"],
        "country": "US",
    }
    assert create["shipping_options"][0]["shipping_rate_data"]["fixed_amount"]["amount"] == "550"

    event = fake.complete_checkout(session_id)
    assert deliver(event).status_code == 200
    payment = Payment.objects.get(pk=payment_id)
    intent = stripe_client().v1.payment_intents.retrieve(payment.stripe_payment_intent_id)
    assert intent.shipping is not None and intent.shipping.address.state == "IL"  # what Stripe holds
    order.refresh_from_db()
    assert order.status != OrderStatus.AWAITING_PAYMENT and order.shipping_address == SHIP_TO
