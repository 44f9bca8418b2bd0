"""Template helpers for the pages: the cart badge and one way to render a form field."""

from __future__ import annotations

from typing import Any

from django import template
from django.forms import BoundField

from frontend import cart

register = template.Library()


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
