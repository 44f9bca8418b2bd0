"""Where goods can go and what sending them costs."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models

from marketplace.models.catalogue import Substrate
from marketplace.models.money import MONEY

# A shipping address: each field's longest value (the country is an ISO 3166-1 alpha-2 code), and the
# fields it cannot do without. The address is checked by `marketplace.services.shipping`; the
# checkout forms read the same limits.
ADDRESS_FIELDS: dict[str, int] = {
    "name": 120,
    "line1": 200,
    "line2": 200,
    "city": 100,
    "postal_code": 20,
    "country": 2,
}
REQUIRED_ADDRESS_FIELDS = ("name", "line1", "city", "postal_code", "country")


class ShippingZone(models.Model):
    """Destinations priced alike. A country belongs to at most one zone; `countries` holds ISO 3166-1
    alpha-2 codes, and a zone with `rest_of_world` takes every country no other zone names."""

    name = models.CharField(max_length=60, unique=True)
    countries = models.JSONField(default=list, blank=True)
    rest_of_world = models.BooleanField(default=False)

    class Meta:
        ordering = ["rest_of_world", "name"]

    def __str__(self) -> str:
        return self.name


class ShippingRate(models.Model):
    """What shipping one substrate to one zone costs: a flat amount per order plus an amount per item.
    Rows an admin edits; an order freezes the amounts it was charged."""

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
