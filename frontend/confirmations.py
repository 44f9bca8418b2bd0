"""Actions that cannot be undone ask first, and say what will happen: a refund and its amount, that
printing starts, that buyers can no longer buy a style, that a buyer is refunded and told why.

One text per action, shown two ways. With JavaScript the form's button opens a <dialog> holding the
text (motif.js: `data-confirm`), and the dialog's "yes" submits the form with `confirm=yes`. Without
it the form posts as it is; the view refuses to act without `confirm=yes` and answers this same text
as a page whose button posts the form again, confirmed. Either way the server decides."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from marketplace.models import DerivativeApproval, Order, OrderLine, Style
from marketplace.royalties.selectors import royalty_paid_by_order_line

CONFIRM_FIELD = "confirm"
CONFIRM_VALUE = "yes"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Confirmation:
    # Unique on its page: the <dialog>'s id is `confirm-<key>`.
    key: str
    title: str
    consequences: str
    confirm_label: str
    # Where "go back" leads from the no-JavaScript confirmation page.
    back_url: str

    @property
    def dialog_id(self) -> str:
        return f"confirm-{self.key}"


def is_confirmed(request: HttpRequest) -> bool:
    return request.POST.get(CONFIRM_FIELD) == CONFIRM_VALUE


def ask_first(request: HttpRequest, confirmation: Confirmation) -> HttpResponse:
    """The confirmation page: the same words as the dialog, and the posted form again, confirmed."""
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", CONFIRM_FIELD)
        for value in values
    ]
    context = {"confirmation": confirmation, "action": request.path, "fields": fields}
    return render(request, "frontend/confirm.html", context)


def line_refunds(lines: Iterable[OrderLine]) -> dict[int, Decimal]:
    """What cancelling each line gives back, as the refund computes it (one query): the buyer's
    share of the order's total for the line (after any discount) plus the line's shipping. An order
    marked paid without a payment has no accruals; its line's price stands in."""
    lines = list(lines)
    paid = royalty_paid_by_order_line(order_line_ids=[line.pk for line in lines])
    return {
        line.pk: (paid.get(line.pk, Decimal("0")).quantize(CENT) or line.line_total) + line.shipping_amount
        for line in lines
    }


def _line_title(line: OrderLine) -> str:
    personalization = line.personalization
    style = personalization.style.title if personalization.style else "your own image"
    return f"“{personalization.base_pattern.title} × {style}” ({line.product_size})"


def line_cancel(order: Order, line: OrderLine, *, refund: Decimal) -> Confirmation:
    return Confirmation(
        key=f"cancel-{line.pk}",
        title="Cancel this item?",
        consequences=(
            f"{_line_title(line)} will not be printed. {refund} {order.currency} is refunded to your "
            "card: the item and its shipping. This cannot be undone."
        ),
        confirm_label=f"Cancel it and refund {refund} {order.currency}",
        back_url=reverse("frontend:order", args=[order.pk]),
    )


_PRINTING_STARTS = (
    "The print shop is sent the print sheet exactly as the proof shows it, and printing can start "
    "at once. You can no longer re-render {it}, and once printing starts you cannot cancel {it}."
)


def line_approve(order: Order, line: OrderLine) -> Confirmation:
    return Confirmation(
        key=f"approve-{line.pk}",
        title="Approve this proof for printing?",
        consequences=f"{_line_title(line)}: " + _PRINTING_STARTS.format(it="it"),
        confirm_label="Approve and print",
        back_url=reverse("frontend:order", args=[order.pk]),
    )


def order_approve_all(order: Order, lines: list[OrderLine]) -> Confirmation:
    titles = "; ".join(_line_title(line) for line in lines)
    many = len(lines) != 1
    return Confirmation(
        key="approve-all",
        title=f"Approve {'all ' + str(len(lines)) + ' proofs' if many else 'this proof'} for printing?",
        consequences=f"{titles}. " + _PRINTING_STARTS.format(it="them" if many else "it"),
        confirm_label=f"Approve {'all ' + str(len(lines)) if many else 'it'} and print",
        back_url=reverse("frontend:order", args=[order.pk]),
    )


def style_withdraw(style: Style) -> Confirmation:
    return Confirmation(
        key=f"withdraw-{style.pk}",
        title=f"Withdraw “{style.title}”?",
        consequences=(
            "Buyers lose access to it at once: it leaves the catalogue, and no one can personalize "
            "it, add it to a cart or check out with it. Orders already paid are still made, under "
            "the licence they were sold with. You can list it again later."
        ),
        confirm_label="Withdraw it",
        back_url=reverse("frontend:artist-studio"),
    )


def approval_decline(approval: DerivativeApproval, *, refund: Decimal) -> Confirmation:
    line = approval.order_line
    return Confirmation(
        key=f"decline-{approval.pk}",
        title="Decline this design?",
        consequences=(
            f"{_line_title(line)} will not be printed. The buyer is refunded {refund} "
            f"{line.order.currency} in full and sent your reason. This cannot be undone."
        ),
        confirm_label="Decline and refund the buyer",
        back_url=reverse("frontend:artist-studio") + "#approvals",
    )
