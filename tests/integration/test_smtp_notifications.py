"""The notification e-mails over real SMTP: an aiosmtpd server on loopback receives what one paid
order sends (the receipt and the proof), through Django's SMTP backend."""

from __future__ import annotations

import email
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message

from marketplace.payments.models import PaymentStatus
from marketplace.payments.services import payment_checkout_start, payment_local_confirm
from marketplace.services.orders import OrderLineRequest, order_create
from marketplace.services.personalizations import personalization_create
from tests.conftest import PURCHASE_QUEUES, SHIP_TO, embedded_worker, join_all
from tests.integration.processes import free_port

pytestmark = pytest.mark.django_db(transaction=True)

QUEUES = PURCHASE_QUEUES


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[email.message.Message] = []

    def handle_message(self, message: email.message.Message) -> None:
        self.messages.append(message)


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Inbox]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


@pytest.fixture
def worker_on_every_step(transactional_db: None) -> Iterator[dramatiq.Worker]:
    with embedded_worker(PURCHASE_QUEUES) as running:
        yield running


def test_a_paid_order_sends_its_receipt_and_proof_over_smtp(
    settings: Any,
    smtp_server: Inbox,
    worker_on_every_step: Any,
    buyer: Any,
    pattern: Any,
    style: Any,
    products: Any,
) -> None:
    settings.STRIPE_SECRET_KEY, settings.DEBUG = "", True
    personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    order = order_create(buyer=buyer, lines=[OrderLineRequest(personalization, products["swatch"], 1)])
    payment = payment_checkout_start(order=order, actor=buyer, shipping_address=SHIP_TO)
    payment_local_confirm(payment=payment, actor=buyer, outcome=PaymentStatus.SUCCEEDED)
    join_all(queues=QUEUES)

    received = {message["Subject"]: message for message in smtp_server.messages}
    assert f"Your Motif order #{order.pk}: receipt" in received
    assert f"Your proof for order #{order.pk} is ready to review" in received
    assert len(smtp_server.messages) == 2  # once each
    receipt = received[f"Your Motif order #{order.pk}: receipt"]
    assert receipt["To"] == buyer.email and receipt["Message-ID"].startswith("<motif-receipt.order.")
    body = receipt.get_payload(decode=True).decode()
    assert "Shipping: 1.50" in body and "Total paid: 6.50" in body  # one swatch: a letter to the US
