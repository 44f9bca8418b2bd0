"""Factories for the objects most tests need: people by role, styles, base patterns, products, orders
with their lines, local payments and print jobs in the print shops' queue.

Each goes through the product's own services where the site does (sign-up, listing, ordering,
paying), so a factory-made object passes every rule a real one passes. Only the steps that would need
a render on the worker (a finished preview, a print sheet) are written straight to the models."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
from django.core.files.base import ContentFile
from PIL import Image

from marketplace.models import (
    BasePattern,
    JobStatus,
    LineStage,
    Order,
    OrderLine,
    OrderStatus,
    Personalization,
    Product,
    ProductionJob,
    ProductSize,
    Style,
    User,
)
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.payments.services import payment_checkout_start, payment_local_confirm
from marketplace.services.accounts import user_register
from marketplace.services.catalogue import PatternRepeat, pattern_create, style_create
from marketplace.services.licence_terms import LicenceTerms
from marketplace.services.orders import OrderLineRequest, order_create
from marketplace.services.personalizations import personalization_create

PASSWORD = "a-long-test-password"

# A ship-to address for checkouts of printed products (US: the default "United States" zone).
SHIP_TO = {
    "name": "Bea Buyer",
    "line1": "1 Test Street",
    "line2": "",
    "city": "Springfield",
    "state": "IL",
    "postal_code": "12345",
    "country": "US",
}

# Usernames and style artworks must be unique across a whole test run's database.
_usernames: Iterator[int] = itertools.count()
_artworks: Iterator[int] = itertools.count(7)


# --- images -----------------------------------------------------------------------------------------


def pattern_bytes(repeat_type: str, side: int, seed: int = 3) -> bytes:
    """A real seamless repeat of the given type, as designers upload them."""
    from stylization.engine import generate_pattern

    out = io.BytesIO()
    generate_pattern(repeat_type, size=side, seed=seed).save(out, format="PNG")
    return out.getvalue()


def image_bytes(width: int = 96, height: int = 96, *, fmt: str = "PNG", seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, size=(height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    image = Image.fromarray(pixels).resize((width, height), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


# --- people and listings ----------------------------------------------------------------------------


def user_make(*roles: str, username: str | None = None) -> User:
    """A person with `roles`. "printer" is granted, never chosen: that account signs up as a buyer,
    applies as a print shop and is approved (as by an operator), through the same services as the site."""
    from marketplace.services.print_shops import print_shop_apply, print_shop_approve

    name = username or f"{'-'.join(roles) or 'user'}{next(_usernames)}"
    chosen = [role for role in roles if role != "printer"] or ["buyer"]
    user = user_register(username=name, password=PASSWORD, email=f"{name}@example.com", roles=chosen)
    if "printer" in roles:
        print_shop_approve(shop=print_shop_apply(user=user, name=f"{name} prints"), actor=None)
        user = User.objects.get(pk=user.pk)
    return user


def style_make(
    *,
    artist: User,
    title: str = "Test style",
    tags: tuple[str, ...] = ("blue",),
    artwork_seed: int | None = None,
    **terms: Any,
) -> Style:
    """A listed style. Each is its own artwork (drawn from `artwork_seed`, or the next unused one):
    two artists listing the same image is style laundering, refused."""
    defaults: dict[str, Any] = {
        "allowed_uses": ("personal", "commercial"),
        "fee_per_use": Decimal("2.00"),
        "royalty_percent": Decimal("10"),
    }
    defaults.update(terms)
    return style_create(
        artist=artist,
        title=title,
        image=image_bytes(
            128, 96, fmt="JPEG", seed=next(_artworks) if artwork_seed is None else artwork_seed
        ),
        terms=LicenceTerms(**defaults),
        tags=tags,
    )


def pattern_make(
    *,
    designer: User,
    title: str = "Test pattern",
    repeat_type: str = "basic",
    side: int = 96,
    royalty: Decimal = Decimal("5"),
    tags: tuple[str, ...] = ("floral",),
) -> BasePattern:
    return pattern_create(
        designer=designer,
        title=title,
        image=pattern_bytes(repeat_type, side),
        repeat=PatternRepeat(repeat_type=repeat_type, dpi=72, royalty_percent=royalty),
        tags=tags,
    )


def products_make(*, swatch_inches: int = 8) -> dict[str, ProductSize]:
    """A personal-use cotton (swatch and yard) and a commercial canvas swatch."""
    cotton = Product.objects.create(slug="cotton", name="Quilting cotton", substrate="fabric", use="personal")
    canvas = Product.objects.create(slug="canvas", name="Canvas", substrate="fabric", use="commercial")
    swatch = {
        "slug": f"swatch-{swatch_inches}x{swatch_inches}",
        "name": "Swatch",
        "width_in": swatch_inches,
        "height_in": swatch_inches,
        "is_swatch": True,
    }
    return {
        "swatch": ProductSize.objects.create(product=cotton, price=Decimal("5.00"), **swatch),
        "yard": ProductSize.objects.create(
            product=cotton, slug="yard", name="Yard", width_in=36, height_in=42, price=Decimal("24.00")
        ),
        "commercial": ProductSize.objects.create(product=canvas, price=Decimal("7.00"), **swatch),
    }


# --- orders and payments ----------------------------------------------------------------------------


def order_make(
    *, buyer: User, personalization: Personalization, size: ProductSize, quantity: int = 1
) -> Order:
    """A draft order of one line: `quantity` of `size`, printed from `personalization`."""
    return order_create(
        buyer=buyer,
        lines=[OrderLineRequest(personalization=personalization, product_size=size, quantity=quantity)],
    )


def order_of_patterns_make(
    *, buyer: User, style: Style, lines: Sequence[tuple[BasePattern, ProductSize, int]]
) -> Order:
    """A draft order with a fresh personalization of `style` for each (pattern, size, quantity) line,
    seeded by the line's position so that no two lines render alike."""
    return order_create(
        buyer=buyer,
        lines=[
            OrderLineRequest(
                personalization=personalization_create(
                    buyer=buyer, base_pattern=pattern, style=style, seed=i
                ),
                product_size=size,
                quantity=quantity,
            )
            for i, (pattern, size, quantity) in enumerate(lines)
        ],
    )


