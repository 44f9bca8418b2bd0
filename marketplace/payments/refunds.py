"""Refunds, through whichever gateway took the payment: a whole or partial refund, an unwanted second payment, a cancelled or failed line; each applied once, and synced back from Stripe."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import stripe
from django.core.exceptions import ValidationError
from django.db import transaction

from marketplace.errors import Conflict
from marketplace.models import PAID_STATUSES, REFUNDED_STAGES, LineStage, OrderLine
from marketplace.notifications import notification_send
from marketplace.payments.gateways import (
    stripe_client,
    stripe_metadata,
)
from marketplace.payments.models import Gateway, Payment, PaymentStatus, Refund, RefundStatus
from marketplace.payments.services import paying_payment_id, payment_holds_order
from marketplace.royalties.reversals import royalty_line_paid, royalty_refund_apply
from marketplace.royalties.services import cents
from marketplace.services.fulfilment import order_refresh_status
from marketplace.services.orders import (
    order_mark_refunded,
    order_refund_booked,
)


def refund_apply(*, refund_id: int) -> Refund:
    """Book a refund that the gateway made: negative ledger entries, proportional transfer
    reversals, and on a full refund the order is refunded (edition uses come back). Idempotent.

    A refund of one failed line takes back that line's accruals only. A refund of the order takes
    back the same fraction of every other line's accruals (lines refunded on their own are done)."""
    with transaction.atomic():
        payment_id = Refund.objects.values_list("payment_id", flat=True).get(pk=refund_id)
        payment = Payment.objects.select_for_update(of=("self",)).select_related("order").get(pk=payment_id)
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.applied:
            return refund
        before = payment.amount_refunded
        after = min(before + refund.amount, payment.amount)
        line_refunds = list(payment.refunds.filter(applied=True, order_line__isnull=False))
        # A payment that never paid the order (it came for a cancelled order, or after another
        # payment had paid it) accrued nothing, and giving it back leaves the order as it is.
        paid_order = paying_payment_id(payment.order) == payment.pk
        if paid_order and refund.order_line_id is not None:
            line_paid = royalty_line_paid(order_line_id=refund.order_line_id)
            royalty_refund_apply(
                order=payment.order,
                refund_id=refund.pk,
                refunded_before=Decimal("0"),
                # The line's shipping comes back with it, but was never in the ledger.
                refunded_after=min(after - before, line_paid),
                paid=line_paid,
                order_line_ids=[refund.order_line_id],
            )
        elif paid_order:
            # A refund of the order gives back goods first and shipping last, so the ledger (which
            # holds the goods only) is reversed by the goods' share of what went back.
            done_by_line = sum((r.amount for r in line_refunds), Decimal("0"))
            lines_shipping = dict(
                OrderLine.objects.filter(pk__in=[r.order_line_id for r in line_refunds]).values_list(
                    "pk", "shipping_amount"
                )
            )
            goods_by_line = sum(
                (
                    max(r.amount - lines_shipping.get(r.order_line_id or 0, Decimal("0")), Decimal("0"))
                    for r in line_refunds
                ),
                Decimal("0"),
            )
            order = payment.order
            goods_left = payment.amount - order.shipping_amount - order.tax_amount - goods_by_line
            royalty_refund_apply(
                order=order,
                refund_id=refund.pk,
                refunded_before=min(before - done_by_line, goods_left),
                refunded_after=min(after - done_by_line, goods_left),
                paid=goods_left,
                exclude_order_line_ids=[r.order_line_id for r in line_refunds if r.order_line_id is not None],
            )
        payment.amount_refunded = after
        payment.save(update_fields=["amount_refunded"])
        refund.applied = True
        refund.status = RefundStatus.SUCCEEDED
        refund.save(update_fields=["applied", "status"])
        order_refund_booked(order_id=payment.order_id, amount=after - before)
        if after == payment.amount and paid_order and payment.order.status in PAID_STATUSES:
            order_mark_refunded(order=payment.order)
        if after > before:
            notification_send(
                key=f"refund:{refund.pk}",
                to=payment.order.buyer.email,
                template="refund",
                context={"order": payment.order, "refund": refund},
            )
    return refund


def _refund_at_gateway(refund: Refund) -> None:
    """Ask Stripe for a refund row's money, once: the row's id is the idempotency key, so a retry
    after a 5xx or a crash asks again under the same key and Stripe makes one refund."""
    payment = refund.payment
    if payment.gateway != Gateway.STRIPE or refund.stripe_refund_id:
        return
    try:
        made = stripe_client().v1.refunds.create(
            params={
                "charge": payment.stripe_charge_id,
                "amount": cents(refund.amount),
                "metadata": {"motif_refund": str(refund.pk), "order": str(payment.order_id)},
            },
            options={"idempotency_key": f"motif-refund-{refund.pk}"},
        )
    except stripe.InvalidRequestError as exc:
        Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.FAILED)
        raise Conflict(f"Stripe refused the refund: {exc.user_message or exc}") from exc
    with transaction.atomic():
        Refund.objects.filter(pk=refund.pk, stripe_refund_id=None).update(stripe_refund_id=made.id)


