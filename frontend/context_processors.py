"""What every page's template may read: the limits its raw inputs (range sliders, number fields, the
approval's reason) bound, so a template states no number of its own."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from marketplace.models import (
    DECLINE_REASON_MAX_CHARS,
    DEFAULT_DPI,
    DPI_RANGE,
    QUANTITY_RANGE,
    SEED_MAX,
    STRENGTH_RANGE,
    STYLE_SCALE_RANGE,
    SWATCH_CREDIT_DAYS,
)

LIMITS: dict[str, Any] = {
    "decline_reason_max_chars": DECLINE_REASON_MAX_CHARS,
    "dpi_min": DPI_RANGE[0],
    "dpi_max": DPI_RANGE[1],
    "dpi_default": DEFAULT_DPI,
    "quantity_min": QUANTITY_RANGE[0],
    "quantity_max": QUANTITY_RANGE[1],
    "strength_min": STRENGTH_RANGE[0],
    "strength_max": STRENGTH_RANGE[1],
    "style_scale_min": STYLE_SCALE_RANGE[0],
    "style_scale_max": STYLE_SCALE_RANGE[1],
    "seed_max": SEED_MAX,
    "swatch_credit_days": SWATCH_CREDIT_DAYS,
}


def limits(request: HttpRequest) -> dict[str, Any]:
    return {"limits": LIMITS}
