"""Reads over payments."""

from __future__ import annotations

from django.db.models import QuerySet

from marketplace.payments.models import Payment, PaymentStatus


def payment_charge_id(*, order_id: int) -> str:
    """The charge that paid the order (the source of its royalty transfers); empty for the local
    gateway, which has no charge."""
    payment = Payment.objects.filter(order_id=order_id, status=PaymentStatus.SUCCEEDED).first()
    return payment.stripe_charge_id if payment else ""


def payment_for_buyer(*, payment_id: int) -> Payment:
    return Payment.objects.select_related("order", "order__buyer").get(pk=payment_id)


def payments_for_order(*, order_id: int) -> QuerySet[Payment]:
    return Payment.objects.filter(order_id=order_id).order_by("-created_at", "-id")


def payment_find_stripe(
    *, session_id: str = "", payment_intent_id: str = "", charge_id: str = "", metadata_payment: str = ""
) -> Payment | None:
    """The payment a Stripe object belongs to, by whichever id it carries."""
    for field, value in (
        ("stripe_checkout_session_id", session_id),
        ("stripe_charge_id", charge_id),
        ("stripe_payment_intent_id", payment_intent_id),
    ):
        if value:
            found = Payment.objects.filter(**{field: value}).first()
            if found is not None:
                return found
    if metadata_payment.isdigit():
        return Payment.objects.filter(pk=int(metadata_payment)).first()
    return None
