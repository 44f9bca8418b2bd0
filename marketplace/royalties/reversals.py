"""When a paid line is refunded, the royalties it accrued are reversed: held transfers shrink, sent ones are reversed at Stripe, once each."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from typing import Any

import stripe
from django.db import transaction
from django.utils import timezone

from marketplace.models import Order
from marketplace.payments.gateways import stripe_client, stripe_metadata
from marketplace.royalties import selectors
from marketplace.royalties.models import (
    ACCRUAL_KINDS,
    EntryKind,
    PayeeAccount,
    ReversalStatus,
    RoyaltyEntry,
    Transfer,
    TransferReversal,
    TransferStatus,
)
from marketplace.royalties.services import CENT, ZERO, cents, ledger_round, reversal_enqueue, transfer_enqueue


def _settle_after_refund(*, order: Order, payee_id: int, refund_id: int) -> TransferReversal | None:
    with transaction.atomic():
        PayeeAccount.objects.select_for_update().filter(user_id=payee_id).first()
        transfer = Transfer.objects.select_for_update().filter(order=order, payee_id=payee_id).first()
        if transfer is None or transfer.status == TransferStatus.SKIPPED:
            return None  # held or nothing paid: the negative entries just lower what is owed
        gap = selectors.payee_carry(payee_id=payee_id)
        if gap >= 0:
            return None
        take = min(
            (-gap).quantize(CENT, rounding=ROUND_CEILING), selectors.transfer_reversible(transfer=transfer)
        )
        if take <= 0:
            return None
        if transfer.status == TransferStatus.PENDING:
            # Not yet at Stripe: send less instead of sending and reversing. (Stripe may have refused
            # the larger amount because the charge was refunded first; the smaller one is sent again.)
            transfer.amount -= take
            if transfer.amount == 0:
                transfer.status = TransferStatus.SKIPPED
            transfer.save(update_fields=["amount", "status"])
            if transfer.status == TransferStatus.PENDING:
                transfer_enqueue(transfer.pk)
            return None
        reversal = TransferReversal.objects.create(
            transfer=transfer,
            refund_id=refund_id,
            amount=take,
            idempotency_key=f"motif-reversal-{transfer.pk}-{refund_id}",
        )
        if transfer.status == TransferStatus.SENT:
            reversal_enqueue(reversal.pk)
    return reversal


def royalty_line_paid(*, order_line_id: int) -> Decimal:
    """What the buyer paid for one line: the sum of its accruals (its share of the order's total)."""
    entries = RoyaltyEntry.objects.filter(order_line_id=order_line_id, kind__in=ACCRUAL_KINDS)
    return sum((entry.amount for entry in entries), ZERO)


def royalty_refund_apply(
    *,
    order: Order,
    refund_id: int,
    refunded_before: Decimal,
    refunded_after: Decimal,
    paid: Decimal,
    order_line_ids: list[int] | None = None,
    exclude_order_line_ids: list[int] | None = None,
) -> None:
    """Negative entries for the refunded fraction of every accrual in scope, then proportional
    reversals. The scope is the whole order, or only `order_line_ids` (a failed line's refund), less
    `exclude_order_line_ids` (lines refunded on their own already); `paid` and the refunded amounts
    are the scope's. Call inside the transaction that records the refund on the payment."""
    if paid <= 0:
        return
    scope = RoyaltyEntry.objects.filter(order=order, kind__in=ACCRUAL_KINDS)
    if order_line_ids is not None:
        scope = scope.filter(order_line_id__in=order_line_ids)
    if exclude_order_line_ids:
        scope = scope.exclude(order_line_id__in=exclude_order_line_ids)
    accruals = list(scope.order_by("pk"))
    takes = [
        ledger_round(accrual.amount * refunded_after / paid)
        - ledger_round(accrual.amount * refunded_before / paid)
        for accrual in accruals
    ]
    # Rounding each share can miss the refund by a few 1e-5; the platform's last share absorbs that,
    # so the entries add up to exactly what went back to the buyer.
    platform = [i for i, accrual in enumerate(accruals) if accrual.kind == EntryKind.PLATFORM_SHARE]
    if platform:
        takes[platform[-1]] += (refunded_after - refunded_before) - sum(takes, ZERO)
    negatives = []
    for accrual, take in zip(accruals, takes, strict=True):
        if take:
            negatives.append(
                RoyaltyEntry(
                    payee_id=accrual.payee_id,
                    order=order,
                    order_line_id=accrual.order_line_id,
                    kind=EntryKind.REFUND,
                    amount=-take,
                    currency=accrual.currency,
                    description=f"Refund of {accrual.get_kind_display().lower()}, order {order.pk}",
                    source_entry=accrual,
                    refund_id=refund_id,
                )
            )
    RoyaltyEntry.objects.bulk_create(negatives)
    for payee_id in sorted({e.payee_id for e in negatives if e.payee_id is not None}):
        _settle_after_refund(order=order, payee_id=payee_id, refund_id=refund_id)


def _existing_stripe_reversal(client: stripe.StripeClient, reversal: TransferReversal) -> Any | None:
    listing = client.v1.transfers.reversals.list(
        reversal.transfer.stripe_transfer_id or "", params={"limit": 100}
    )
    for candidate in listing.data:
        if stripe_metadata(candidate).get("motif_reversal") == str(reversal.pk):
            return candidate
    return None


def royalty_reversal_send(*, reversal_id: int) -> TransferReversal:
    """Send a reversal once its transfer is at Stripe; safe to repeat (claimed first, keyed)."""
    with transaction.atomic():
        reversal = (
            TransferReversal.objects.select_for_update(of=("self",))
            .select_related("transfer")
            .get(pk=reversal_id)
        )
        if reversal.status == ReversalStatus.SENT or reversal.transfer.status != TransferStatus.SENT:
            return reversal  # the transfer's sender enqueues it once the transfer exists
        resumed = reversal.status == ReversalStatus.SENDING
        reversal.status = ReversalStatus.SENDING
        reversal.save(update_fields=["status"])
    client = stripe_client()
    sent = _existing_stripe_reversal(client, reversal) if resumed else None
    if sent is None:
        sent = client.v1.transfers.reversals.create(
            reversal.transfer.stripe_transfer_id or "",
            params={"amount": cents(reversal.amount), "metadata": {"motif_reversal": str(reversal.pk)}},
            options={"idempotency_key": reversal.idempotency_key or f"motif-reversal-{reversal.pk}"},
        )
    with transaction.atomic():
        reversal = TransferReversal.objects.select_for_update().get(pk=reversal_id)
        if reversal.status != ReversalStatus.SENT:
            reversal.status = ReversalStatus.SENT
            reversal.stripe_reversal_id = sent.id
            reversal.sent_at = timezone.now()
            reversal.save(update_fields=["status", "stripe_reversal_id", "sent_at"])
    return reversal


def royalty_transfer_reversals_sync(
    *, stripe_transfer_id: str, reversals: list[Any]
) -> list[TransferReversal]:
    """`transfer.reversed`: adopt our own reversals (a crash may have lost their id) and book any
    reversal made outside Motif as the payee's loss and the platform's gain."""
    booked: list[TransferReversal] = []
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().filter(stripe_transfer_id=stripe_transfer_id).first()
        if transfer is None:
            return booked
        PayeeAccount.objects.select_for_update().filter(user_id=transfer.payee_id).first()
        for item in reversals:
            if TransferReversal.objects.filter(stripe_reversal_id=item.id).exists():
                continue
            ours = stripe_metadata(item).get("motif_reversal")
            if ours:
                TransferReversal.objects.filter(
                    pk=int(ours), transfer=transfer, stripe_reversal_id=None
                ).update(stripe_reversal_id=item.id, status=ReversalStatus.SENT, sent_at=timezone.now())
                continue
            amount = Decimal(item.amount) / 100
            reversal = TransferReversal.objects.create(
                transfer=transfer,
                amount=amount,
                status=ReversalStatus.SENT,
                stripe_reversal_id=item.id,
                sent_at=timezone.now(),
            )
            for payee_id, signed in ((transfer.payee_id, -amount), (None, amount)):
                RoyaltyEntry.objects.create(
                    payee_id=payee_id,
                    order_id=transfer.order_id,
                    kind=EntryKind.TRANSFER_REVERSED,
                    amount=signed,
                    currency=transfer.currency,
                    description=f"Transfer {stripe_transfer_id} reversed at Stripe",
                    reversal=reversal,
                )
            booked.append(reversal)
    return booked
