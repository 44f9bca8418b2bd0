"""Shipping: the address a physical order goes to, and what shipping it costs.

Shipping is priced per substrate and destination zone (`ShippingRate` rows an admin edits): for each
substrate in the order, a flat amount once plus an amount per item. The amounts are frozen on the
lines at checkout, the flat one on the first line of its substrate, so a cancelled or failed line
gives back exactly the shipping it was charged."""

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

from marketplace.models import (
    ADDRESS_FIELDS,
    REQUIRED_ADDRESS_FIELDS,
    Order,
    OrderLine,
    OrderStatus,
    ProductSize,
    ShippingRate,
    ShippingZone,
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
# (zone, countries, rest of world, {substrate: (flat per order, per item)}) in USD: a starting point
# that a new site gets once, then edits in the admin.
DEFAULT_RATES: list[tuple[str, list[str], bool, dict[str, tuple[str, str]]]] = [
    (
        "United States",
        ["US"],
        False,
        {"fabric": ("4.00", "1.50"), "wallpaper": ("6.00", "2.00"), "gift_wrap": ("3.00", "0.75")},
    ),
    (
        "Europe",
        EUROPE,
        False,
        {"fabric": ("9.00", "2.50"), "wallpaper": ("12.00", "3.50"), "gift_wrap": ("6.00", "1.50")},
    ),
    (
        "Rest of world",
        [],
        True,
        {"fabric": ("14.00", "4.00"), "wallpaper": ("18.00", "5.00"), "gift_wrap": ("9.00", "2.50")},
    ),
]


def shipping_defaults_install() -> bool:
    """Give a site with no shipping zones at all the default zones and rates. A site that has any
    zone keeps what its admins set. Returns whether it installed them."""
    with transaction.atomic():
        if ShippingZone.objects.exists():
            return False
        for name, codes, rest, by_substrate in DEFAULT_RATES:
            zone = ShippingZone.objects.create(name=name, countries=codes, rest_of_world=rest)
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
                    "Give the address as an object with name, line1, line2, city, postal_code and country."
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


def shipping_zone_for(*, country: str) -> ShippingZone | None:
    zones = list(ShippingZone.objects.all())
    named = next((zone for zone in zones if country in zone.countries), None)
    return named or next((zone for zone in zones if zone.rest_of_world), None)


def shipping_zone_countries(*, country: str) -> list[str]:
    """Every country shipped to at the same price as `country` (what Stripe Checkout may accept)."""
    zone = shipping_zone_for(country=country)
    if zone is None:
        return []
    if not zone.rest_of_world:
        return sorted(zone.countries)
    named = {code for other in ShippingZone.objects.exclude(pk=zone.pk) for code in other.countries}
    return sorted(code for code in dict(countries) if code not in named)


@dataclass(frozen=True)
class ShippingQuote:
    zone: ShippingZone | None
    amount: Decimal
    # The share of `amount` each physical item line carries, in the order of the lines given.
    per_line: tuple[Decimal, ...]


class NoShipping(ValidationError):
    pass


def shipping_quote(*, items: Iterable[tuple[ProductSize, int]], country: str | None) -> ShippingQuote:
    """Price shipping for (size, quantity) items going to `country`. Digital items cost nothing; a
    physical item with no country, or to a zone without a rate for its substrate, cannot be priced."""
    items = list(items)
    physical = [(size, quantity) for size, quantity in items if size.product.is_physical]
    if not physical:
        return ShippingQuote(zone=None, amount=Decimal("0"), per_line=tuple(Decimal("0") for _ in items))
    if not country:
        raise NoShipping({"shipping_address": ["This order has printed items: give a shipping address."]})
    zone = shipping_zone_for(country=country)
    rates = {rate.substrate: rate for rate in ShippingRate.objects.filter(zone=zone)} if zone else {}
    per_line: list[Decimal] = []
    flat_charged: set[str] = set()
    for size, quantity in items:
        substrate = size.product.substrate
        if not size.product.is_physical:
            per_line.append(Decimal("0"))
            continue
        rate = rates.get(substrate)
        if rate is None:
            raise NoShipping(
                {
                    "shipping_address": [
                        f"We do not ship {size.product.get_substrate_display().lower()} to {countries.name(country) or country}."
                    ]
                }
            )
        amount = rate.per_item_amount * quantity
        if substrate not in flat_charged:
            amount += rate.flat_amount
            flat_charged.add(substrate)
        per_line.append(amount.quantize(Decimal("0.01")))
    return ShippingQuote(zone=zone, amount=sum(per_line, Decimal("0")), per_line=tuple(per_line))


def order_lines_shipping_quote(*, lines: list[OrderLine], country: str | None) -> ShippingQuote:
    return shipping_quote(items=[(line.product_size, line.quantity) for line in lines], country=country)


def address_for_display(address: dict[str, Any] | None) -> list[str]:
    if not address:
        return []
    country = address.get("country", "")
    city = " ".join(part for part in (address.get("postal_code", ""), address.get("city", "")) if part)
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
