"""The royalty ledger and the Connect transfers that pay it out.

Rounding rule
-------------
* Ledger entries keep 5 decimal places (ROUND_HALF_EVEN). For each paid order line the amount the
  buyer actually paid is the line's share of the order total (discounts allocated in proportion to
  line totals; the last line takes the allocation's remainder, so the lines add up to the total
  exactly). The artist earns the style's fee per use plus the artist's percent of that amount, the
  designer earns the designer's percent, and the platform keeps the exact rest (the fee is capped so
  the platform's share is never negative).
* A refund takes back the same fraction of every accrual: entry × refunded-so-far ÷ paid, rounded to
  5 places, less what earlier refunds took; the platform's share absorbs the few 1e-5 that rounding
  leaves, so a refund's entries add up to exactly the amount refunded. A full refund therefore
  cancels each accrual exactly.
* Transfers are whole cents. Per payee, a new transfer pays floor-to-the-cent of
  (ledger of the payee's settled orders, this one included) − (net transfers so far). A refund
  reverses ceiling-to-the-cent of any overpayment that the negative entries create, taken from that
  order's transfer and never more than is left of it. So the payee's sub-cent remainder
  (ledger − transfers) stays in [0, 1¢) and is carried into their next transfer instead of vanishing;
  only when an order's transfer has nothing left to reverse can it dip below zero, by under a cent,
  and the next transfer is then that much smaller.

A payee whose Connect onboarding is not finished accrues a held balance: their orders get no transfer
until `account.updated` says Stripe lets us pay them; then each held order is paid in one transfer
(still one per payee per order, with its charge as `source_transaction`).
"""

from __future__ import annotations

import logging
from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any

import stripe
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from marketplace.models import Order, OrderLine, User
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
from marketplace.royalties.tasks import royalty_reversal_send_task, royalty_transfer_send_task

log = logging.getLogger(__name__)

LEDGER_PLACES = Decimal("0.00001")
CENT = Decimal("0.01")
ZERO = Decimal("0")
HUNDRED = Decimal("100")


def ledger_round(amount: Decimal) -> Decimal:
    return amount.quantize(LEDGER_PLACES, rounding=ROUND_HALF_EVEN)


def cents(amount: Decimal) -> int:
    """Whole cents for Stripe; callers pass amounts that are already whole cents."""
    return int((amount * 100).to_integral_value())


def transfer_group(order_id: int) -> str:
    return f"order-{order_id}"


# --- accrual -----------------------------------------------------------------------------------------


def _lines_paid(lines: list[OrderLine], *, subtotal: Decimal, paid: Decimal) -> list[Decimal]:
    if not lines:
        return []
    if subtotal <= 0:
        return [ZERO for _ in lines]
    shares = [ledger_round(line.line_total * paid / subtotal) for line in lines[:-1]]
    return [*shares, paid - sum(shares, ZERO)]


def royalty_accrue(*, order: Order, paid: Decimal) -> list[RoyaltyEntry]:
    """Write the ledger for a paid order. Call it inside the transaction that marks the payment paid;
    a second call for the same order writes nothing (and the unique constraint backs that up)."""
    if RoyaltyEntry.objects.filter(order=order, kind__in=ACCRUAL_KINDS).exists():
        return []
    lines = list(
        order.lines.select_related("licence_version__style", "personalization__base_pattern").order_by("pk")
    )
    entries: list[RoyaltyEntry] = []
    for line, line_paid in zip(lines, _lines_paid(lines, subtotal=order.subtotal, paid=paid), strict=True):
        designer = line.personalization.base_pattern.designer_id
        artist = line.licence_version.style.artist_id if line.licence_version is not None else None
        artist_royalty = ledger_round(line_paid * line.artist_royalty_percent / HUNDRED) if artist else ZERO
        designer_royalty = ledger_round(line_paid * line.designer_royalty_percent / HUNDRED)
        fee = min(line.style_fee, line_paid - artist_royalty - designer_royalty) if artist else ZERO
        fee = max(fee, ZERO)
        platform = line_paid - fee - artist_royalty - designer_royalty

        def entry(
            payee_id: int | None, kind: EntryKind, amount: Decimal, description: str, line: OrderLine = line
        ) -> None:
            entries.append(
                RoyaltyEntry(
                    payee_id=payee_id,
                    order=order,
                    order_line=line,
                    kind=kind,
                    amount=amount,
                    currency=order.currency,
                    description=description,
                )
            )

        where = f"order {order.pk}, line {line.pk}"
        if artist is not None:
            entry(artist, EntryKind.STYLE_FEE, fee, f"Style fee per use, {where}")
            entry(
                artist,
                EntryKind.ARTIST_ROYALTY,
                artist_royalty,
                f"{line.artist_royalty_percent} % of {line_paid} paid, {where}",
            )
        entry(
            designer,
            EntryKind.DESIGNER_ROYALTY,
            designer_royalty,
            f"{line.designer_royalty_percent} % of {line_paid} paid, {where}",
        )
        entry(None, EntryKind.PLATFORM_SHARE, platform, f"Platform share, {where}")
    RoyaltyEntry.objects.bulk_create(entries)
    for payee_id in {e.payee_id for e in entries if e.payee_id is not None}:
        PayeeAccount.objects.get_or_create(user_id=payee_id)
    return entries


