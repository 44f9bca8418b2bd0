"""Checkout as people expect it (issue 26, item 4): a state or region where the country needs one,
the address asked once (in the cart), shipping priced once per order with the cart's quote exactly
what is charged, and the artist's approval named, with its time limit, before payment."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from marketplace.management.commands.seed_demo import PRODUCTS
from marketplace.models import Order, OrderStatus, Product, ProductSize, User
from marketplace.payments.models import Payment
from marketplace.services.personalizations import personalization_create
from marketplace.services.shipping import shipping_address_clean, shipping_quote
from tests.conftest import SHIP_TO

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_sizes(db: None) -> dict[str, ProductSize]:
    """The demo's products and prices (seed_demo), keyed `product/size`."""
    sizes = {}
    for slug, name, substrate, use, rows in PRODUCTS:
        product = Product.objects.create(slug=slug, name=name, substrate=substrate, use=use)
        for size_slug, size_name, width, height, price in rows:
            sizes[f"{slug}/{size_slug}"] = ProductSize.objects.create(
                product=product,
                slug=size_slug,
                name=size_name,
                width_in=Decimal(width),
                height_in=Decimal(height),
                price=Decimal(price),
            )
    return sizes


def _logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _address_post(address: dict[str, str], *, quoted: str) -> dict[str, str]:
    posted = {f"ship-{name}": value for name, value in address.items()}
    if address.get("state"):
        posted["ship-state"] = f"{address['country']}:{address['state']}"  # the select's value
    return {**posted, "quoted_shipping": quoted}


def _cart_shipping(page: str) -> str:
    found = re.search(r'data-testid="cart-shipping">([^<]+)<', page)
    assert found, "the cart shows no shipping"
    return found.group(1).strip()


# --- the state or region --------------------------------------------------------------------------


def test_a_us_address_needs_a_state_and_keeps_its_code() -> None:
    with pytest.raises(ValidationError) as missing:
        shipping_address_clean({**SHIP_TO, "state": ""})
    assert "shipping_address.state" in missing.value.message_dict
    assert shipping_address_clean({**SHIP_TO, "state": "illinois"})["state"] == "IL"
    assert shipping_address_clean({**SHIP_TO, "state": "US:IL"})["state"] == "IL"  # the form's value


@pytest.mark.parametrize(
    ("country", "postal_code", "state", "kept"),
    [
        ("CA", "M5V 2T6", "Ontario", "ON"),
        ("AU", "2000", "nsw", "NSW"),
        ("JP", "100-0001", "Tokyo", "東京都"),
        ("IN", "110001", "Delhi", "Delhi"),
        ("MX", "06000", "CDMX", "CDMX"),
        ("BR", "01310-100", "São Paulo", "SP"),
    ],
)
def test_countries_whose_post_needs_a_region_take_one_of_theirs(
    country: str, postal_code: str, state: str, kept: str
) -> None:
    address = {**SHIP_TO, "country": country, "postal_code": postal_code}
    with pytest.raises(ValidationError) as missing:
        shipping_address_clean({**address, "state": ""})
    assert "shipping_address.state" in missing.value.message_dict
    with pytest.raises(ValidationError) as foreign:
        shipping_address_clean({**address, "state": "Atlantis"})
    assert "Atlantis" in foreign.value.message_dict["shipping_address.state"][0]
    assert shipping_address_clean({**address, "state": state})["state"] == kept


def test_a_region_of_another_country_is_refused_and_one_is_optional_where_none_is_needed() -> None:
    # Western Australia and Washington share the code WA: the form's value says whose it is.
    with pytest.raises(ValidationError):
        shipping_address_clean({**SHIP_TO, "state": "AU:WA"})
    berlin = {**SHIP_TO, "country": "DE", "postal_code": "10115", "state": ""}
    assert shipping_address_clean(berlin)["state"] == ""


