"""Where goods can go and what sending them costs."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models

from marketplace.models.catalogue import Substrate
from marketplace.models.money import MONEY

# A shipping address: each field's longest value (the country is an ISO 3166-1 alpha-2 code; the
# state is the region's key in `marketplace.regions`, required only where the country needs one), and
# the fields it cannot do without. The names are Stripe's. The address is checked by
# `marketplace.services.shipping`; the checkout forms read the same limits.
ADDRESS_FIELDS: dict[str, int] = {
    "name": 120,
    "line1": 200,
    "line2": 200,
    "city": 100,
    "state": 100,
    "postal_code": 20,
    "country": 2,
}
REQUIRED_ADDRESS_FIELDS = ("name", "line1", "city", "postal_code", "country")

# The flat envelope a print small enough goes in (inches, short side first): an 8″×8″ swatch ships as
# a letter, a fat quarter or a roll as a parcel.
LETTER_ENVELOPE_IN = (Decimal("9"), Decimal("12"))


def fits_letter(width_in: Decimal, height_in: Decimal) -> bool:
    short, long = sorted((width_in, height_in))
    return short <= LETTER_ENVELOPE_IN[0] and long <= LETTER_ENVELOPE_IN[1]


class ShippingZone(models.Model):
    """Destinations priced alike. A country belongs to at most one zone; `countries` holds ISO 3166-1
    alpha-2 codes, and a zone with `rest_of_world` takes every country no other zone names. An order
    whose prints all fit a letter envelope ships as one letter for `letter_amount`; a zone without
    one sends them as a parcel."""

    name = models.CharField(max_length=60, unique=True)
    countries = models.JSONField(default=list, blank=True)
    rest_of_world = models.BooleanField(default=False)
    letter_amount = models.DecimalField(
        **MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )

    class Meta:
        ordering = ["rest_of_world", "name"]

    def __str__(self) -> str:
        return self.name


class ShippingRate(models.Model):
    """What shipping one substrate to one zone costs as a parcel: a flat amount per order plus an amount
    per item. An order of several substrates is one parcel: it pays the largest of their flat amounts
    once, and each item its own substrate's amount. Rows an admin edits; an order freezes the amounts
    it was charged."""

    zone = models.ForeignKey(ShippingZone, on_delete=models.CASCADE, related_name="rates")
    substrate = models.CharField(max_length=16, choices=Substrate.choices)
    flat_amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    per_item_amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, default="USD")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["zone", "substrate"], name="shipping_rate_unique")]
        ordering = ["zone_id", "substrate"]

    def __str__(self) -> str:
        return f"{self.get_substrate_display()} to {self.zone}"
