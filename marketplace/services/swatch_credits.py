"""The credit of a paid swatch's price against an order for the full-size print of the same design
(see `marketplace.services.swatches`): worked out for the cart, bound to an order at checkout."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.utils import timezone

from marketplace.models import Order, OrderLine, ProductSize, User
from marketplace.selectors import swatch_credits_open


def swatch_credit_allocate(
    *, credits: Sequence[OrderLine], full_size_totals: dict[int, Decimal]
) -> list[tuple[OrderLine, Decimal]]:
    """Each credit with the amount it takes off: its swatch's goods price, at most what is left of the
    full-size lines of the same personalization (`full_size_totals`, by personalization id)."""
    left = dict(full_size_totals)
    taken = []
    for credit in credits:
        amount = min(credit.line_total, left.get(credit.personalization_id, Decimal("0")))
        if amount > 0:
            left[credit.personalization_id] -= amount
            taken.append((credit, amount))
    return taken


def full_size_totals(lines: Iterable[tuple[int, ProductSize, Decimal]]) -> dict[int, Decimal]:
    """Goods totals by personalization id of the (personalization id, size, total) lines that are not swatches."""
    totals: dict[int, Decimal] = {}
    for personalization_id, size, total in lines:
        if not size.is_swatch:
            totals[personalization_id] = totals.get(personalization_id, Decimal("0")) + total
    return totals


def order_swatch_credits_apply(*, order: Order) -> Decimal:
    """Call inside checkout, with the order locked: binds the open swatch credits to this order and
    returns the discount they come to. A checkout made again (after a declined payment) decides again."""
    totals = full_size_totals(
        (line.personalization_id, line.product_size, line.line_total)
        for line in order.lines.select_related("product_size")
    )
    OrderLine.objects.filter(swatch_credit_order=order).update(swatch_credit_order=None)
    if not totals:
        return Decimal("0")
    now = timezone.now()

    def open_credits() -> list[OrderLine]:
        return list(swatch_credits_open(buyer=order.buyer, personalization_ids=totals, at=now, order=order))

    candidates = [credit.pk for credit in open_credits()]
    # Lock, then read again: a checkout that took one of them while we waited has committed by now.
    list(OrderLine.objects.select_for_update().filter(pk__in=candidates).order_by("pk"))
    credits = [credit for credit in open_credits() if credit.pk in candidates]
    taken = swatch_credit_allocate(credits=credits, full_size_totals=totals)
    for credit, _amount in taken:
        credit.swatch_credit_order = order
    OrderLine.objects.bulk_update([credit for credit, _ in taken], ["swatch_credit_order"])
    return sum((amount for _, amount in taken), Decimal("0"))


def swatch_credit_preview(*, buyer: User, lines: Iterable[tuple[int, ProductSize, Decimal]]) -> Decimal:
    """What the buyer's open swatch credits would take off an order of these (personalization id, size,
    goods total) lines if it were checked out now: the cart shows it, checkout decides it."""
    totals = full_size_totals(lines)
    if not totals:
        return Decimal("0")
    credits = list(swatch_credits_open(buyer=buyer, personalization_ids=totals, at=timezone.now()))
    return sum(
        (amount for _, amount in swatch_credit_allocate(credits=credits, full_size_totals=totals)),
        Decimal("0"),
    )
