"""The licence terms that decide whether a sale may go ahead: substrate, term of validity, revenue
ceiling and territory. Order creation and checkout call these; each refusal names its term, so the
API answers 400 with the term as the field (`{"allowed_substrates": [...]}`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from marketplace.models import PAID_STATUSES, LicenceVersion, LineStage, OrderLine, OrderStatus, Style
from marketplace.royalties.models import EntryKind, RoyaltyEntry


class LicenceTermRefused(ValidationError):
    """A licence term forbids the sale; `term` is the term's field name."""

    def __init__(self, term: str, message: str) -> None:
        super().__init__({term: [message]})
        self.term = term
        self.reason = message


def _title(licence: LicenceVersion) -> str:
    return licence.style.title


def licence_check_substrate(*, licence: LicenceVersion, substrate: str) -> None:
    if not licence.covers_substrate(substrate):
        allowed = ", ".join(s.replace("_", " ") for s in sorted(licence.allowed_substrates))
        raise LicenceTermRefused(
            "allowed_substrates",
            f"the licence of “{_title(licence)}” does not allow printing on {substrate.replace('_', ' ')} "
            f"(it allows: {allowed}).",
        )


def licence_check_valid(*, licence: LicenceVersion, on: dt.date | None = None) -> None:
    today = on or timezone.localdate()
    if licence.valid_until is not None and today > licence.valid_until:
        raise LicenceTermRefused(
            "valid_until",
            f"the licence of “{_title(licence)}” ran until {licence.valid_until.isoformat()} and sells no more.",
        )


def licence_fees_committed(*, style: Style) -> Decimal:
    """The style fees the style has earned (the royalty ledger, net of refunds) plus those of open
    checkouts, which the ledger will book once they are paid. Across all its licence versions."""
    booked = RoyaltyEntry.objects.filter(
        Q(kind=EntryKind.STYLE_FEE) | Q(kind=EntryKind.REFUND, source_entry__kind=EntryKind.STYLE_FEE),
        order_line__licence_version__style=style,
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    reserved = OrderLine.objects.filter(
        licence_version__style=style, order__status=OrderStatus.AWAITING_PAYMENT
    ).aggregate(total=Sum("style_fee"))["total"] or Decimal("0")
    return Decimal(booked) + Decimal(reserved)


def licence_check_revenue(*, licence: LicenceVersion) -> None:
    """The licence stops selling once its style's fees reach the ceiling (the sale that crosses it
    goes through). Checkout calls this under the style's row lock, so open checkouts count."""
    if licence.revenue_ceiling is None:
        return
    if licence_fees_committed(style=licence.style) >= licence.revenue_ceiling:
        raise LicenceTermRefused(
            "revenue_ceiling",
            f"the licence of “{_title(licence)}” has reached its revenue ceiling of "
            f"{licence.revenue_ceiling} {licence.currency} and sells no more.",
        )


def licence_check_territory(*, licence: LicenceVersion, country: str) -> None:
    """`country` is where the goods ship to (a digital file: the buyer's country), ISO 3166-1 alpha-2."""
    if not licence.covers_territory(country):
        allowed = ", ".join(sorted(licence.territories))
        raise LicenceTermRefused(
            "territories",
            f"the licence of “{_title(licence)}” does not cover {country.upper()} (it covers: {allowed}).",
        )


def licence_check_sale(*, licence: LicenceVersion, substrate: str) -> None:
    """Every term that needs no shipping address: what adding a line and checking out both ask."""
    licence_check_substrate(licence=licence, substrate=substrate)
    licence_check_valid(licence=licence)
    licence_check_revenue(licence=licence)


# --- edition uses ------------------------------------------------------------------------------------

# An order's lines hold their edition uses from checkout until the order is abandoned, cancelled or
# refunded; a cancelled line gives its own use back. A failed line keeps its use: staff may render
# it again.
EDITION_HOLDING_STATUSES: tuple[str, ...] = (OrderStatus.AWAITING_PAYMENT, *PAID_STATUSES)


def edition_lines_holding(*, style_id: int) -> QuerySet[OrderLine]:
    """The lines that hold one of the style's edition uses, whichever licence version sold them."""
    return OrderLine.objects.filter(
        licence_version__style_id=style_id, order__status__in=EDITION_HOLDING_STATUSES
    ).exclude(stage=LineStage.CANCELLED)


def edition_uses_recount(*, style_ids: Iterable[int]) -> None:
    """Set each style's `uses_taken` to the number of lines holding one of its uses.

    Call it in the transaction that changed an order's status or cancelled a line, after that
    change. `uses_taken` is derived, never added to or taken from, so a use is given back once, by
    the line that held it, however many services (a line's cancel, the refund that follows, the
    order's refund) act on the same line. The style rows are locked in id order: checkout counts
    under the same locks, and whoever takes a lock last counts every change committed before it."""
    with transaction.atomic():
        for style in Style.objects.select_for_update().filter(pk__in=set(style_ids)).order_by("pk"):
            taken = edition_lines_holding(style_id=style.pk).count()
            if taken != style.uses_taken:
                style.uses_taken = taken
                style.save(update_fields=["uses_taken"])