def payment_refund(*, payment: Payment, amount: Decimal | None = None, reason: str = "") -> Refund:
    """Refund all or part of a payment (the admin's action). The refund row is written before
    Stripe is asked, and Stripe's refund carries its id, so a crash in between is matched up by the
    `charge.refunded` webhook instead of booked twice."""
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.status != PaymentStatus.SUCCEEDED:
            raise Conflict("Only a succeeded payment can be refunded.")
        outstanding = sum(
            (r.amount for r in payment.refunds.filter(applied=False, status=RefundStatus.REQUESTED)),
            Decimal("0"),
        )
        available = payment.refundable - outstanding
        amount = available if amount is None else amount.quantize(Decimal("0.01"))
        if amount <= 0 or amount > available:
            raise ValidationError({"amount": [f"Between 0.01 and {available} can be refunded."]})
        refund = Refund.objects.create(payment=payment, amount=amount, reason=reason[:255])
    _refund_at_gateway(refund)
    return refund_apply(refund_id=refund.pk)


def payment_refund_unwanted(*, payment_id: int) -> Refund | None:
    """Give back a payment that arrived for an order that no longer wants it (cancelled while the
    buyer was paying, or paid through another payment). Idempotent: a retry resumes the refund it
    opened."""
    payment = Payment.objects.select_related("order").get(pk=payment_id)
    if payment.status != PaymentStatus.SUCCEEDED or payment_holds_order(payment, payment.order):
        return None
    open_refund = payment.refunds.filter(applied=False, status=RefundStatus.REQUESTED).first()
    if open_refund is None:
        if payment.refundable <= 0:
            return None
        why = (
            "was paid through another payment"
            if payment.order.status in PAID_STATUSES
            else "was cancelled before it was paid"
        )
        return payment_refund(payment=payment, reason=f"Order {payment.order_id} {why}")
    _refund_at_gateway(open_refund)
    return refund_apply(refund_id=open_refund.pk)


def payment_refund_order_line(*, order_line_id: int) -> Refund | None:
    """Refund a failed or cancelled line: what the buyer paid for it (its goods and its shipping)
    goes back through the order's gateway, and that line's accruals are reversed. Idempotent (one
    refund row per line), and safe to retry after the gateway answered 5xx. The order's status is
    then derived again."""
    line = OrderLine.objects.select_related("order").get(pk=order_line_id)
    if line.stage not in REFUNDED_STAGES:
        return None
    # The payment that paid the order, not one that is being given back.
    paying_id = paying_payment_id(line.order)
    if paying_id is None:
        return None
    payment = Payment.objects.get(pk=paying_id)
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        refund = Refund.objects.filter(order_line_id=order_line_id).first()
        if refund is None:
            outstanding = sum(
                (r.amount for r in payment.refunds.filter(applied=False, status=RefundStatus.REQUESTED)),
                Decimal("0"),
            )
            amount = min(
                royalty_line_paid(order_line_id=order_line_id).quantize(Decimal("0.01"))
                + line.shipping_amount,
                payment.refundable - outstanding,
            )
            if amount <= 0:
                return None
            why = "was cancelled" if line.stage == LineStage.CANCELLED else "could not be made"
            refund = Refund.objects.create(
                payment=payment,
                order_line_id=order_line_id,
                amount=amount,
                reason=f"Line {order_line_id} of order {line.order_id} {why}",
            )
    if not refund.applied:
        _refund_at_gateway(refund)
        refund = refund_apply(refund_id=refund.pk)
    order_refresh_status(order_id=line.order_id)
    return refund


def payment_refunds_sync(*, payment: Payment, stripe_refunds: list[Any]) -> list[Refund]:
    """Book every refund Stripe shows on the charge that Motif has not booked yet."""
    booked = []
    for item in sorted(stripe_refunds, key=lambda r: (r.created, r.id)):
        if item.status in ("failed", "canceled"):
            continue
        with transaction.atomic():
            Payment.objects.select_for_update().get(pk=payment.pk)
            refund = Refund.objects.filter(stripe_refund_id=item.id).first()
            ours = stripe_metadata(item).get("motif_refund")
            if refund is None and ours and ours.isdigit():
                refund = Refund.objects.filter(pk=int(ours), payment=payment).first()
                if refund is not None and not refund.stripe_refund_id:
                    refund.stripe_refund_id = item.id
                    refund.save(update_fields=["stripe_refund_id"])
            if refund is None:
                refund = Refund.objects.create(
                    payment=payment,
                    amount=Decimal(item.amount) / 100,
                    stripe_refund_id=item.id,
                    reason="Refunded at Stripe",
                )
        booked.append(refund_apply(refund_id=refund.pk))
    return booked
