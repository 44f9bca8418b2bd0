"""The cart in Chromium (issue 26, item 4): a US address with its state chosen from the country's
own list, a line whose licence needs the artist's approval saying so with the time limit, and the
payment page that shows the address instead of asking for it again. The screenshots go to
test-artifacts/e2e/<test name>/, and to $CHECKOUT_SHOTS_DIR when it is set."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.sessions.backends.db import SessionStore

from frontend.cart import SESSION_KEY
from marketplace.models import Order, User
from marketplace.services.personalizations import personalization_create
from tests.conftest import create_products
from tests.e2e.test_e2e_journeys import (  # noqa: F401  (the module's browser fixtures)
    Shots,
    _e2e_settings,
    browser,
    log_in,
    new_page,
    pytestmark,
    shots,
)


def _fill_cart(page: Any, lines: list[dict[str, int]]) -> None:
    """The signed-in browser's cart, as "Add to cart" leaves it in the session."""
    cookie = next(c for c in page.context.cookies() if c["name"] == "sessionid")
    session = SessionStore(session_key=cookie["value"])
    session[SESSION_KEY] = lines
    session.save()


def test_the_cart_asks_a_us_state_names_the_approval_and_the_payment_page_asks_nothing_again(
    stylization_worker: Any,
    new_page: Callable[..., Any],  # noqa: F811
    shots: Shots,  # noqa: F811
    make_user: Callable[..., User],
    make_style: Callable[..., Any],
    make_pattern: Callable[..., Any],
    settings: Any,
) -> None:
    settings.ARTIST_APPROVAL_TIMEOUT_S = 5 * 86400
    buyer = make_user("buyer")
    approval_style, free_style = make_style(requires_approval=True), make_style()
    pattern = make_pattern()
    sizes = create_products(swatch_inches=4)
    jobs = [
        personalization_create(buyer=buyer, base_pattern=pattern, style=style)
        for style in (approval_style, free_style)
    ]
    deadline = time.monotonic() + 180
    while any(not job.preview for job in jobs) and time.monotonic() < deadline:
        time.sleep(0.5)
        for job in jobs:
            job.refresh_from_db()

    page = new_page()
    log_in(page, buyer)
    _fill_cart(
        page,
        [
            {"personalization": jobs[0].pk, "size": sizes["yard"].pk, "quantity": 1},
            {"personalization": jobs[1].pk, "size": sizes["swatch"].pk, "quantity": 2},
        ],
    )
    page.goto("/cart/?country=US")
    notices = page.get_by_test_id("approval-notice")
    assert notices.count() == 1
    assert notices.inner_text().startswith("The artist approves this design before printing — up to 5 days.")
    # 24.00 + 2 × 5.00 of fabric to the US, one parcel: 4.00 once and 1.50 an item.
    assert page.get_by_test_id("cart-shipping").inner_text() == "8.50"
    assert page.get_by_test_id("cart-total").inner_text() == "42.50"

    page.get_by_label("Full name").fill("Bea Buyer")
    page.get_by_label("Address", exact=True).fill("1 Test Street")
    page.get_by_label("City").fill("Springfield")
    page.get_by_label("Postal code").fill("62701")
    page.get_by_label("Country").select_option("US")
    region = page.get_by_label("State, province or region")
    # Only the chosen country's regions are offered (the others' groups are hidden).
    shown = region.evaluate(
        "s => [...s.querySelectorAll('optgroup')].filter(g => !g.hidden).map(g => g.label)"
    )
    assert shown == ["United States of America"], shown
    region.select_option("US:IL")
    page.get_by_label("Country").select_option("CA")
    assert region.input_value() == ""  # Illinois is no province of Canada
    page.get_by_label("Country").select_option("US")
    region.select_option("US:IL")
    path = shots(page, "cart-us-state-approval")
    target = os.environ.get("CHECKOUT_SHOTS_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)

    page.get_by_role("button", name="Checkout").click()
    page.wait_for_url(re.compile(r"/payments/local/\d+/"))
    order = Order.objects.get(buyer=buyer)
    assert order.shipping_address is not None and order.shipping_address["state"] == "IL"
    assert page.get_by_test_id("to-pay").inner_text() == "42.50 USD"  # what the cart showed
    assert page.locator("input[name^=ship-]").count() == 0  # the address is not asked again
    assert "Springfield, Illinois" in page.get_by_test_id("ship-to").inner_text()
    assert page.get_by_test_id("approval-notice").count() == 1
    path = shots(page, "payment-page")
    if target:
        shutil.copy(path, Path(target) / path.name)
