"""Royalties: the ledger of what each artist, designer and the platform earned from each paid order
line, the Connect accounts that payees are paid into, and the transfers and reversals that move the
money. See `marketplace.royalties.services` for the rounding rule."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from marketplace.models import LEDGER_MONEY, MONEY, Order, OrderLine, User


class PayeeAccount(models.Model):
    """A payee's Stripe Connect (Express) account and whether Stripe lets us transfer to it."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="payee_account")
    stripe_account_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    details_submitted = models.BooleanField(default=False)
    # Transfers go out only while this is true; until then earnings are held.
    payouts_enabled = models.BooleanField(default=False)
    requirements_due = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Payee account of {self.user}"


class EntryKind(models.TextChoices):
    STYLE_FEE = "style_fee", "Style fee"
    ARTIST_ROYALTY = "artist_royalty", "Artist royalty"
    DESIGNER_ROYALTY = "designer_royalty", "Designer royalty"
    PLATFORM_SHARE = "platform_share", "Platform share"
    REFUND = "refund", "Refund"
    # A transfer reversed at Stripe outside a refund (the Dashboard, a dispute): the payee's loss is
    # the platform's gain, so the ledger keeps matching the money.
    TRANSFER_REVERSED = "transfer_reversed", "Transfer reversed"


ACCRUAL_KINDS = (
    EntryKind.STYLE_FEE,
    EntryKind.ARTIST_ROYALTY,
    EntryKind.DESIGNER_ROYALTY,
    EntryKind.PLATFORM_SHARE,
)


class RoyaltyEntry(models.Model):
    """One line of the ledger. `payee` is null for the platform's share. Amounts keep 5 decimals;
    refunds are negative entries pointing at the accrual they take back."""

    payee = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="royalty_entries"
    )
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="royalty_entries")
    order_line = models.ForeignKey(
        OrderLine, on_delete=models.PROTECT, null=True, blank=True, related_name="royalty_entries"
    )
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    amount = models.DecimalField(**LEDGER_MONEY)
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=255, blank=True)
    source_entry = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="refund_entries"
    )
    refund = models.ForeignKey(
        "payments.Refund", on_delete=models.PROTECT, null=True, blank=True, related_name="royalty_entries"
    )
    reversal = models.ForeignKey(
        "TransferReversal", on_delete=models.PROTECT, null=True, blank=True, related_name="royalty_entries"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["payee", "created_at"])]
        constraints = [
            # Accrual happens once per line and kind, whatever retries or duplicate events do.
            models.UniqueConstraint(
                fields=["order_line", "kind"],
                condition=Q(kind__in=[k.value for k in ACCRUAL_KINDS]),
                name="royalty_accrual_once_per_line_and_kind",
            ),
            models.UniqueConstraint(
                fields=["source_entry", "refund"],
                condition=Q(refund__isnull=False),
                name="royalty_refund_once_per_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount} {self.currency} (order {self.order_id})"


class TransferStatus(models.TextChoices):
    PENDING = "pending"
    # Claimed by the sender: the amount is frozen and Stripe may already hold the transfer.
    SENDING = "sending"
    SENT = "sent"
    # Nothing was due (under one cent after carries, or refunded before release): no Stripe call.
    SKIPPED = "skipped"


class Transfer(models.Model):
    """The one transfer per payee per order (`transfer_group` = the order)."""

    payee = models.ForeignKey(User, on_delete=models.PROTECT, related_name="royalty_transfers")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="royalty_transfers")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=TransferStatus.choices, default=TransferStatus.PENDING)
    idempotency_key = models.CharField(max_length=255, unique=True)
    stripe_transfer_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "payee"], name="transfer_one_per_payee_per_order")
        ]

    def __str__(self) -> str:
        return f"Transfer {self.pk}: {self.amount} to {self.payee} for order {self.order_id}"


class ReversalStatus(models.TextChoices):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"


class TransferReversal(models.Model):
    """Part of a transfer taken back: for a refund (ours), or reversed at Stripe by someone else."""

    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="reversals")
    refund = models.ForeignKey(
        "payments.Refund", on_delete=models.PROTECT, null=True, blank=True, related_name="transfer_reversals"
    )
    amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=10, choices=ReversalStatus.choices, default=ReversalStatus.PENDING)
    idempotency_key = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_reversal_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["transfer", "refund"],
                condition=Q(refund__isnull=False),
                name="reversal_one_per_refund",
            )
        ]

    def __str__(self) -> str:
        return f"Reversal of {self.amount} from transfer {self.transfer_id}"
