"""Money and percentage field options shared by every priced model."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}
# Royalty ledger amounts keep five decimal places; transfers are rounded to cents (see royalties).
LEDGER_MONEY: dict[str, Any] = {"max_digits": 17, "decimal_places": 5}
PERCENT: dict[str, Any] = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
}
