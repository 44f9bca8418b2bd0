"""Confirm-first in a real browser: with JavaScript the buyer's cancel and approve open a dialog
that says what will happen (going back does nothing, confirming acts); without JavaScript the same
buttons lead to a confirmation page whose button acts. Screenshots of My orders and the dialog go
to test-artifacts/e2e/<test name>/ (and to $MOTIF_SHOTS_DIR when it is set)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from marketplace.models import LineStage, Order, OrderLine, OrderStatus, ProductionJob, User
from marketplace.services.orders import OrderLineRequest, order_create
from marketplace.services.personalizations import personalization_create
from tests.conftest import create_products, image_bytes
from tests.e2e.test_e2e_journeys import (  # noqa: F401  (fixtures)
    Shots,
    _e2e_settings,
    browser,
    listed,
    log_in,
    new_page,
    shots,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _orders(buyer: User, make_user: Callable[..., User]) -> tuple[Order, OrderLine]:
    """Three orders: one rendering, one shipped, and one whose proof waits for the buyer (returned)."""
    style, pattern = listed(make_user("artist"), make_user("designer"))
    sizes = create_products(swatch_inches=4)
    design = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    design.preview.save("preview.png", ContentFile(image_bytes(64, 64, seed=3)))

    def order(status: str, stage: str, **line_fields: Any) -> Order:
        made = order_create(buyer=buyer, lines=[OrderLineRequest(design, sizes["swatch"], 1)])
        Order.objects.filter(pk=made.pk).update(status=status)
        OrderLine.objects.filter(order=made).update(stage=stage, **line_fields)
        return made

    order(OrderStatus.PAID, LineStage.RENDERING, render_progress=74)
    shipped = order(OrderStatus.SHIPPED, LineStage.SHIPPED)
    ProductionJob.objects.create(
        order_line=shipped.lines.get(),
        carrier="USPS",
        carrier_code="usps",
        tracking_number="9400100000000000000000",
        shipped_at=timezone.now(),
    )
    waiting = order(OrderStatus.PROOF_READY, LineStage.PROOF_READY)
    return waiting, waiting.lines.get()


def _keep(path: Path, name: str) -> None:
    target = os.environ.get("MOTIF_SHOTS_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(target) / name)


def test_with_javascript_cancel_and_approve_ask_in_a_dialog_first(
    new_page: Callable[..., Any],  # noqa: F811
    shots: Shots,  # noqa: F811
    make_user: Callable[..., User],
) -> None:
    buyer = make_user("buyer")
    order, line = _orders(buyer, make_user)
    page = new_page()
    log_in(page, buyer)

    page.get_by_test_id("my-orders").click()
    page.wait_for_url("**/orders/")
    assert page.get_by_test_id("order-row").count() == 3
    assert (
        "In production: rendering" in page.content() and "Waiting for your proof approval" in page.content()
    )
    # Every line's thumbnail loads (the lazy images are all in view).
    page.wait_for_function(
        "[...document.querySelectorAll('.order-list img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    _keep(shots(page, "my-orders"), "my-orders.png")

    page.goto(f"/orders/{order.pk}/")
    dialog = page.locator(f"#confirm-cancel-{line.pk}")
    assert not dialog.is_visible()
    page.get_by_test_id("cancel-line").click()
    dialog.wait_for(state="visible")
    assert "is refunded to your card" in dialog.inner_text()
    _keep(shots(page, "cancel-dialog", full_page=False), "confirm-cancel-dialog.png")
    dialog.get_by_role("button", name="Go back").click()
    dialog.wait_for(state="hidden")
    line.refresh_from_db()
    assert line.stage == LineStage.PROOF_READY  # going back did nothing

    page.get_by_test_id("approve-line").click()
    approve = page.locator(f"#confirm-approve-{line.pk}")
    approve.wait_for(state="visible")
    assert "printing can start at once" in approve.inner_text()
    approve.get_by_test_id("confirm-yes").click()
    page.wait_for_selector("#order-status[data-status=approved]")
    line.refresh_from_db()
    assert line.stage == LineStage.APPROVED


def test_without_javascript_cancel_asks_on_a_page_first(
    browser: Any,  # noqa: F811
    live_server: Any,
    shots: Shots,  # noqa: F811
    make_user: Callable[..., User],
) -> None:
    buyer = make_user("buyer")
    order, line = _orders(buyer, make_user)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, buyer)
        page.goto(f"/orders/{order.pk}/")
        assert not page.locator(f"#confirm-cancel-{line.pk}").is_visible()  # a closed dialog shows nothing
        page.get_by_test_id("cancel-line").click()
        page.wait_for_selector("[data-testid=confirm-page]")
        assert "is refunded to your card" in page.get_by_test_id("confirm-consequences").inner_text()
        _keep(shots(page, "cancel-confirmation-page"), "confirm-cancel-page-no-js.png")
        line.refresh_from_db()
        assert line.stage == LineStage.PROOF_READY
        page.get_by_test_id("confirm-yes").click()
        page.wait_for_selector("[data-testid=line-cancelled]")
        line.refresh_from_db()
        assert line.stage == LineStage.CANCELLED
    finally:
        context.close()
