"""Payments: checkout through a gateway, success, abandonment and refunds (Stripe events: webhooks.py).

Both gateways end in the same functions: `payment_succeed` (order paid, royalties accrued, transfers
decided and enqueued on commit) and `payment_abandon` (reserved edition uses released)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from marketplace import jobs
from marketplace.errors import Conflict, NotAllowed
from marketplace.models import PAID_STATUSES, Order, OrderStatus, User
from marketplace.notifications import notification_send
from marketplace.payments.gateways import (
    GatewayUnavailable,
    local_gateway_allowed,
    payment_gateway,
    site_url,
    stripe_client,
)
from marketplace.payments.models import Gateway, Payment, PaymentStatus
from marketplace.royalties.onboarding import payee_onboarding_link
from marketplace.royalties.services import cents, royalty_accrue, royalty_transfers_decide, transfer_group
from marketplace.services.orders import (
    order_checkout,
    order_mark_paid,
    order_payment_abandoned,
)

log = logging.getLogger(__name__)


class PaymentMismatch(Exception):
    """Stripe reports a payment that does not match the order (amount or currency)."""


# --- checkout ------------------------------------------------------------------------------------------


def stripe_shipping(address: dict[str, str]) -> dict[str, Any]:
    """A stored shipping address as Stripe's `shipping` (name and address; empty parts left out)."""
    parts = ("line1", "line2", "city", "state", "postal_code", "country")
    return {
        "name": address.get("name", ""),
        "address": {part: address[part] for part in parts if address.get(part)},
    }


def _stripe_line_items(order: Order) -> list[dict[str, Any]]:
    lines = list(order.lines.select_related("product_size__product").order_by("pk"))
    currency = order.currency.lower()

    def name(line: Any) -> str:
        return f"{line.product_size.product.name} — {line.product_size.name} (personalized pattern)"

    if order.discount == 0:
        return [
            {
                "price_data": {
                    "currency": currency,
                    "unit_amount": cents(line.unit_price),
                    "product_data": {"name": name(line)},
                },
                "quantity": line.quantity,
            }
            for line in lines
        ]
    # Checkout cannot apply our discount itself: each line is charged what it costs after it.
    total, subtotal, items, charged = cents(order.goods_total), order.subtotal, [], 0
    for i, line in enumerate(lines):
        amount = (
            total - charged if i == len(lines) - 1 else int(cents(line.line_total) * total // cents(subtotal))
        )
        charged += amount
        items.append(
            {
                "price_data": {
                    "currency": currency,
                    "unit_amount": amount,
                    "product_data": {"name": f"{line.quantity} × {name(line)}"},
                },
                "quantity": 1,
            }
        )
    return items


def _stripe_session_create(payment: Payment) -> None:
    order = payment.order
    order_page = site_url(f"/orders/{order.pk}/")
    metadata = {"order": str(order.pk), "payment": str(payment.pk)}
    params: Any = {
        "mode": "payment",
        "line_items": _stripe_line_items(order),
        "client_reference_id": str(order.pk),
        "metadata": metadata,
        # Separate charges and transfers: the royalty transfers join this group.
        "payment_intent_data": {"transfer_group": transfer_group(order.pk), "metadata": metadata},
        "success_url": order_page + "?checkout=success",
        "cancel_url": order_page + "?checkout=cancelled",
    }
    if order.buyer.email:
        params["customer_email"] = order.buyer.email
    if order.shipping_address is not None:
        # The address was asked once, in the cart: Stripe gets it (its `state` is our region's key) and
        # does not ask for it again.
        params["payment_intent_data"]["shipping"] = stripe_shipping(order.shipping_address)
        params["shipping_options"] = [
            {
                "shipping_rate_data": {
                    "type": "fixed_amount",
                    "display_name": "Shipping",
                    "fixed_amount": {
                        "amount": cents(order.shipping_amount),
                        "currency": order.currency.lower(),
                    },
                }
            }
        ]
    session = stripe_client().v1.checkout.sessions.create(
        params=params,
        # Keyed by the payment: a retried checkout gets the same session, never a second one.
        options={"idempotency_key": f"motif-checkout-{payment.pk}"},
    )
    Payment.objects.filter(pk=payment.pk).update(
        stripe_checkout_session_id=session.id, checkout_url=session.url or ""
    )
    payment.stripe_checkout_session_id, payment.checkout_url = session.id, session.url or ""


def payment_checkout_start(
    *, order: Order, actor: User, shipping_address: object = None, country: str | None = None
) -> Payment:
    """Price shipping, reserve the order's edition uses (order_checkout) and open a payment on the
    gateway in use. A repeated call reuses the open payment."""
    gateway = payment_gateway()  # refuse before reserving anything
    order = order_checkout(order=order, actor=actor, shipping_address=shipping_address, country=country)
    try:
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=order.pk)
            if order.status != OrderStatus.AWAITING_PAYMENT:
                raise Conflict(f"This order is {order.status.replace('_', ' ')} and cannot be paid.")
            payment = Payment.objects.filter(order=order, status=PaymentStatus.PENDING).first()
            if payment is not None and payment.gateway != gateway:
                # The site switched gateways since this payment was opened.
                payment.status = PaymentStatus.EXPIRED
                payment.save(update_fields=["status"])
                payment = None
            if payment is None:
                payment = Payment.objects.create(
                    order=order, gateway=gateway, amount=order.total, currency=order.currency
                )
    except IntegrityError:  # a concurrent checkout of the same order opened it first
        payment = Payment.objects.get(order=order, status=PaymentStatus.PENDING)
    if not payment.checkout_url:
        if payment.gateway == Gateway.LOCAL:
            payment.checkout_url = site_url(reverse("payments-local-page", args=[payment.pk]))
            Payment.objects.filter(pk=payment.pk).update(checkout_url=payment.checkout_url)
        else:
            _stripe_session_create(payment)
    return payment


