"""Reads over payments."""

from __future__ import annotations

from marketplace.payments.models import Payment, PaymentStatus


def payment_charge_id(*, order_id: int) -> str:
    """The charge that paid the order (the source of its royalty transfers); empty for the local
    gateway, which has no charge."""
    payment = Payment.objects.filter(order_id=order_id, status=PaymentStatus.SUCCEEDED).first()
    return payment.stripe_charge_id if payment else ""


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
