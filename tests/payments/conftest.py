"""Payments fixtures: the loopback fake Stripe, settings pointing the real SDK at it, signed webhook
delivery, and a synchronous run of the `payouts` queue (the actors' own functions, message by
message, as a worker would run them)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import dramatiq
import pytest
from django.test import Client
from dramatiq import Message
from rest_framework.test import APIClient

from marketplace.models import Order, User
from marketplace.services.orders import OrderLineRequest, order_create
from marketplace.services.personalizations import personalization_create
from tests.conftest import SHIP_TO
from tests.fakes.stripe_server import FakeStripe, sign_payload

WEBHOOK_SECRET = "whsec_motif_tests"
WEBHOOK_URL = "/api/v1/payments/stripe/webhook/"


@pytest.fixture(autouse=True)
def _payments_setup(settings: Any) -> Iterator[None]:
    settings.SITE_URL = "http://testserver"
    import marketplace.royalties.tasks  # noqa: F401  (declares the payouts queue)

    broker = dramatiq.get_broker()
    broker.flush_all()
    yield
    broker.flush_all()


@pytest.fixture
def fake_stripe() -> Iterator[FakeStripe]:
    fake = FakeStripe.start()
    yield fake
    fake.stop()
    assert not fake.errors, fake.errors


@pytest.fixture
def stripe_on(settings: Any, fake_stripe: FakeStripe) -> FakeStripe:
    settings.STRIPE_SECRET_KEY = "sk_test_motif"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = fake_stripe.url
    settings.STRIPE_CONNECT_BASE = fake_stripe.url
    return fake_stripe


@pytest.fixture
def local_on(settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = ""
    settings.DEBUG = True


def deliver(
    event: dict[str, Any] | bytes,
    *,
    secret: str = WEBHOOK_SECRET,
    timestamp: int | None = None,
    signature: str | None = "sign",
) -> Any:
    """POST an event to the webhook as Stripe does (raw JSON body, Stripe-Signature header)."""
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = {}
    if signature == "sign":
        headers["HTTP_STRIPE_SIGNATURE"] = sign_payload(body, secret, timestamp)
    elif signature is not None:
        headers["HTTP_STRIPE_SIGNATURE"] = signature
    return Client().post(WEBHOOK_URL, data=body, content_type="application/json", **headers)


def run_payouts(*, max_messages: int = 1000, queue_name: str = "payouts") -> int:
    """Run every message on the payouts queue (or `queue_name`), and those they enqueue there, in
    this thread."""
    broker = dramatiq.get_broker()
    ran = 0
    while ran < max_messages:
        queue = broker.queues.get(queue_name)
        if queue is None or queue.empty():
            return ran
        message = Message.decode(queue.get_nowait())
        try:
            broker.get_actor(message.actor_name).fn(*message.args, **message.kwargs)
        finally:
            queue.task_done()  # a later broker.join() on this queue waits for every taken message
        ran += 1
    raise AssertionError(f"the {queue_name} queue does not drain")


@pytest.fixture
def make_order(buyer: User, pattern: Any, style: Any, products: Any) -> Callable[..., Order]:
    def make(*sizes: str, quantity: int = 1, who: User | None = None, style_: Any = None) -> Order:
        owner = who or buyer
        personalization = personalization_create(buyer=owner, base_pattern=pattern, style=style_ or style)
        lines = [
            OrderLineRequest(personalization=personalization, product_size=products[s], quantity=quantity)
            for s in (sizes or ("swatch",))
        ]
        return order_create(buyer=owner, lines=lines)

    return make


def onboard(user: User, fake: FakeStripe, *, finish: bool = True) -> str:
    """Start Connect onboarding through the API and, if asked, finish it at Stripe and deliver the
    account.updated event. Returns the connected account id."""
    client = APIClient()
    client.force_authenticate(user)
    response = client.post("/api/v1/payouts/onboarding/")
    assert response.status_code == 200, response.content
    account_id = str(user.payee_account.stripe_account_id)  # type: ignore[attr-defined]
    if finish:
        assert deliver(fake.complete_onboarding(account_id)).status_code == 200
    return account_id


def stripe_checkout(order: Order, fake: FakeStripe) -> tuple[int, str]:
    """Checkout through the API; returns (payment id, checkout session id)."""
    client = APIClient()
    client.force_authenticate(order.buyer)
    response = client.post(
        f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["gateway"] == "stripe"
    session_id = body["checkout_url"].rsplit("/", 1)[-1]
    return body["payment"], session_id


def ledger_total(**filters: Any) -> Decimal:
    from marketplace.royalties.models import RoyaltyEntry

    return sum((e.amount for e in RoyaltyEntry.objects.filter(**filters)), Decimal("0"))
