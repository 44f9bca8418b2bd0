import threading
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from marketplace.errors import Conflict
from marketplace.models import InvalidTransition, Order, OrderStatus, Style
from marketplace.services.catalogue import style_update
from marketplace.services.licence_terms import LicenceTerms
from marketplace.services.orders import (
    order_cancel,
    order_checkout,
    order_mark_paid,
    order_mark_refunded,
    order_payment_abandoned,
)
from marketplace.services.personalizations import personalization_create
from tests.conftest import SHIP_TO
from tests.factories import order_make, order_of_patterns_make


@pytest.fixture
def personalization(buyer: Any, pattern: Any, style: Any) -> Any:
    return personalization_create(buyer=buyer, base_pattern=pattern, style=style, strength=0.5, seed=3)


def test_order_freezes_prices_licence_version_and_split(
    buyer: Any, personalization: Any, products: Any
) -> None:
    order = order_make(buyer=buyer, personalization=personalization, size=products["yard"], quantity=2)
    line = order.lines.get()
    assert order.total == Decimal("48.00") and line.unit_price == Decimal("24.00")
    assert line.licence_version == personalization.style.licence
    assert (line.style_fee, line.artist_royalty_percent, line.designer_royalty_percent) == (
        Decimal("2.00"),
        Decimal("10.00"),
        Decimal("5.00"),
    )
    style_update(
        style=personalization.style,
        actor=personalization.style.artist,
        terms=LicenceTerms(
            allowed_uses=("personal",), fee_per_use=Decimal("9"), royalty_percent=Decimal("30")
        ),
    )
    line.refresh_from_db()
    assert line.licence_version.version == 1 and line.style_fee == Decimal("2.00")


def test_commercial_product_needs_a_commercial_licence(
    buyer: Any, pattern: Any, make_style: Any, products: Any
) -> None:
    personal_only = make_style(allowed_uses=("personal",))
    p = personalization_create(buyer=buyer, base_pattern=pattern, style=personal_only)
    with pytest.raises(ValidationError, match="does not allow commercial"):
        order_make(buyer=buyer, personalization=p, size=products["commercial"])
    assert order_make(buyer=buyer, personalization=p, size=products["swatch"]).status == OrderStatus.DRAFT


def test_own_image_is_for_personal_use_only(buyer: Any, pattern: Any, products: Any) -> None:
    from tests.conftest import image_bytes

    p = personalization_create(buyer=buyer, base_pattern=pattern, style_image=image_bytes(120, 120))
    assert p.style_image_sha256
    with pytest.raises(ValidationError, match="personal use only"):
        order_make(buyer=buyer, personalization=p, size=products["commercial"])
    line = order_make(buyer=buyer, personalization=p, size=products["swatch"]).lines.get()
    assert line.licence_version is None and line.style_fee == 0


def test_royalties_over_100_percent_are_refused(
    buyer: Any, make_pattern: Any, make_style: Any, products: Any
) -> None:
    greedy_style = make_style(royalty_percent=Decimal("60"), fee_per_use=Decimal("0"))
    greedy_pattern = make_pattern(royalty=Decimal("50"))
    p = personalization_create(buyer=buyer, base_pattern=greedy_pattern, style=greedy_style)
    with pytest.raises(ValidationError, match="more than 100"):
        order_make(buyer=buyer, personalization=p, size=products["swatch"])
    assert not Order.objects.exists()


def test_fee_larger_than_the_price_is_refused(
    buyer: Any, pattern: Any, make_style: Any, products: Any
) -> None:
    p = personalization_create(buyer=buyer, base_pattern=pattern, style=make_style(fee_per_use=Decimal("50")))
    with pytest.raises(ValidationError, match="more than the price"):
        order_make(buyer=buyer, personalization=p, size=products["swatch"])


def test_bad_order_input_gets_400(buyer: Any, personalization: Any, products: Any, client_for: Any) -> None:
    client = client_for(buyer)
    line = {
        "personalization": personalization.pk,
        "product": products["swatch"].product_id,
        "size": "swatch-8x8",
    }
    assert (
        client.post("/api/v1/orders/", {"lines": [{**line, "quantity": -1}]}, format="json").status_code
        == 400
    )
    assert (
        client.post("/api/v1/orders/", {"lines": [{**line, "quantity": 0}]}, format="json").status_code == 400
    )
    assert client.post("/api/v1/orders/", {"lines": []}, format="json").status_code == 400
    bad_size = client.post(
        "/api/v1/orders/", {"lines": [{**line, "size": "acre", "quantity": 1}]}, format="json"
    )
    assert bad_size.status_code == 400 and "swatch-8x8" in str(bad_size.json())
    extra = client.post(
        "/api/v1/orders/", {"lines": [{**line, "quantity": 1, "price": "0.01"}]}, format="json"
    )
    assert extra.status_code == 400
    assert not Order.objects.exists()
    ok = client.post("/api/v1/orders/", {"lines": [{**line, "quantity": 3}]}, format="json")
    assert ok.status_code == 201 and ok.json()["total"] == "15.00"


