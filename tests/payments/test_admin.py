"""The admin's refund actions go through the same refund service as Stripe's webhook."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from marketplace.models import OrderStatus, Style
from marketplace.payments.models import Payment
from tests.conftest import SHIP_TO

from .conftest import ledger_total

pytestmark = pytest.mark.django_db(transaction=True)


def _paid_local_order(make_order: Any, buyer: Any, client_for: Any) -> Payment:
    order = make_order("yard")
    client = client_for(buyer)
    payment_id = client.post(
        f"/api/v1/orders/{order.pk}/checkout/", {"shipping_address": SHIP_TO}, format="json"
    ).json()["payment"]
    client.post(f"/api/v1/payments/local/{payment_id}/confirm/", {"outcome": "succeeded"}, format="json")
    return Payment.objects.get(pk=payment_id)


def test_admin_partial_then_full_refund_books_negative_entries_and_refunds_the_order(
    local_on: None,
    make_order: Any,
    buyer: Any,
    artist: Any,
    make_user: Any,
    client_for: Any,
    style: Style,
    client: Any,
) -> None:
    payment = _paid_local_order(make_order, buyer, client_for)
    admin = make_user("buyer")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    url = "/admin/payments/payment/"

    form = client.post(url, {"action": "refund_partially", "_selected_action": [payment.pk]})
    assert form.status_code == 200 and b"Refund part of a payment" in form.content
    done = client.post(
        url, {"action": "refund_partially", "_selected_action": [payment.pk], "apply": "1", "amount": "6.00"}
    )
    assert done.status_code == 302
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("6.00")
    assert ledger_total(payee=artist) == (Decimal("2.00") + Decimal("2.40")) * Decimal("0.75")  # 25 % back
    assert ledger_total(order=payment.order) == Decimal("18.00")

    client.post(url, {"action": "refund_in_full", "_selected_action": [payment.pk]})
    payment.refresh_from_db()
    style.refresh_from_db()
    assert payment.amount_refunded == payment.amount and ledger_total(order=payment.order) == 0
    assert payment.order.status == OrderStatus.REFUNDED and style.uses_taken == 0
    client.post(url, {"action": "refund_in_full", "_selected_action": [payment.pk]})  # nothing left: refused
    assert payment.refunds.count() == 2