def test_the_checkout_api_names_the_state_when_it_is_missing_or_not_the_countrys(
    local_gateway: None, buyer: Any, pattern: Any, style: Any, products: Any, client_for: Any
) -> None:
    from marketplace.services.orders import OrderLineRequest, order_create

    job = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    order = order_create(buyer=buyer, lines=[OrderLineRequest(job, products["yard"], 1)])
    client = client_for(buyer)
    url = f"/api/v1/orders/{order.pk}/checkout/"
    for state in ("", "ON"):
        refused = client.post(url, {"shipping_address": {**SHIP_TO, "state": state}}, format="json")
        assert refused.status_code == 400 and "shipping_address.state" in refused.json(), refused.content
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT
    ok = client.post(url, {"shipping_address": {**SHIP_TO, "state": "Illinois"}}, format="json")
    assert ok.status_code == 200, ok.content
    order.refresh_from_db()
    assert order.shipping_address == {**SHIP_TO, "state": "IL"}


def test_the_cart_offers_a_state_select_and_keeps_what_was_typed_when_it_is_missing(
    buyer: Any, pattern: Any, style: Any, products: Any
) -> None:
    job = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    client = _logged_in(buyer)
    client.post("/cart/add/", {"personalization": job.pk, "size": products["yard"].pk, "quantity": 1})
    page = client.get("/cart/").content.decode()
    assert '<optgroup label="United States of America">' in page and 'value="US:IL"' in page
    assert 'value="CA:ON"' in page and 'value="JP:東京都"' in page
    refused = client.post("/cart/checkout/", _address_post({**SHIP_TO, "state": ""}, quoted="5.50"))
    assert refused.status_code == 400 and not Order.objects.exists()
    shown = refused.content.decode()
    assert "required for an address in United States" in shown
    assert 'value="1 Test Street"' in shown  # what was typed is kept


# --- shipping, once per order ---------------------------------------------------------------------


def test_the_reported_cases_are_priced_once_per_order(demo_sizes: dict[str, ProductSize]) -> None:
    """$27 of prints across three lines of three substrates was charged 17.25 (each substrate's flat
    amount: 4.00 + 3.00 + 6.00, plus 1.50 + 0.75 + 2.00 an item), and a $5 swatch 5.50 (a parcel's
    4.00 + 1.50). One order is one parcel: the largest flat amount once, and each item its own."""
    mixed = [
        (demo_sizes["quilting-cotton/fat-quarter"], 1),
        (demo_sizes["gift-wrap/sheet"], 1),
        (demo_sizes["peel-stick-wallpaper/swatch-8x8"], 1),
    ]
    assert sum(size.price * quantity for size, quantity in mixed) == Decimal("27.00")
    quote = shipping_quote(items=mixed, country="US")
    assert quote.amount == Decimal("10.25") and not quote.by_letter  # 6.00 + 1.50 + 0.75 + 2.00
    # The wallpaper's flat amount, the largest, on the wallpaper line; each line its items.
    assert quote.per_line == (Decimal("1.50"), Decimal("0.75"), Decimal("8.00"))

    swatch = shipping_quote(items=[(demo_sizes["quilting-cotton/swatch-8x8"], 1)], country="US")
    assert swatch.amount == Decimal("1.50") and swatch.by_letter  # an 8″ swatch goes as a letter
    swatches = shipping_quote(
        items=[
            (demo_sizes["quilting-cotton/swatch-8x8"], 3),
            (demo_sizes["peel-stick-wallpaper/swatch-8x8"], 1),
        ],
        country="DE",
    )
    assert swatches.amount == Decimal("3.00") and swatches.per_line == (Decimal("3.00"), Decimal("0"))


def test_a_zone_without_a_letter_rate_sends_a_swatch_as_a_parcel(demo_sizes: dict[str, ProductSize]) -> None:
    from marketplace.models import ShippingZone
    from marketplace.services.shipping import shipping_zone_for

    zone = shipping_zone_for(country="US")
    assert zone is not None
    ShippingZone.objects.filter(pk=zone.pk).update(letter_amount=None)
    quote = shipping_quote(items=[(demo_sizes["quilting-cotton/swatch-8x8"], 1)], country="US")
    assert quote.amount == Decimal("5.50") and not quote.by_letter