def test_order_state_machine_refuses_illegal_transitions(
    buyer: Any, personalization: Any, products: Any
) -> None:
    order = order_make(buyer=buyer, personalization=personalization, size=products["swatch"])
    with pytest.raises(InvalidTransition):
        order.transition_to(OrderStatus.READY)
    assert order_mark_paid(order=order).status == OrderStatus.DRAFT  # not awaiting payment: nothing happens
    order = order_checkout(order=order, actor=buyer, shipping_address=SHIP_TO)
    assert order.status == OrderStatus.AWAITING_PAYMENT
    order = order_mark_paid(order=order)
    assert order.status == OrderStatus.PAID and order.paid_at
    assert order_mark_paid(order=order).paid_at == order.paid_at  # idempotent
    with pytest.raises(Conflict):
        order_cancel(order=order, actor=buyer)


def test_edition_limit_counts_checkouts_and_comes_back_on_decline_and_refund(
    buyer: Any, pattern: Any, make_style: Any, products: Any
) -> None:
    limited = make_style(max_uses=1)
    first = order_of_patterns_make(buyer=buyer, style=limited, lines=[(pattern, products["swatch"], 1)])
    second = order_of_patterns_make(buyer=buyer, style=limited, lines=[(pattern, products["swatch"], 1)])
    order_checkout(order=first, actor=buyer, shipping_address=SHIP_TO)
    with pytest.raises(Conflict, match="sold out"):
        order_checkout(order=second, actor=buyer, shipping_address=SHIP_TO)
    order_payment_abandoned(order=first)
    limited.refresh_from_db()
    assert limited.uses_taken == 0
    order_checkout(order=second, actor=buyer, shipping_address=SHIP_TO)
    order_mark_paid(order=second)
    order_mark_refunded(order=second)
    limited.refresh_from_db()
    assert limited.uses_taken == 0


def test_exclusive_style_sells_once(
    buyer: Any, pattern: Any, make_style: Any, products: Any, client_for: Any, settings: Any
) -> None:
    settings.DEBUG = True  # checkout goes through the local test gateway, which only runs in DEBUG
    exclusive = make_style(exclusive=True)
    orders = [
        order_of_patterns_make(buyer=buyer, style=exclusive, lines=[(pattern, products["swatch"], 1)])
        for _ in range(2)
    ]
    client = client_for(buyer)
    assert (
        client.post(
            f"/api/v1/orders/{orders[0].pk}/checkout/", {"shipping_address": SHIP_TO}, format="json"
        ).status_code
        == 200
    )
    refused = client.post(
        f"/api/v1/orders/{orders[1].pk}/checkout/", {"shipping_address": SHIP_TO}, format="json"
    )
    assert refused.status_code == 409 and "sold out" in refused.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_edition_limit_holds_under_concurrent_checkouts(
    make_user: Any, make_pattern: Any, make_style: Any, products: Any
) -> None:
    edition = 3
    style = make_style(max_uses=edition)
    pattern = make_pattern()
    buyers = [make_user("buyer") for _ in range(8)]
    orders = [
        order_of_patterns_make(buyer=b, style=style, lines=[(pattern, products["swatch"], 1)]) for b in buyers
    ]
    barrier = threading.Barrier(len(orders))
    outcomes: list[str] = []

    def checkout(order: Order, who: Any) -> None:
        try:
            barrier.wait()
            order_checkout(order=order, actor=who, shipping_address=SHIP_TO)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("sold out")
        finally:
            connection.close()

    threads = [threading.Thread(target=checkout, args=(o, b)) for o, b in zip(orders, buyers, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] * edition + ["sold out"] * (len(orders) - edition)
    assert Style.objects.get(pk=style.pk).uses_taken == edition
    assert Order.objects.filter(status=OrderStatus.AWAITING_PAYMENT).count() == edition
