"""Reads over the royalty ledger: a payee's position (what they earned, were paid, have held), their
statement, and the gap between ledger and transfers that the rounding rule works on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Sum

from marketplace.models import User
from marketplace.royalties.models import (
    ACCRUAL_KINDS,
    PayeeAccount,
    RoyaltyEntry,
    Transfer,
    TransferReversal,
    TransferStatus,
)

ZERO = Decimal("0")
LEDGER_PLACES = Decimal("0.00001")


def _sum(qs: QuerySet[Any], field: str = "amount") -> Decimal:
    # SQLite adds decimals as floats; every amount has at most 5 places, so quantizing restores the
    # exact sum (PostgreSQL's numeric is exact already).
    total = qs.aggregate(total=Sum(field))["total"] or ZERO
    return Decimal(total).quantize(LEDGER_PLACES)


def payee_settled_ledger(*, payee_id: int) -> Decimal:
    """The payee's ledger over the orders that have their transfer decided (a Transfer row, even a
    skipped one). Orders without one are held."""
    settled = Exists(Transfer.objects.filter(order_id=OuterRef("order_id"), payee_id=payee_id))
    return _sum(RoyaltyEntry.objects.filter(payee_id=payee_id).filter(settled))


def payee_order_ledger(*, payee_id: int, order_id: int) -> Decimal:
    return _sum(RoyaltyEntry.objects.filter(payee_id=payee_id, order_id=order_id))


def payee_net_transferred(*, payee_id: int) -> Decimal:
    """Transfers decided (pending, in flight or sent) less every reversal taken from them."""
    transfers = _sum(Transfer.objects.filter(payee_id=payee_id))
    reversals = _sum(TransferReversal.objects.filter(transfer__payee_id=payee_id))
    return transfers - reversals


def payee_carry(*, payee_id: int) -> Decimal:
    """Settled ledger minus transfers: the sub-cent remainder carried into the next transfer."""
    return payee_settled_ledger(payee_id=payee_id) - payee_net_transferred(payee_id=payee_id)


def transfer_reversible(*, transfer: Transfer) -> Decimal:
    return transfer.amount - _sum(transfer.reversals.all())


@dataclass(frozen=True)
class PayeePosition:
    earned: Decimal  # the whole ledger: accruals less refunds and reversals
    paid: Decimal  # sent transfers less sent reversals
    pending: Decimal  # transfers decided but not yet confirmed by Stripe, net of their reversals
    held: Decimal  # earnings waiting for a finished Connect onboarding
    carried: Decimal  # the sub-cent remainder that goes into the next transfer
    currency: str
    payouts_enabled: bool
    stripe_account: bool


def payee_position(*, payee: User) -> PayeePosition:
    entries = RoyaltyEntry.objects.filter(payee=payee)
    earned = _sum(entries)
    settled = payee_settled_ledger(payee_id=payee.pk)
    sent = _sum(Transfer.objects.filter(payee=payee, status=TransferStatus.SENT)) - _sum(
        TransferReversal.objects.filter(transfer__payee=payee, transfer__status=TransferStatus.SENT)
    )
    net = payee_net_transferred(payee_id=payee.pk)
    account = PayeeAccount.objects.filter(user=payee).first()
    currency = entries.values_list("currency", flat=True).first() or "USD"
    return PayeePosition(
        earned=earned,
        paid=sent,
        pending=net - sent,
        held=earned - settled,
        carried=settled - net,
        currency=currency,
        payouts_enabled=bool(account and account.payouts_enabled),
        stripe_account=bool(account and account.stripe_account_id),
    )


def royalty_entries(*, payee: User) -> QuerySet[RoyaltyEntry]:
    return (
        RoyaltyEntry.objects.filter(payee=payee).select_related("order_line").order_by("-created_at", "-id")
    )


def royalty_totals_by_order_line(*, payee: User) -> dict[int, Decimal]:
    """The payee's ledger total per order line (accruals less refunds), for the lines that have any."""
    rows = (
        RoyaltyEntry.objects.filter(payee=payee, order_line__isnull=False)
        .values("order_line_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {row["order_line_id"]: Decimal(row["total"]).quantize(LEDGER_PLACES) for row in rows}


def royalty_paid_by_order_line(*, order_line_ids: list[int]) -> dict[int, Decimal]:
    """What the buyer paid for each line (the sum of its accruals: its share of the order's total,
    as `royalty_line_paid` reads it for one line), in one query; lines without accruals are absent."""
    rows = (
        RoyaltyEntry.objects.filter(order_line_id__in=order_line_ids, kind__in=ACCRUAL_KINDS)
        .values("order_line_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {row["order_line_id"]: Decimal(row["total"]) for row in rows}


def royalty_month(*, payee: User, month: dt.date) -> tuple[QuerySet[RoyaltyEntry], QuerySet[Transfer]]:
    """The payee's ledger entries and transfers made in a calendar month (UTC)."""
    start = dt.datetime(month.year, month.month, 1, tzinfo=dt.UTC)
    end = dt.datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=dt.UTC)
    entries = RoyaltyEntry.objects.filter(payee=payee, created_at__gte=start, created_at__lt=end).order_by(
        "created_at", "id"
    )
    transfers = (
        Transfer.objects.filter(payee=payee, created_at__gte=start, created_at__lt=end)
        .exclude(status=TransferStatus.SKIPPED)
        .prefetch_related("reversals")
        .order_by("created_at", "id")
    )
    return entries, transfers


def artist_earnings(*, artist: User) -> dict[str, Any]:
    """The figures the artist studio page shows, from the ledger (the front end's seam)."""
    entries = list(
        RoyaltyEntry.objects.filter(payee=artist)
        # The studio's table names each entry's line, its licence version, style and product size.
        .select_related(
            "order",
            "order_line__order",
            "order_line__licence_version",
            "order_line__personalization__style",
            "order_line__personalization__base_pattern",
            "order_line__product_size__product",
        )
        .order_by("created_at", "id")
    )
    position = payee_position(payee=artist)
    rows = [
        {"line": e.order_line, "amount": e.amount, "kind": e.kind, "entry": e}
        for e in entries
        if e.order_line is not None
    ]
    return {
        "source": "ledger",
        "rows": rows,
        "uses": len({e.order_line_id for e in entries if e.kind == "style_fee"}),
        "earned": position.earned,
        "balance": position.earned - position.paid,
        "paid": position.paid,
        "held": position.held,
        "currency": position.currency,
        "points": [(e.created_at, e.amount) for e in entries],
    }
