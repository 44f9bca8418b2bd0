"""What an order's status says to its buyer, and what the order is waiting for: one function for the
order page, "My orders" and the API's `status_display`.

The stored `Order.status` is refreshed when a fulfilment step returns, so it can still say `paid`
while the first line is already rendering (the step moves its own line, not the order). The
display therefore derives the status from the lines as they are now, with the same rule the
workflow uses (`order_status_from_lines`), and never reads "Paid" while work runs."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.models import UNFINISHED_STAGES, LineStage, Order, OrderLine, OrderStatus
from marketplace.services.fulfilment import order_status_from_lines

STATUS_LABELS: dict[str, str] = {
    OrderStatus.DRAFT: "Not paid",
    OrderStatus.AWAITING_PAYMENT: "Awaiting payment",
    OrderStatus.PAID: "Paid",
    OrderStatus.RENDERING: "In production: rendering",
    OrderStatus.PROOF_READY: "Proof ready",
    OrderStatus.APPROVED: "Approved",
    OrderStatus.IN_PRODUCTION: "In production: printing",
    OrderStatus.SHIPPED: "Shipped",
    OrderStatus.READY: "Files ready",
    OrderStatus.NEEDS_ATTENTION: "Needs attention",
    OrderStatus.FULFILLED: "Complete",
    OrderStatus.CANCELLED: "Cancelled",
    OrderStatus.REFUNDED: "Refunded",
}
AWAITING_ARTIST_LABEL = "Waiting for the artist's approval"

WAITING_FOR: dict[str, str] = {
    OrderStatus.DRAFT: "Waiting for checkout",
    OrderStatus.AWAITING_PAYMENT: "Waiting for your payment",
    OrderStatus.PAID: "Queued for the renderer",
    OrderStatus.PROOF_READY: "Waiting for your proof approval",
    OrderStatus.APPROVED: "Waiting for the print shop",
    OrderStatus.IN_PRODUCTION: "Being printed",
    OrderStatus.SHIPPED: "Shipped — track your parcel",
    OrderStatus.READY: "Your files are ready to download",
    OrderStatus.NEEDS_ATTENTION: "An item could not be made and was refunded; our staff are on it",
    OrderStatus.FULFILLED: "Everything is delivered",
    OrderStatus.CANCELLED: "This order was cancelled",
    OrderStatus.REFUNDED: "This order was refunded",
}


@dataclass(frozen=True)
class Tracking:
    carrier: str
    number: str
    url: str | None


@dataclass(frozen=True)
class OrderDisplay:
    # The status the lines say the order is in now: an `OrderStatus` value.
    status: str
    label: str
    # What happens next, or what the order waits for, as a sentence.
    waiting_for: str
    # The first working line's render progress (0–100) while the order renders, else None.
    progress: int | None
    tracking: tuple[Tracking, ...]


def _shipments(lines: list[OrderLine]) -> tuple[Tracking, ...]:
    jobs = [getattr(line, "production_job", None) for line in lines if line.stage == LineStage.SHIPPED]
    return tuple(
        Tracking(carrier=job.carrier, number=job.tracking_number, url=job.tracking_url)
        for job in jobs
        if job is not None and job.shipped_at is not None
    )


def order_display(*, order: Order) -> OrderDisplay:
    """Reads `order.lines.all()`, so an order from `selectors.order_list` costs no query."""
    lines = list(order.lines.all())
    status = order_status_from_lines(current=order.status, stages=[line.stage for line in lines])
    label = STATUS_LABELS.get(status, status)
    waiting_for = WAITING_FOR.get(status, "")
    progress = None
    if status == OrderStatus.RENDERING:
        unfinished = [line for line in lines if line.stage in UNFINISHED_STAGES]
        # The first line a worker has taken, else the first still queued.
        working = next((line for line in unfinished if line.stage != LineStage.QUEUED), unfinished[0])
        progress = working.render_progress
        waiting_for = f"Rendering the print files: {progress} %"
    elif status == OrderStatus.PROOF_READY and not any(line.stage == LineStage.PROOF_READY for line in lines):
        # Only the artist's approval is pending: the buyer has no proof to review yet.
        label = waiting_for = AWAITING_ARTIST_LABEL
    tracking = _shipments(lines) if status in (OrderStatus.SHIPPED, OrderStatus.FULFILLED) else ()
    if status == OrderStatus.FULFILLED and tracking:
        waiting_for = "Shipped — track your parcel"
    return OrderDisplay(
        status=status, label=label, waiting_for=waiting_for, progress=progress, tracking=tracking
    )