# --- outcomes (both gateways) -----------------------------------------------------------------------


def payment_succeed(
    *,
    payment: Payment,
    charge_id: str = "",
    payment_intent_id: str = "",
    amount_cents: int | None = None,
    currency: str | None = None,
) -> Payment:
    """The money is in: the order is paid (renders enqueued on commit), the ledger is written, and
    each payee's transfer is decided and enqueued on commit. Idempotent.

    Only a pending payment pays its order, and only an order that no other payment has paid. Money
    that arrives for anything else (an attempt already declined or expired, an order paid through
    another payment or cancelled meanwhile) is recorded and goes straight back."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update(of=("self",)).select_related("order").get(pk=payment.pk)
        if payment.status == PaymentStatus.SUCCEEDED:
            return payment
        was_pending = payment.status == PaymentStatus.PENDING
        if amount_cents is not None and (
            amount_cents != cents(payment.amount) or (currency or "").lower() != payment.currency.lower()
        ):
            raise PaymentMismatch(
                f"Payment {payment.pk}: Stripe took {amount_cents} {currency}, the order costs "
                f"{payment.amount} {payment.currency}."
            )
        # Under the order's lock: of two payments of one order, one pays it and the other is refunded.
        order = Order.objects.select_for_update().get(pk=payment.order_id)
        payment.status = PaymentStatus.SUCCEEDED
        payment.succeeded_at = timezone.now()
        payment.stripe_charge_id = charge_id or payment.stripe_charge_id
        payment.stripe_payment_intent_id = payment_intent_id or payment.stripe_payment_intent_id
        payment.save(update_fields=["status", "succeeded_at", "stripe_charge_id", "stripe_payment_intent_id"])
        if was_pending:
            order = order_mark_paid(order=order, paid_at=payment.succeeded_at)
        if not payment_holds_order(payment, order):
            # Nothing is owed to anyone for this money, and it goes straight back (a job, so a gateway
            # that is down only delays it; its row is written with this payment, so a crash before the
            # refund is made does not lose it).
            log.warning(
                "Payment %s succeeded for order %s, which is %s: refunding it.",
                payment.pk,
                order.pk,
                order.status,
            )
            jobs.enqueue(jobs.REFUND_PAYMENT, payment.pk)
            return payment
        # Royalties are on the goods: shipping and tax are the platform's to pass on.
        royalty_accrue(order=order, paid=payment.amount - order.shipping_amount - order.tax_amount)
        royalty_transfers_decide(order=order)
        notification_send(
            key=f"receipt:order:{order.pk}",
            to=order.buyer.email,
            template="receipt",
            context={
                "order": order,
                "lines": list(order.lines.select_related("product_size__product")),
                "goods": order.goods_total,
            },
        )
    return payment


def paying_payment_id(order: Order) -> int | None:
    """The payment that paid the order: the one that succeeded as the order was marked paid. Payments
    that succeeded before (for an attempt the order had given up on) or after (a second payment of
    a paid order) are given back, never counted."""
    if order.paid_at is None:
        return None
    return (
        Payment.objects.filter(
            order_id=order.pk, status=PaymentStatus.SUCCEEDED, succeeded_at__lte=order.paid_at
        )
        .order_by("-succeeded_at", "-pk")
        .values_list("pk", flat=True)
        .first()
    )


def payment_holds_order(payment: Payment, order: Order) -> bool:
    """Whether this payment paid the order and the order still wants it (it is not cancelled or
    refunded)."""
    return order.status in PAID_STATUSES and paying_payment_id(order) == payment.pk


def payment_abandon(*, payment: Payment, status: str) -> Payment:
    """Declined (local gateway) or expired (Stripe): the edition uses go back, unless the order is
    being paid through another payment by now. Idempotent."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update(of=("self",)).select_related("order").get(pk=payment.pk)
        if payment.status != PaymentStatus.PENDING:
            return payment
        payment.status = status
        payment.save(update_fields=["status"])
        if not Payment.objects.filter(order_id=payment.order_id, status=PaymentStatus.PENDING).exists():
            order_payment_abandoned(order=payment.order)
    return payment