def order_pay_locally(*, order: Order, shipping_address: dict[str, str] | None = None) -> Payment:
    """Check out and pay on the local gateway, as the buyer does on the site when Stripe is off."""
    payment = payment_checkout_start(order=order, actor=order.buyer, shipping_address=shipping_address)
    return payment_local_confirm(payment=payment, actor=order.buyer, outcome=PaymentStatus.SUCCEEDED)


# --- print production -------------------------------------------------------------------------------


def finished_personalization_make(
    *, buyer: User, pattern: BasePattern, style: Style | None
) -> Personalization:
    """A personalization whose preview is already rendered (written, not rendered on the worker)."""
    personalization = Personalization.objects.create(
        buyer=buyer, base_pattern=pattern, style=style, status=JobStatus.DONE, progress=100
    )
    personalization.preview.save("p.png", ContentFile(image_bytes()), save=True)
    return personalization


def released_job_make(
    *,
    buyer: User,
    personalization: Personalization,
    size: ProductSize,
    stage: str = LineStage.APPROVED,
    sheet_side: int = 96,
) -> ProductionJob:
    """A paid, approved print waiting in the print shops' queue, its line at `stage`, with a print sheet."""
    order = order_make(buyer=buyer, personalization=personalization, size=size)
    Order.objects.filter(pk=order.pk).update(
        status=OrderStatus.APPROVED, shipping_address=SHIP_TO, country="US"
    )
    line = OrderLine.objects.get(order=order)
    line.stage = stage
    line.print_sheet.save("sheet.png", ContentFile(image_bytes(sheet_side, sheet_side)), save=False)
    line.save()
    return ProductionJob.objects.create(order_line=line)
