"""Payments: one row per attempt to pay an order through a gateway, the refunds taken from it, and
every Stripe webhook event received (stored once, by its id).

Rows hold data and state; every change goes through `marketplace.payments.services`."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone

from marketplace.models import MONEY, Order, OrderLine


class Gateway(models.TextChoices):
    LOCAL = "local", "Local test gateway"
    STRIPE = "stripe", "Stripe"


class PaymentStatus(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    EXPIRED = "expired"


class Payment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    gateway = models.CharField(max_length=10, choices=Gateway.choices)
    status = models.CharField(max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    # What has been refunded and applied to the ledger so far; a full refund equals `amount`.
    amount_refunded = models.DecimalField(**MONEY, default=Decimal("0"))
    checkout_url = models.URLField(max_length=2048, blank=True)
    stripe_checkout_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    stripe_charge_id = models.CharField(max_length=255, blank=True, db_index=True)
    # The last declined attempt (Stripe keeps a Checkout Session open after a decline).
    failure_message = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # At most one open payment per order, so a repeated checkout reuses it.
            models.UniqueConstraint(
                fields=["order"], condition=Q(status="pending"), name="payment_one_pending_per_order"
            ),
            models.CheckConstraint(
                condition=Q(amount_refunded__gte=0) & Q(amount_refunded__lte=models.F("amount")),
                name="payment_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk} ({self.gateway}, {self.status}) for order {self.order_id}"

    @property
    def refundable(self) -> Decimal:
        return self.amount - self.amount_refunded


class RefundStatus(models.TextChoices):
    # Written before Stripe is asked, so a crash after Stripe refunds is matched by the webhook.
    REQUESTED = "requested"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Refund(models.Model):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=10, choices=RefundStatus.choices, default=RefundStatus.REQUESTED)
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    reason = models.CharField(max_length=255, blank=True)
    # A refund of one failed line (the fulfilment workflow's); null for a refund of the order as a whole.
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    # True once the ledger, the transfer reversals and the order state reflect this refund.
    applied = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One refund per failed line, however often the workflow retries it.
            models.UniqueConstraint(
                fields=["order_line"], condition=Q(order_line__isnull=False), name="refund_one_per_order_line"
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {self.pk} of {self.amount} on payment {self.payment_id}"


class WebhookEvent(models.Model):
    """A Stripe event, stored once. `processed_at` is set only when its handler committed, so a
    crash mid-handler leaves it open and Stripe's redelivery runs the (idempotent) handler again."""

    stripe_event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_event_id}"