def payment_decline_record(*, payment: Payment, message: str) -> Payment:
    """A declined attempt at Stripe. The Checkout Session stays open so the buyer can try another
    card; the reservation is released when the session expires, not before."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status == PaymentStatus.PENDING:
            payment.failure_message = message[:2000]
            payment.save(update_fields=["failure_message"])
    return payment


def payment_local_confirm(*, payment: Payment, actor: User, outcome: str) -> Payment:
    """The local test gateway's Pay / Decline. Only the order's buyer; only while DEBUG is on."""
    if not local_gateway_allowed():
        raise GatewayUnavailable("The local test gateway is refused when DEBUG is off.")
    if payment.order.buyer_id != actor.pk:
        raise NotAllowed("This payment belongs to someone else's order.")
    if payment.gateway != Gateway.LOCAL:
        raise Conflict("This payment is not taken by the local test gateway.")
    if outcome not in (PaymentStatus.SUCCEEDED, PaymentStatus.DECLINED):
        raise ValidationError({"outcome": ["Choose succeeded or declined."]})
    # Decided under the payment's lock: of a Pay and a Decline sent at once, the first wins and
    # the other is refused, never both applied.
    with transaction.atomic():
        payment = Payment.objects.select_for_update(of=("self",)).select_related("order").get(pk=payment.pk)
        if payment.status == outcome:
            return payment  # a double click
        if payment.status != PaymentStatus.PENDING:
            raise Conflict(f"This payment is already {payment.status}.")
        if outcome == PaymentStatus.SUCCEEDED:
            return payment_succeed(payment=payment)
        return payment_abandon(payment=payment, status=PaymentStatus.DECLINED)


# --- refunds -------------------------------------------------------------------------------------------


# --- payouts seam for the pages ---------------------------------------------------------------------


def payout_onboarding_start(*, artist: User, return_url: str | None = None) -> str:
    """The front end's seam: the Account Link to send an artist or designer to."""
    return payee_onboarding_link(user=artist, return_url=return_url)
