"""My orders (`/orders/`): the buyer's orders, each with its honest status, thumbnails and what it
waits for, read through the API's selector, at a query count that does not grow with the page."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.models import (
    BasePattern,
    LineStage,
    Order,
    OrderStatus,
    Personalization,
    ProductionJob,
    ProductSize,
    Style,
    User,
)
from marketplace.order_display import order_display
from marketplace.services.orders import OrderLineRequest, order_create
from marketplace.services.personalizations import personalization_create
from tests.conftest import image_bytes

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def design(buyer: User, pattern: BasePattern, style: Style) -> Personalization:
    job = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    job.preview.save("preview.png", ContentFile(image_bytes(32, 32)))
    return job


def make_order(
    buyer: User,
    design: Personalization,
    size: ProductSize,
    *,
    status: str,
    stages: list[str],
    progress: int = 0,
) -> Order:
    order = order_create(buyer=buyer, lines=[OrderLineRequest(design, size, 1) for _ in stages])
    Order.objects.filter(pk=order.pk).update(status=status)
    for line, stage in zip(order.lines.order_by("pk"), stages, strict=True):
        line.stage = stage
        line.render_progress = progress if stage == LineStage.RENDERING else 0
        line.save(update_fields=["stage", "render_progress"])
        if stage == LineStage.SHIPPED:
            ProductionJob.objects.create(
                order_line=line,
                carrier="Royal Mail",
                carrier_code="royal_mail",
                tracking_number="AB 123456789GB",
                shipped_at=timezone.now(),
            )
    order.refresh_from_db()
    return order


def test_my_orders_needs_an_account(client: Client) -> None:
    answer = client.get("/orders/")
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")


def test_the_header_links_my_orders_for_a_signed_in_buyer_only(client: Client, buyer: User) -> None:
    assert 'data-testid="my-orders"' not in client.get("/").content.decode()
    assert 'href="/orders/"' in logged_in(buyer).get("/").content.decode()


def test_my_orders_lists_only_the_buyers_orders_with_status_thumbnails_and_what_each_waits_for(
    buyer: User, make_user: Any, design: Personalization, products: dict[str, ProductSize]
) -> None:
    swatch = products["swatch"]
    proof = make_order(buyer, design, swatch, status=OrderStatus.PROOF_READY, stages=[LineStage.PROOF_READY])
    shipped = make_order(
        buyer, design, swatch, status=OrderStatus.SHIPPED, stages=[LineStage.SHIPPED, LineStage.IN_PRODUCTION]
    )
    someone = make_user("buyer")
    theirs = personalization_create(buyer=someone, base_pattern=design.base_pattern, style=design.style)
    other = make_order(someone, theirs, swatch, status=OrderStatus.PAID, stages=[LineStage.QUEUED])

    page = logged_in(buyer).get("/orders/").content.decode()

    assert f'href="/orders/{proof.pk}/"' in page and f'href="/orders/{shipped.pk}/"' in page
    assert f'href="/orders/{other.pk}/"' not in page
    assert "Waiting for your proof approval" in page
    assert "Shipped — track your parcel" in page
    # Royal Mail's tracking page, the number quoted into its URL.
    assert "https://www.royalmail.com/track-your-item#/tracking-results/AB%20123456789GB" in page
    assert page.count(f'src="/api/v1/personalizations/{design.pk}/preview/"') == 3  # one per line


def test_an_order_whose_first_line_renders_reads_in_production_never_paid(
    buyer: User, design: Personalization, products: dict[str, ProductSize]
) -> None:
    """The stored status is still `paid` (a step moves its line, not the order); what the buyer
    reads comes from the lines: the list, the order page and the display function agree."""
    order = make_order(
        buyer,
        design,
        products["swatch"],
        status=OrderStatus.PAID,
        stages=[LineStage.RENDERING, LineStage.QUEUED],
        progress=74,
    )
    display = order_display(order=order)
    assert (display.status, display.label, display.progress) == (
        OrderStatus.RENDERING,
        "In production: rendering",
        74,
    )
    client = logged_in(buyer)
    for url in ("/orders/", f"/orders/{order.pk}/"):
        page = client.get(url).content.decode()
        assert "In production: rendering" in page and "Rendering the print files: 74 %" in page
        assert 'data-testid="order-status">Paid<' not in page


def test_a_paid_order_whose_lines_wait_in_the_queue_says_so(
    buyer: User, design: Personalization, products: dict[str, ProductSize]
) -> None:
    order = make_order(buyer, design, products["swatch"], status=OrderStatus.PAID, stages=[LineStage.QUEUED])
    assert order_display(order=order).waiting_for == "Queued for the renderer"


def test_an_approval_only_the_artist_can_give_is_not_called_proof_ready(
    buyer: User, design: Personalization, products: dict[str, ProductSize]
) -> None:
    order = make_order(
        buyer,
        design,
        products["swatch"],
        status=OrderStatus.PROOF_READY,
        stages=[LineStage.AWAITING_ARTIST_APPROVAL],
    )
    display = order_display(order=order)
    assert display.label == display.waiting_for == "Waiting for the artist's approval"


def _queries_for_my_orders(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/orders/").status_code == 200
    return len(queries)


def test_my_orders_costs_the_same_queries_for_two_orders_as_for_ten(
    buyer: User, design: Personalization, products: dict[str, ProductSize]
) -> None:
    client = logged_in(buyer)
    stages = [LineStage.SHIPPED, LineStage.RENDERING, LineStage.PROOF_READY]
    for _ in range(2):
        make_order(buyer, design, products["swatch"], status=OrderStatus.PAID, stages=stages)
    two = _queries_for_my_orders(client)
    for _ in range(8):
        make_order(buyer, design, products["swatch"], status=OrderStatus.PAID, stages=stages)
    ten = _queries_for_my_orders(client)
    assert two == ten


def test_my_orders_is_paginated(
    buyer: User, design: Personalization, products: dict[str, ProductSize]
) -> None:
    orders = [
        make_order(buyer, design, products["swatch"], status=OrderStatus.PAID, stages=[LineStage.QUEUED])
        for _ in range(12)
    ]
    client = logged_in(buyer)
    first, second = client.get("/orders/").content.decode(), client.get("/orders/?page=2").content.decode()
    assert "Page 1 of 2" in first and f'href="/orders/{orders[0].pk}/"' not in first
    assert f'href="/orders/{orders[0].pk}/"' in second and f'href="/orders/{orders[-1].pk}/"' not in second
    assert client.get("/orders/?page=oops").status_code == 200  # a bad page number is the first page
