"""The order page's "order a swatch of this proof" button: a draft order for the swatch, paid on its own
order page through the usual checkout."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from marketplace import selectors
from marketplace.errors import Conflict, NotAllowed
from marketplace.models import (
    APPROVED_PROOF_STAGES,
    REFUNDED_STAGES,
    Order,
    OrderLine,
    OrderStatus,
)
from marketplace.services.swatches import order_line_swatch_order, swatch_size_among, swatch_sizes


@require_POST
@login_required
def order_line_swatch(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    order = get_object_or_404(selectors.order_list(buyer=request.user), pk=pk)  # type: ignore[arg-type]
    line = get_object_or_404(OrderLine, pk=line_pk, order=order)
    try:
        swatch = order_line_swatch_order(line=line, actor=request.user)  # type: ignore[arg-type]
    except (ValidationError, Conflict, NotAllowed) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
        return redirect("frontend:order", pk=pk)
    messages.success(
        request,
        "Your swatch of this proof is ready to pay for. Its price comes off the full-size print if you "
        "order it within the credit period.",
    )
    return redirect("frontend:order", pk=swatch.order.pk)


def swatch_offers(order: Order) -> dict[int, dict[str, Any]]:
    """By line id, what the order page offers for each approved proof: the swatch to order (its size and
    price), or the swatch order already made of it."""
    approved = [
        line
        for line in order.lines.all()
        if line.stage in APPROVED_PROOF_STAGES
        and line.product_size.product.is_physical
        and not line.product_size.is_swatch
        and line.swatch_of_id is None
    ]
    made = dict(
        OrderLine.objects.filter(swatch_of__in=approved)
        .exclude(order__status=OrderStatus.CANCELLED)
        .exclude(stage__in=REFUNDED_STAGES)
        .values_list("swatch_of_id", "order_id")
    )
    offers: dict[int, dict[str, Any]] = {}
    sizes = swatch_sizes() if approved else []
    for line in approved:
        size = swatch_size_among(sizes, product=line.product_size.product)
        if size is not None:
            offers[line.pk] = {"size": size, "order_id": made.get(line.pk)}
    return offers
