"""Shipping: the address a physical order goes to, and what shipping it costs.

Shipping is priced once per order, by destination zone and substrate (`ShippingZone` and
`ShippingRate` rows an admin edits; see `shipping_quote`). The amounts are frozen on the lines at
checkout, so a cancelled or failed line gives back exactly the shipping it was charged."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_countries import countries

from marketplace import regions
from marketplace.models import (
    ADDRESS_FIELDS,
    REQUIRED_ADDRESS_FIELDS,
    Order,
    OrderLine,
    OrderStatus,
    ProductSize,
    ShippingRate,
    ShippingZone,
    fits_letter,
)

# The shape of a postal code in the countries most orders go to (upper case; others are taken as
# given). A shape, not an address: a Paris street with a five-digit code still passes as "US", which
# only an address-validation service can catch (README, "Addresses").
POSTAL_CODE_FORMATS: dict[str, tuple[str, str]] = {
    "US": (r"\d{5}(-\d{4})?", "12345 or 12345-6789"),
    "CA": (r"[A-Z]\d[A-Z] ?\d[A-Z]\d", "A1A 1A1"),
    "GB": (r"[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}", "SW1A 1AA"),
    "IE": (r"[A-Z]\d[\dW] ?[A-Z\d]{4}", "D02 X285"),
    "FR": (r"\d{5}", "75001"),
    "DE": (r"\d{5}", "10115"),
    "IT": (r"\d{5}", "00184"),
    "ES": (r"\d{5}", "28013"),
    "FI": (r"\d{5}", "00100"),
    "MX": (r"\d{5}", "06000"),
    "NL": (r"\d{4} ?[A-Z]{2}", "1012 AB"),
    "BE": (r"\d{4}", "1000"),
    "AT": (r"\d{4}", "1010"),
    "CH": (r"\d{4}", "8001"),
    "DK": (r"\d{4}", "1050"),
    "NO": (r"\d{4}", "0150"),
    "AU": (r"\d{4}", "2000"),
    "NZ": (r"\d{4}", "6011"),
    "SE": (r"\d{3} ?\d{2}", "111 22"),
    "PL": (r"\d{2}-\d{3}", "00-950"),
    "PT": (r"\d{4}-\d{3}", "1100-148"),
    "JP": (r"\d{3}-?\d{4}", "100-0001"),
    "BR": (r"\d{5}-?\d{3}", "01310-100"),
    "IN": (r"\d{6}", "110001"),
    "CN": (r"\d{6}", "100000"),
}


EUROPE = [
    "AT",
    "BE",
    "BG",
    "CH",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GB",
    "GR",
    "HR",
    "HU",
    "IE",
    "IS",
    "IT",
    "LI",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "NO",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
]
# (zone, countries, rest of world, letter, {substrate: (flat per order, per item)}) in USD: a starting
# point that a new site gets once, then edits in the admin.
DEFAULT_RATES: list[tuple[str, list[str], bool, str, dict[str, tuple[str, str]]]] = [
    (
        "United States",
        ["US"],
        False,
        "1.50",
        {"fabric": ("4.00", "1.50"), "wallpaper": ("6.00", "2.00"), "gift_wrap": ("3.00", "0.75")},
    ),
    (
        "Europe",
        EUROPE,
        False,
        "3.00",
        {"fabric": ("9.00", "2.50"), "wallpaper": ("12.00", "3.50"), "gift_wrap": ("6.00", "1.50")},
    ),
    (
        "Rest of world",
        [],
        True,
        "4.50",
        {"fabric": ("14.00", "4.00"), "wallpaper": ("18.00", "5.00"), "gift_wrap": ("9.00", "2.50")},
    ),
]


def shipping_defaults_install() -> bool:
    """Give a site with no shipping zones at all the default zones and rates. A site that has any
    zone keeps what its admins set. Returns whether it installed them."""
    with transaction.atomic():
        if ShippingZone.objects.exists():
            return False
        for name, codes, rest, letter, by_substrate in DEFAULT_RATES:
            zone = ShippingZone.objects.create(
                name=name, countries=codes, rest_of_world=rest, letter_amount=Decimal(letter)
            )
            ShippingRate.objects.bulk_create(
                ShippingRate(
                    zone=zone, substrate=substrate, flat_amount=Decimal(flat), per_item_amount=Decimal(item)
                )
                for substrate, (flat, item) in by_substrate.items()
            )
    return True


def country_clean(value: object, *, field: str = "country") -> str:
    code = str(value or "").strip().upper()
    if code not in countries:
        raise ValidationError(
            {field: [f"“{value}” is not an ISO 3166-1 alpha-2 country code (such as GB or US)."]}
        )
    return code


def shipping_address_clean(data: object) -> dict[str, str]:
    """A shipping address as the API and the pages take it, checked field by field. The errors are
    keyed `shipping_address.<field>`, so a client sees which field to fix."""
    if not isinstance(data, Mapping):
        raise ValidationError(
            {
                "shipping_address": [
                    "Give the address as an object with name, line1, line2, city, state, postal_code and country."
                ]
            }
        )
    errors: dict[str, list[str]] = {}
    address: dict[str, str] = {}
    unknown = sorted(set(data) - set(ADDRESS_FIELDS))
    if unknown:
        errors["shipping_address"] = [f"Unknown field(s): {', '.join(map(str, unknown))}."]
    for name, limit in ADDRESS_FIELDS.items():
        raw = data.get(name, "")
        value = " ".join(str(raw if raw is not None else "").split())
        if name in REQUIRED_ADDRESS_FIELDS and not value:
            errors[f"shipping_address.{name}"] = ["This field is required."]
        elif len(value) > limit:
            errors[f"shipping_address.{name}"] = [f"At most {limit} characters."]
        address[name] = value
    if "shipping_address.country" not in errors:
        try:
            address["country"] = country_clean(address["country"], field="shipping_address.country")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if not {"shipping_address.country", "shipping_address.state"} & errors.keys():
        _state_clean(address, errors)
    if not {"shipping_address.country", "shipping_address.postal_code"} & errors.keys():
        address["postal_code"] = address["postal_code"].upper()
        shape = POSTAL_CODE_FORMATS.get(address["country"])
        if shape is not None and not re.fullmatch(shape[0], address["postal_code"]):
            errors["shipping_address.postal_code"] = [
                f"“{address['postal_code']}” is not a postal code of {address['country']} (such as {shape[1]})."
            ]
    if errors:
        raise ValidationError(errors)
    return address


def _state_clean(address: dict[str, str], errors: dict[str, list[str]]) -> None:
    """A country that needs a region takes one of its own, kept as the region's key; elsewhere the
    region is optional and taken as given."""
    country = address["country"]
    if not regions.state_required(country):
        return
    name = countries.name(country) or country
    if not address["state"]:
        errors["shipping_address.state"] = [f"This field is required for an address in {name}."]
        return
    key = regions.state_key(country, address["state"])
    if key is None:
        errors["shipping_address.state"] = [f"“{address['state']}” is not a state or region of {name}."]
    else:
        address["state"] = key


def shipping_zone_for(*, country: str) -> ShippingZone | None:
    zones = list(ShippingZone.objects.all())
    named = next((zone for zone in zones if country in zone.countries), None)
    return named or next((zone for zone in zones if zone.rest_of_world), None)


@dataclass(frozen=True)
class ShippingQuote:
    zone: ShippingZone | None
    amount: Decimal
    # The share of `amount` each line carries, in the order of the lines given (digital lines: 0).
    per_line: tuple[Decimal, ...]
    # Every print fits a letter envelope and the zone sends letters: one letter, not a parcel.
    by_letter: bool = False


class NoShipping(ValidationError):
    pass


def shipping_quote(*, items: Iterable[tuple[ProductSize, int]], country: str | None) -> ShippingQuote:
    """Price shipping for (size, quantity) items going to `country`, once per order: one letter when
    every print fits a letter envelope and the zone has a letter rate; otherwise one parcel, which
    pays the largest flat amount among its substrates' rates once, and each item its substrate's
    amount per item. Digital items cost nothing; a physical item with no country, or to a zone
    without a rate for its substrate, cannot be priced.

    The flat amount is frozen on the first line of the substrate it comes from (the letter's, on the
    first print), so a cancelled or failed line gives back exactly what it was charged."""
    items = list(items)
    physical = [index for index, (size, _) in enumerate(items) if size.product.is_physical]
    per_line = [Decimal("0")] * len(items)
    if not physical:
        return ShippingQuote(zone=None, amount=Decimal("0"), per_line=tuple(per_line))
    if not country:
        raise NoShipping({"shipping_address": ["This order has printed items: give a shipping address."]})
    zone = shipping_zone_for(country=country)
    if (
        zone is not None
        and zone.letter_amount is not None
        and all(fits_letter(items[i][0].width_in, items[i][0].height_in) for i in physical)
    ):
        per_line[physical[0]] = zone.letter_amount
        return ShippingQuote(zone=zone, amount=zone.letter_amount, per_line=tuple(per_line), by_letter=True)
    rates = {rate.substrate: rate for rate in ShippingRate.objects.filter(zone=zone)} if zone else {}
    for index in physical:
        size, quantity = items[index]
        rate = rates.get(size.product.substrate)
        if rate is None:
            substrate = size.product.get_substrate_display().lower()
            place = countries.name(country) or country
            raise NoShipping({"shipping_address": [f"We do not ship {substrate} to {place}."]})
        per_line[index] = rate.per_item_amount * quantity
    # The parcel's flat amount, once: the largest of its substrates', on that substrate's first line.
    flat_line = max(physical, key=lambda i: (rates[items[i][0].product.substrate].flat_amount, -i))
    per_line[flat_line] += rates[items[flat_line][0].product.substrate].flat_amount
    per_line = [amount.quantize(Decimal("0.01")) for amount in per_line]
    return ShippingQuote(zone=zone, amount=sum(per_line, Decimal("0")), per_line=tuple(per_line))


def order_lines_shipping_quote(*, lines: list[OrderLine], country: str | None) -> ShippingQuote:
    return shipping_quote(items=[(line.product_size, line.quantity) for line in lines], country=country)


def address_for_display(address: dict[str, Any] | None) -> list[str]:
    if not address:
        return []
    country = address.get("country", "")
    state = address.get("state", "")
    city = " ".join(part for part in (address.get("postal_code", ""), address.get("city", "")) if part)
    if state:
        city = f"{city}, {regions.state_name(country, state)}"
    rows = [
        address.get("name", ""),
        address.get("line1", ""),
        address.get("line2", ""),
        city,
        countries.name(country) or country,
    ]
    return [row for row in rows if row]


def shipping_addresses_anonymise(*, retention_days: int | None = None, now: dt.datetime | None = None) -> int:
    """Keep only the country of the shipping address of every order finished (fulfilled, refunded or
    cancelled) more than `retention_days` ago. Returns how many addresses were blanked."""
    days = settings.SHIPPING_ADDRESS_RETENTION_DAYS if retention_days is None else retention_days
    if days < 0:
        raise ValueError("The retention period cannot be negative.")
    before = (now or timezone.now()) - dt.timedelta(days=days)
    finished = Q(status=OrderStatus.FULFILLED, fulfilled_at__lt=before) | Q(
        status__in=(OrderStatus.REFUNDED, OrderStatus.CANCELLED), created_at__lt=before
    )
    count = 0
    for order in Order.objects.filter(finished, address_anonymised_at__isnull=True).exclude(
        shipping_address=None
    ):
        order.shipping_address = {"country": order.country}
        order.address_anonymised_at = timezone.now()
        order.save(update_fields=["shipping_address", "address_anonymised_at"])
        count += 1
    return count
