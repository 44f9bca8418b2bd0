"""Orders: creation with frozen prices and licence terms, checkout with edition reservations, and the
state changes that payment and rendering drive."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from marketplace.errors import Conflict, NotAllowed
from marketplace.models import (
    MAX_ORDER_LINES,
    QUANTITY_RANGE,
    BasePattern,
    JobStatus,
    LicenceVersion,
    Order,
    OrderLine,
    OrderStatus,
    Personalization,
    ProductSize,
    Style,
    User,
)
from marketplace.printability import check_sheet
from marketplace.services.fulfilment import order_fulfilment_start
from marketplace.services.licensing import (
    LicenceTermRefused,
    edition_lines_holding,
    edition_uses_recount,
    licence_check_sale,
    licence_check_territory,
)
from marketplace.services.personalizations import personalization_allowed_uses
from marketplace.services.shipping import country_clean, order_lines_shipping_quote, shipping_address_clean
from marketplace.services.swatch_credits import order_swatch_credits_apply

CENT = Decimal("0.01")


@dataclass(frozen=True)
class OrderLineRequest:
    personalization: Personalization
    product_size: ProductSize
    quantity: int


def _line_from_request(buyer: User, index: int, request: OrderLineRequest) -> OrderLine:
    def fail(message: str) -> ValidationError:
        return ValidationError({"lines": [f"Line {index + 1}: {message}"]})

    personalization, size = request.personalization, request.product_size
    if personalization.buyer_id != buyer.pk:
        raise fail("that personalization belongs to someone else.")
    if personalization.status == JobStatus.FAILED:
        raise fail("that personalization failed to render; preview it again first.")
    if not personalization.base_pattern.active:
        raise fail(f"the base pattern “{personalization.base_pattern.title}” is no longer offered.")
    if personalization.style is not None and not personalization.style.active:
        raise fail(f"the style “{personalization.style.title}” is no longer offered.")
    if not QUANTITY_RANGE[0] <= request.quantity <= QUANTITY_RANGE[1]:
        raise fail(f"the quantity must be between {QUANTITY_RANGE[0]} and {QUANTITY_RANGE[1]}.")
    product = size.product
    if not product.active:
        raise fail(f"{product.name} is no longer offered.")
    if product.use not in personalization_allowed_uses(personalization):
        if personalization.uses_own_image:
            raise fail("your own image may be printed for personal use only, not on a commercial product.")
        raise fail(f"the style's licence does not allow {product.use} use, which {product.name} needs.")

    pattern = personalization.base_pattern
    try:  # a product added after the pattern was listed may be too large to print at its DPI
        check_sheet(size=size, dpi=pattern.dpi)
    except ValidationError as exc:
        raise fail(" ".join(exc.message_dict.get("dpi", exc.messages))) from None
    line_total = (size.price * request.quantity).quantize(CENT)
    line = OrderLine(
        personalization=personalization,
        product_size=size,
        quantity=request.quantity,
        unit_price=size.price,
        line_total=line_total,
        licence_use=product.use,
        designer_royalty_percent=personalization.base_pattern.royalty_percent,
    )
    style = personalization.style
    if style is not None:
        licence = style.licence
        assert licence is not None  # a listed style always has a licence in force
        if licence.edition_limit is not None and style.uses_taken >= licence.edition_limit:
            raise Conflict(f"Line {index + 1}: the edition of “{style.title}” is sold out.")
        try:
            licence_check_sale(licence=licence, substrate=product.substrate)
        except LicenceTermRefused as exc:
            raise ValidationError({exc.term: [f"Line {index + 1}: {exc.reason}"]}) from None
        line.licence_version = licence
        line.style_fee = licence.fee_per_use
        line.artist_royalty_percent = licence.royalty_percent
    if line.artist_royalty_percent + line.designer_royalty_percent > 100:
        raise fail("the artist's and the designer's royalties add up to more than 100 % of the sale.")
    payees_share = (
        line.style_fee + line_total * (line.artist_royalty_percent + line.designer_royalty_percent) / 100
    )
    if payees_share > line_total:
        raise fail("the style's fee and the royalties come to more than the price of this product.")
    return line


def order_line_check(*, buyer: User, line: OrderLineRequest) -> None:
    """What a cart asks before it takes a line: every rule that order creation applies to it (the
    style still offered, its licence's use, substrate, validity and ceiling, the edition, the sheet)."""
    _line_from_request(buyer, 0, line)


def order_create(*, buyer: User, lines: Sequence[OrderLineRequest]) -> Order:
    if not lines:
        raise ValidationError({"lines": ["An order needs at least one line."]})
    if len(lines) > MAX_ORDER_LINES:
        raise ValidationError({"lines": [f"An order has at most {MAX_ORDER_LINES} lines."]})
    order_lines = [_line_from_request(buyer, i, request) for i, request in enumerate(lines)]
    currencies = {line.product_size.currency for line in order_lines}
    if len(currencies) > 1:
        raise ValidationError({"lines": ["All lines of an order must be in one currency."]})
    subtotal = sum((line.line_total for line in order_lines), Decimal("0"))
    with transaction.atomic():
        order = Order.objects.create(
            buyer=buyer,
            currency=currencies.pop(),
            subtotal=subtotal,
            total=subtotal,
            status=OrderStatus.DRAFT,
        )
        for line in order_lines:
            line.order = order
        OrderLine.objects.bulk_create(order_lines)
    return order


def _styles_used(order: Order) -> dict[int, int]:
    uses: dict[int, int] = {}
    for line in order.lines.select_related("licence_version"):
        if line.licence_version is not None:
            style_id = line.licence_version.style_id
            uses[style_id] = uses.get(style_id, 0) + 1
    return uses


def _destination(
    order: Order, shipping_address: object, country: str | None
) -> tuple[dict[str, str] | None, str]:
    """The checked address and destination country. Physical lines need an address; a digital-only
    order takes the buyer's country, where given."""
    lines = list(order.lines.select_related("product_size__product"))
    if any(line.product_size.product.is_physical for line in lines):
        if shipping_address is None:
            raise ValidationError(
                {"shipping_address": ["This order has printed items: give a shipping address."]}
            )
        address = shipping_address_clean(shipping_address)
        return address, address["country"]
    return None, country_clean(country) if country else ""


def _check_licence_terms(order: Order, *, country: str) -> None:
    """The terms of each line's licence, as sold and as in force now (the artist may have narrowed
    them since the line was added): substrate, validity, revenue ceiling, and the territory against
    the destination (the shipping country; a digital file's buyer's country, when given)."""
    lines = order.lines.select_related("licence_version__style__licence", "product_size__product").filter(
        licence_version__isnull=False
    )
    for index, line in enumerate(lines):
        sold = line.licence_version
        assert sold is not None
        current = sold.style.licence
        licences = [sold] if current is None or current.pk == sold.pk else [sold, current]
        try:
            for licence in licences:
                licence_check_sale(licence=licence, substrate=line.product_size.product.substrate)
                _check_territory(licence, country)
        except LicenceTermRefused as exc:
            raise ValidationError({exc.term: [f"Line {index + 1}: {exc.reason}"]}) from None


def _check_territory(licence: LicenceVersion, country: str) -> None:
    if country:
        licence_check_territory(licence=licence, country=country)
    elif not licence.covers_territory("*"):
        # A licence limited to some countries sells a digital file only to a buyer who says where they are.
        raise LicenceTermRefused(
            "territories",
            f"the licence of “{licence.style.title}” covers some countries only: give your country.",
        )


def order_checkout(
    *, order: Order, actor: User, shipping_address: object = None, country: str | None = None
) -> Order:
    """Price shipping to the destination, reserve the edition uses the order needs and wait for
    payment. The style rows are locked in id order, so concurrent checkouts of the same styles queue
    up instead of overselling (and cannot both take the last fees under a revenue ceiling)."""
    if order.buyer_id != actor.pk:
        raise NotAllowed("This order belongs to someone else.")
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == OrderStatus.AWAITING_PAYMENT:
            return order
        if order.status != OrderStatus.DRAFT:
            raise Conflict(f"This order is {order.status.replace('_', ' ')} and cannot be checked out.")
        address, destination = _destination(order, shipping_address, country)
        lines = list(order.lines.select_related("product_size__product").order_by("pk"))
        quote = order_lines_shipping_quote(lines=lines, country=destination)
        for line, amount in zip(lines, quote.per_line, strict=True):
            line.shipping_amount = amount
        OrderLine.objects.bulk_update(lines, ["shipping_amount"])
        order.shipping_address, order.country = address, destination
        order.shipping_amount, order.tax_amount = quote.amount, Decimal("0")
        # Swatch credits are the only discount checkout decides; one set another way (by staff) stays
        # unless this order held swatch credits before, whose amount checkout decides again.
        held_credits = OrderLine.objects.filter(swatch_credit_order=order).exists()
        credit = order_swatch_credits_apply(order=order)
        if credit or held_credits:
            order.discount = credit
        order.total = order.subtotal - order.discount + order.shipping_amount + order.tax_amount
        uses = _styles_used(order)
        styles = (
            Style.objects.select_for_update(of=("self",))
            .select_related("licence")
            .filter(pk__in=uses)
            .order_by("pk")
        )
        for style in styles:
            licence = style.licence
            if not style.active or licence is None:
                raise Conflict(f"“{style.title}” is no longer offered.")
            # Counted under the style's lock: this order is still a draft, so it holds none of them yet.
            held = edition_lines_holding(style_id=style.pk).count()
            if licence.edition_limit is not None and held + uses[style.pk] > licence.edition_limit:
                raise Conflict(f"The edition of “{style.title}” is sold out.")
        _check_licence_terms(order, country=destination)
        withdrawn = BasePattern.objects.filter(
            personalizations__order_lines__order=order, active=False
        ).first()
        if withdrawn is not None:
            raise Conflict(f"The base pattern “{withdrawn.title}” is no longer offered.")
        order.transition_to(OrderStatus.AWAITING_PAYMENT)
        order.checkout_at = timezone.now()
        order.save(
            update_fields=[
                "status",
                "checkout_at",
                "shipping_address",
                "country",
                "shipping_amount",
                "tax_amount",
                "discount",
                "total",
            ]
        )
        edition_uses_recount(style_ids=uses)
    return order


def order_address_from_gateway(*, order_id: int, address: object) -> Order:
    """The address the buyer confirmed on the payment page (Stripe Checkout, or the local gateway's
    form) replaces the one given at checkout. It must ship at the price that was charged."""
    clean = shipping_address_clean(address)
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.shipping_address is None:
            raise ValidationError({"shipping_address": ["This order ships nothing."]})
        if clean == order.shipping_address:
            return order
        lines = list(order.lines.select_related("product_size__product").order_by("pk"))
        if order_lines_shipping_quote(lines=lines, country=clean["country"]).amount != order.shipping_amount:
            raise ValidationError(
                {
                    "shipping_address.country": [
                        "Shipping there costs a different amount: change the address in your cart."
                    ]
                }
            )
        for line in order.lines.select_related("licence_version__style").filter(
            licence_version__isnull=False
        ):
            try:
                _check_territory(line.licence_version, clean["country"])  # type: ignore[arg-type]
            except LicenceTermRefused as exc:
                raise ValidationError({exc.term: [exc.reason]}) from None
        order.shipping_address, order.country = clean, clean["country"]
        order.save(update_fields=["shipping_address", "country"])
    return order


def _recount_editions(order: Order) -> None:
    """After the order's status changed: its lines' uses are held, or given back, by that status."""
    edition_uses_recount(style_ids=_styles_used(order))


def order_payment_abandoned(*, order: Order) -> Order:
    """A declined payment or an expired checkout: the reserved uses go back, and the order returns to
    draft so the buyer can try again. Idempotent."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != OrderStatus.AWAITING_PAYMENT:
            return order
        order.transition_to(OrderStatus.DRAFT)
        order.save(update_fields=["status"])
        _recount_editions(order)
    return order


def order_cancel(*, order: Order, actor: User) -> Order:
    if order.buyer_id != actor.pk:
        raise NotAllowed("This order belongs to someone else.")
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == OrderStatus.CANCELLED:
            return order
        if not order.can_transition_to(OrderStatus.CANCELLED):
            raise Conflict(f"A {order.status.replace('_', ' ')} order cannot be cancelled; ask for a refund.")
        held = order.status == OrderStatus.AWAITING_PAYMENT
        order.transition_to(OrderStatus.CANCELLED)
        order.cancelled_at = timezone.now()
        order.save(update_fields=["status", "cancelled_at"])
        if held:
            _recount_editions(order)
    return order


def order_mark_paid(*, order: Order, paid_at: dt.datetime | None = None) -> Order:
    """Idempotent: a second call for a paid order changes nothing. Fulfilment starts on commit.
    `paid_at` is the paying payment's `succeeded_at`, which is how that payment is known later."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != OrderStatus.AWAITING_PAYMENT:
            return order
        order.transition_to(OrderStatus.PAID)
        order.paid_at = paid_at or timezone.now()
        order.save(update_fields=["status", "paid_at"])
        order_fulfilment_start(order=order)
    return order


def order_refund_booked(*, order_id: int, amount: Decimal) -> None:
    """A refund of `amount` went back to the buyer (called by the refund that booked it)."""
    Order.objects.filter(pk=order_id).update(refunded_amount=F("refunded_amount") + amount)


def order_mark_refunded(*, order: Order) -> Order:
    """A full refund: the uses its lines still hold come back to each style's limit (a line
    cancelled before gave its own back already)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status == OrderStatus.REFUNDED:
            return order
        order.transition_to(OrderStatus.REFUNDED)
        order.save(update_fields=["status"])
        _recount_editions(order)
    return order
