"""The 3D mockups' product table, rendered once per page as a JSON script tag (not executed, so the
CSP is untouched) from the same sizes the server-side mockups draw (stylization/engine/mockups.py)."""

from __future__ import annotations

from dataclasses import asdict

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString

from stylization.engine.mockups import CHAIR_HEIGHT_IN, MOCKUP_PRODUCTS

register = template.Library()


@register.simple_tag
def mockup_products_json() -> SafeString:
    products = [asdict(p) for p in MOCKUP_PRODUCTS.values()]
    return json_script({"products": products, "chair_height_in": CHAIR_HEIGHT_IN}, "mockup-products")
