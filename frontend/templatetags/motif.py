"""Template helpers for the pages: the cart badge, one way to render a form field, and money to the cent."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django import template
from django.forms import BoundField

from frontend import cart

register = template.Library()

CENT = Decimal("0.01")


@register.simple_tag(takes_context=True)
def cart_count(context: dict[str, Any]) -> int:
    request = context.get("request")
    return cart.cart_count(request) if request is not None else 0


@register.inclusion_tag("frontend/_field.html")
def field(bound: BoundField, **attrs: Any) -> dict[str, Any]:
    widget = bound.field.widget.__class__.__name__
    return {
        "f": bound,
        "kind": {
            "CheckboxSelectMultiple": "group",
            "RadioSelect": "group",
            "CheckboxInput": "check",
        }.get(widget, "input"),
        "attrs": attrs,
    }


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    try:
        return mapping.get(key) if isinstance(mapping, dict) else None
    except TypeError:  # an unhashable key (a nested dict) names nobody
        return None


@register.filter
def cents(amount: Any) -> str:
    """Money to the cent, rounded half up like the studio's totals (floatformat): 0.24999 -> "0.25".
    The ledger keeps five places; a person reads cents."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except (InvalidOperation, ValueError):
        return str(amount)
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))