def test_the_carts_quote_is_exactly_the_shipping_charged_for_a_mixed_cart(
    local_gateway: None, buyer: Any, pattern: Any, style: Any, demo_sizes: dict[str, ProductSize]
) -> None:
    job = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    client = _logged_in(buyer)
    cart = {"quilting-cotton/fat-quarter": 2, "gift-wrap/sheet": 1, "peel-stick-wallpaper/roll": 1}
    for key, quantity in cart.items():
        client.post(
            "/cart/add/", {"personalization": job.pk, "size": demo_sizes[key].pk, "quantity": quantity}
        )
    quoted = _cart_shipping(client.get("/cart/?country=US").content.decode())
    assert quoted == "11.75"  # wallpaper's 6.00 once, 2 × 1.50 + 0.75 + 2.00 an item

    # An address in another zone than the page quoted: the new quote is shown, nothing is ordered.
    berlin = {**SHIP_TO, "country": "DE", "postal_code": "10115", "state": ""}
    requoted = client.post("/cart/checkout/", _address_post(berlin, quoted=quoted))
    assert requoted.status_code == 409 and not Order.objects.exists()
    assert _cart_shipping(requoted.content.decode()) == "22.00"  # 12.00 + 2 × 2.50 + 1.50 + 3.50

    for nonsense in ("sNaN", "Infinity", "", "5,50"):
        refused = client.post("/cart/checkout/", _address_post(SHIP_TO, quoted=nonsense))
        assert refused.status_code == 409 and not Order.objects.exists()

    paid = client.post("/cart/checkout/", _address_post(SHIP_TO, quoted=quoted))
    assert paid.status_code == 302
    order = Order.objects.get()
    payment = Payment.objects.get(order=order)
    assert order.shipping_amount == Decimal(quoted) and payment.amount == order.subtotal + Decimal(quoted)
    assert sum(line.shipping_amount for line in order.lines.all()) == Decimal(quoted)
    assert order.shipping_address == SHIP_TO


# --- the address asked once ----------------------------------------------------------------------


def test_the_payment_page_shows_the_address_and_asks_for_none(
    local_gateway: None, buyer: Any, pattern: Any, style: Any, products: Any
) -> None:
    job = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    client = _logged_in(buyer)
    client.post("/cart/add/", {"personalization": job.pk, "size": products["yard"].pk, "quantity": 1})
    paying = client.post("/cart/checkout/", _address_post(SHIP_TO, quoted="5.50"))
    gateway = client.get(paying["Location"]).content.decode()
    assert 'name="ship-' not in gateway  # no address form
    assert "Ships to: Bea Buyer, 1 Test Street, 12345 Springfield, Illinois" in gateway
    order = Order.objects.get()
    assert client.post(paying["Location"], {"outcome": "succeeded"}).status_code == 302
    order.refresh_from_db()
    assert order.status != OrderStatus.AWAITING_PAYMENT and order.shipping_address == SHIP_TO


# --- the artist's approval, before payment ----------------------------------------------------------


def test_a_line_that_needs_the_artists_approval_says_so_with_the_time_limit_before_payment(
    local_gateway: None, settings: Any, buyer: Any, pattern: Any, make_style: Any, style: Any, products: Any
) -> None:
    settings.ARTIST_APPROVAL_TIMEOUT_S = 3 * 86400
    approved = make_style(requires_approval=True)
    client = _logged_in(buyer)
    for chosen in (approved, style):
        job = personalization_create(buyer=buyer, base_pattern=pattern, style=chosen)
        client.post("/cart/add/", {"personalization": job.pk, "size": products["yard"].pk, "quantity": 1})
    cart = client.get("/cart/").content.decode()
    notice = "The artist approves this design before printing — up to 3 days."
    assert cart.count(notice) == 1  # the approval style's line only
    paying = client.post("/cart/checkout/", _address_post(SHIP_TO, quoted="7.00"))
    assert client.get(paying["Location"]).content.decode().count(notice) == 1
