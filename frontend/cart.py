"""The cart: a list of (personalization, product size, quantity) kept in the session. Nothing in it is
trusted: prices, licences and ownership are checked again by `order_create` at checkout."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpRequest

from marketplace import selectors
from marketplace.models import MAX_ORDER_LINES, Personalization, ProductSize, User

SESSION_KEY = "motif_cart"


@dataclass(frozen=True)
class CartLine:
    index: int
    personalization: Personalization
    size: ProductSize
    quantity: int

    @property
    def total(self) -> Decimal:
        return self.size.price * self.quantity


def _raw(request: HttpRequest) -> list[dict[str, int]]:
    raw: Any = request.session.get(SESSION_KEY, [])
    return [line for line in raw if isinstance(line, dict)] if isinstance(raw, list) else []


def cart_add(request: HttpRequest, *, personalization_id: int, size_id: int, quantity: int) -> None:
    lines = _raw(request)[: MAX_ORDER_LINES - 1]
    lines.append({"personalization": personalization_id, "size": size_id, "quantity": quantity})
    request.session[SESSION_KEY] = lines


def cart_remove(request: HttpRequest, *, index: int) -> None:
    lines = _raw(request)
    if 0 <= index < len(lines):
        del lines[index]
    request.session[SESSION_KEY] = lines


def cart_clear(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def cart_count(request: HttpRequest) -> int:
    return len(_raw(request))


def sizes_by_id() -> dict[int, ProductSize]:
    return {size.pk: size for product in selectors.product_list() for size in product.sizes.all()}


def cart_lines(request: HttpRequest, *, buyer: User) -> list[CartLine]:
    """The lines that still refer to the buyer's own personalizations and to offered sizes."""
    raw = _raw(request)
    ids = {int(line.get("personalization", 0)) for line in raw}
    personalizations = {
        p.pk: p
        for p in selectors.personalization_list(buyer=buyer)
        .select_related("style__licence")
        .filter(pk__in=ids)
    }
    sizes = sizes_by_id()
    lines = []
    for index, line in enumerate(raw):
        personalization = personalizations.get(line.get("personalization", 0))
        size = sizes.get(line.get("size", 0))
        if personalization is not None and size is not None:
            lines.append(CartLine(index, personalization, size, int(line.get("quantity", 1))))
    return lines
