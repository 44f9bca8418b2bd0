"""Swatches of approved proofs, and the credit of a swatch's price against the full-size print.

A swatch is an order like any other: the licence checks of `order_create`, payment through the
order's checkout, the style fee and royalties of a line, a print shop's production job. Two things
differ. Its print sheet is not rendered: the render step cuts it from the approved line's sheet at
the swatch's size (`stylization.steps`). And its proof approves itself when its files are made,
because its pixels are those of a proof the buyer (and the artist, where the licence asks) has
approved already; showing the buyer the same pixels again would only delay the piece they asked for.

One swatch per approved proof: a second piece of the same pixels adds nothing, and its credit would
stack. While the swatch order is unpaid, asking again returns that order; once it is paid, asking
again is a conflict. A cancelled swatch order frees the proof for another.

The credit: a buyer who checks out an order with a line of the same personalization at a size that is
not a swatch, within SWATCH_CREDIT_DAYS of paying for the swatch, has the swatch's goods price taken
off that order (`Order.discount`), at most the price of those lines. The swatch line records the order
it was credited to, under its row lock, so it is used once; if that order is cancelled or returns to
draft unpaid, another checkout may take the credit.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from marketplace.errors import Conflict, NotAllowed
from marketplace.models import (
    APPROVED_PROOF_STAGES,
    REFUNDED_STAGES,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    ProductSize,
    User,
)
from marketplace.services.orders import OrderLineRequest, order_create

UNPAID_STATUSES = (OrderStatus.DRAFT, OrderStatus.AWAITING_PAYMENT)


def swatch_sizes() -> list[ProductSize]:
    """Every swatch size on sale, cheapest first."""
    return list(
        ProductSize.objects.filter(is_swatch=True, product__active=True)
        .select_related("product")
        .order_by("price", "pk")
    )


def swatch_size_among(sizes: list[ProductSize], *, product: Product) -> ProductSize | None:
    """The swatch size a line of `product` is cut to: the product's own, else the cheapest swatch of a
    product of the same substrate and licence use."""
    own = [size for size in sizes if size.product_id == product.pk]
    alike = [
        size
        for size in sizes
        if size.product.substrate == product.substrate and size.product.use == product.use
    ]
    candidates = own or alike
    return candidates[0] if candidates else None


def swatch_size_for(*, product_size: ProductSize) -> ProductSize:
    product = product_size.product
    size = swatch_size_among(swatch_sizes(), product=product)
    if size is None:
        raise ValidationError({"line": [f"{product.name} is not sold as a swatch."]})
    return size


@dataclass(frozen=True)
class SwatchOrder:
    order: Order
    created: bool


def order_line_swatch_order(*, line: OrderLine, actor: User) -> SwatchOrder:
    """An order for a swatch of `line`'s approved proof (a draft, paid through the usual checkout)."""
    if line.order.buyer_id != actor.pk:
        raise NotAllowed("This order belongs to someone else.")
    with transaction.atomic():
        line = (
            OrderLine.objects.select_for_update(of=("self",))
            .select_related("product_size__product", "personalization")
            .get(pk=line.pk)
        )
        if line.swatch_of_id is not None or line.product_size.is_swatch:
            raise ValidationError(
                {"line": ["This line is a swatch already; order a swatch of a larger print."]}
            )
        if not line.product_size.product.is_physical:
            raise ValidationError({"line": ["A digital file has no printed proof to make a swatch of."]})
        if line.stage not in APPROVED_PROOF_STAGES:
            state = line.get_stage_display().lower() or "not paid"
            raise Conflict(f"Only an approved proof can be ordered as a swatch; this line is {state}.")
        earlier = (
            OrderLine.objects.filter(swatch_of=line)
            .exclude(order__status=OrderStatus.CANCELLED)
            .exclude(stage__in=REFUNDED_STAGES)
            .select_related("order")
            .first()
        )
        if earlier is not None:
            if earlier.order.status in UNPAID_STATUSES:
                return SwatchOrder(order=earlier.order, created=False)
            raise Conflict(f"A swatch of this proof was ordered already (order {earlier.order_id}).")
        size = swatch_size_for(product_size=line.product_size)
        order = order_create(
            buyer=actor,
            lines=[OrderLineRequest(personalization=line.personalization, product_size=size, quantity=1)],
        )
        order.lines.update(swatch_of=line)
    return SwatchOrder(order=order, created=True)