# --- transfers ---------------------------------------------------------------------------------------


def transfer_enqueue(transfer_id: int) -> None:
    transaction.on_commit(lambda: royalty_transfer_send_task.send(transfer_id))


def reversal_enqueue(reversal_id: int) -> None:
    transaction.on_commit(lambda: royalty_reversal_send_task.send(reversal_id))


def _transfer_decide(*, order: Order, payee_id: int) -> Transfer | None:
    """Create the payee's one Transfer for the order, if they can be paid and have none yet."""
    with transaction.atomic():
        # The payee's row serialises every decision about their money, so the carry is computed once.
        account = PayeeAccount.objects.select_for_update().filter(user_id=payee_id).first()
        if account is None or not account.payouts_enabled or not account.stripe_account_id:
            return None  # held
        if Transfer.objects.filter(order=order, payee_id=payee_id).exists():
            return None
        owed = (
            selectors.payee_settled_ledger(payee_id=payee_id)
            + selectors.payee_order_ledger(payee_id=payee_id, order_id=order.pk)
            - selectors.payee_net_transferred(payee_id=payee_id)
        )
        amount = owed.quantize(CENT, rounding=ROUND_FLOOR) if owed > 0 else ZERO
        payee = User.objects.only("public_id").get(pk=payee_id)
        transfer = Transfer.objects.create(
            payee_id=payee_id,
            order=order,
            amount=amount,
            currency=order.currency,
            status=TransferStatus.PENDING if amount > 0 else TransferStatus.SKIPPED,
            # Derived from (order, payee): a retry after a crash replays the same Stripe transfer.
            idempotency_key=f"motif-transfer-{order.pk}-{payee.public_id}",
        )
        if transfer.status == TransferStatus.PENDING:
            transfer_enqueue(transfer.pk)
    return transfer


def royalty_transfers_decide(*, order: Order) -> list[Transfer]:
    """After payment: one transfer per payee whose payouts are enabled; the others are held."""
    payee_ids = sorted(
        set(RoyaltyEntry.objects.filter(order=order, payee__isnull=False).values_list("payee_id", flat=True))
    )
    decided = [_transfer_decide(order=order, payee_id=payee_id) for payee_id in payee_ids]
    return [t for t in decided if t is not None]


def royalty_held_release(*, payee_id: int) -> list[Transfer]:
    """Pay every held order of a payee whose onboarding has finished, oldest first, and resend any
    transfer that Stripe refused while their account was not enabled."""
    held_orders = (
        Order.objects.filter(pk__in=RoyaltyEntry.objects.filter(payee_id=payee_id).values("order_id"))
        .exclude(Exists(Transfer.objects.filter(order_id=OuterRef("pk"), payee_id=payee_id)))
        .order_by("pk")
    )
    released = [_transfer_decide(order=order, payee_id=payee_id) for order in held_orders]
    waiting = Transfer.objects.filter(
        payee_id=payee_id, status__in=[TransferStatus.PENDING, TransferStatus.SENDING]
    ).values_list("pk", flat=True)
    with transaction.atomic():
        for transfer_id in waiting:
            transfer_enqueue(transfer_id)
    return [t for t in released if t is not None]


def _charge_for(order_id: int) -> str:
    from marketplace.payments.selectors import payment_charge_id

    return payment_charge_id(order_id=order_id)


def _existing_stripe_transfer(client: stripe.StripeClient, transfer: Transfer) -> Any | None:
    """After an unknown outcome, find a transfer Stripe already made for this row (idempotency keys
    expire after a day; the metadata does not)."""
    listing = client.v1.transfers.list(
        params={"transfer_group": transfer_group(transfer.order_id), "limit": 100}
    )
    for candidate in listing.data:
        if stripe_metadata(candidate).get("motif_transfer") == str(transfer.pk):
            return candidate
    return None


def royalty_transfer_send(*, transfer_id: int) -> Transfer:
    """Send a decided transfer to Stripe. Safe to run twice or after a crash: the row is claimed
    (SENDING, amount frozen) before the call, and the call carries the (order, payee) key."""
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().get(pk=transfer_id)
        if transfer.status not in (TransferStatus.PENDING, TransferStatus.SENDING):
            return transfer
        account = PayeeAccount.objects.get(user_id=transfer.payee_id)
        if not account.payouts_enabled or not account.stripe_account_id:
            return transfer  # waits for account.updated
        resumed = transfer.status == TransferStatus.SENDING
        transfer.status = TransferStatus.SENDING
        transfer.save(update_fields=["status"])
    client = stripe_client()
    sent = _existing_stripe_transfer(client, transfer) if resumed else None
    if sent is None:
        params: Any = {
            "amount": cents(transfer.amount),
            "currency": transfer.currency.lower(),
            "destination": account.stripe_account_id,
            "transfer_group": transfer_group(transfer.order_id),
            "description": f"Motif royalties for order {transfer.order_id}",
            "metadata": {"motif_transfer": str(transfer.pk), "order": str(transfer.order_id)},
        }
        charge = _charge_for(transfer.order_id)
        if charge:
            params["source_transaction"] = charge
        try:
            sent = client.v1.transfers.create(
                params=params, options={"idempotency_key": transfer.idempotency_key}
            )
        except stripe.InvalidRequestError as exc:
            # Refused (the account lost its transfers capability, say): Stripe kept nothing under the
            # key, so the transfer goes back to pending and is resent when the account is enabled.
            with transaction.atomic():
                Transfer.objects.filter(pk=transfer.pk, status=TransferStatus.SENDING).update(
                    status=TransferStatus.PENDING, last_error=str(exc.user_message or exc)[:2000]
                )
            log.warning("Stripe refused transfer %s: %s", transfer.pk, exc)
            transfer.refresh_from_db()
            return transfer
    with transaction.atomic():
        transfer = Transfer.objects.select_for_update().get(pk=transfer_id)
        if transfer.status == TransferStatus.SENDING:
            transfer.status = TransferStatus.SENT
            transfer.stripe_transfer_id = sent.id
            transfer.sent_at = timezone.now()
            transfer.last_error = ""
            transfer.save(update_fields=["status", "stripe_transfer_id", "sent_at", "last_error"])
        for reversal_id in transfer.reversals.exclude(status=ReversalStatus.SENT).values_list(
            "pk", flat=True
        ):
            reversal_enqueue(reversal_id)
    return transfer


def royalty_payouts_requeue() -> dict[str, int]:
    """Re-enqueue every transfer and reversal not yet confirmed by Stripe, for start-up: a process
    that died between a commit and its enqueue leaves them in the database only."""
    transfers = list(
        Transfer.objects.filter(status__in=[TransferStatus.PENDING, TransferStatus.SENDING]).values_list(
            "pk", flat=True
        )
    )
    reversals = list(
        TransferReversal.objects.exclude(status=ReversalStatus.SENT)
        .filter(transfer__status=TransferStatus.SENT)
        .values_list("pk", flat=True)
    )
    for transfer_id in transfers:
        royalty_transfer_send_task.send(transfer_id)
    for reversal_id in reversals:
        royalty_reversal_send_task.send(reversal_id)
    return {"transfers": len(transfers), "reversals": len(reversals)}


# --- refunds and reversals -----------------------------------------------------------------------------


# --- Connect onboarding ------------------------------------------------------------------------------
