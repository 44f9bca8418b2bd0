"""Issue 27's journey in Chromium (WebGL on SwiftShader, no GPU): choose a colourway, see it on a
cushion, buy a yard, toggle the soft proof on the proof, approve it, order a swatch of that exact proof
from the order page, pay for it, and find its price credited in the cart when the yard is ordered again.

The colourway and the soft proof are wired into the pages by another branch (p2-proof). Where this
branch's pages do not have them yet, the journey drives their API contract instead (`params.colourway`
from the pattern's `palette`; `GET /personalizations/{id}/softproof/`), and says so in its output;
with neither present it says that too and goes on with the rest. Screenshots: test-artifacts/e2e/<test>/."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from marketplace.models import JobStatus, LineStage, Order, OrderLine, Personalization, User
from tests.conftest import create_products
from tests.e2e import test_e2e_journeys as journeys
from tests.e2e.test_e2e_journeys import TIMEOUT_MS, Shots, listed, log_in, pay_on_gateway
from tests.e2e.test_mockups_in_chromium import webgl_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

_settings = journeys._e2e_settings  # DEBUG on, the live server's URL
shots = journeys.shots
__all__ = ["webgl_browser"]  # the module-scoped SwiftShader browser, shared with the mockup test
NEW_COLOUR = "#1f6f8b"


@pytest.fixture
def webgl_page(webgl_browser: Any, live_server: Any) -> Iterator[Any]:
    context = webgl_browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 1000})
    context.set_default_timeout(60_000)
    yield context.new_page()
    context.close()


def _personalization_with_colourway(buyer: User, pattern: Any, style: Any) -> tuple[int, str]:
    """The buyer's personalization, with one colour of the pattern's palette swapped where the API
    offers colourways. Returns its id and what was done, for the output."""
    api = APIClient()
    api.force_authenticate(buyer)
    palette = api.get(f"/api/v1/patterns/{pattern.pk}/").json().get("palette")
    params: dict[str, Any] = {"seed": 1, "strength": 0.8}
    if palette:
        params["colourway"] = {palette[0]: NEW_COLOUR}
    created = api.post(
        "/api/v1/personalizations/",
        {"pattern": pattern.pk, "style": style.pk, "params": params},
        format="json",
    )
    assert created.status_code in (201, 202), created.json()
    done = (
        f"colourway {palette[0]} → {NEW_COLOUR} through the API"
        if palette
        else "no palette on this branch's pattern API: personalized without a colourway"
    )
    return created.json()["id"], done


def _wait_for(predicate: Callable[[], bool], page: Any, what: str) -> None:
    for _ in range(TIMEOUT_MS // 500):
        if predicate():
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"timed out waiting for {what}")


def _soft_proof(page: Any, shots: Shots, buyer: User, personalization_id: int) -> str:
    toggle = page.get_by_test_id("soft-proof-toggle")
    if toggle.count():
        toggle.first.scroll_into_view_if_needed()
        toggle.first.check()
        page.get_by_test_id("soft-proof-image").first.wait_for()
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-testid=soft-proof-image]')]"
            ".some(i => i.complete && i.naturalWidth > 0)"
        )
        shots(page, "soft-proof-on")
        return "soft proof toggled on the proof page"
    api = APIClient()
    api.force_authenticate(buyer)
    substrates = api.get("/api/v1/substrates/")
    if substrates.status_code != 200:
        return "no soft proof on this branch (neither the toggle nor /api/v1/substrates/)"
    listed_substrates = substrates.json()
    results = listed_substrates["results"] if isinstance(listed_substrates, dict) else listed_substrates
    slug = results[0]["substrate"]
    proof = api.get(f"/api/v1/personalizations/{personalization_id}/softproof/", {"substrate": slug})
    assert proof.status_code == 200 and proof["Content-Type"] == "image/png"
    assert 0 <= float(proof["X-Out-Of-Gamut"]) <= 1 and float(proof["X-Max-Delta-E"]) >= 0
    return f"soft proof on {slug} through the API: {proof['X-Out-Of-Gamut']} out of gamut"


def _fill_address(page: Any) -> None:
    page.get_by_label("Full name").fill("Bea Buyer")
    page.get_by_label("Address", exact=True).fill("1 Test Street")
    page.get_by_label("City").fill("Springfield")
    page.get_by_label("Postal code").fill("12345")
    page.get_by_label("Country").select_option("US")
    page.get_by_label("State, province or region").select_option("US:IL")


def test_buyer_sees_a_colourway_on_a_cushion_soft_proofs_and_orders_a_swatch_of_the_proof(
    worker: Any, webgl_page: Any, shots: Shots, make_user: Callable[..., User]
) -> None:
    page = webgl_page
    artist, designer, buyer = make_user("artist"), make_user("designer"), make_user("buyer")
    style, pattern = listed(artist, designer, repeat_type="basic")
    sizes = create_products(swatch_inches=4)  # small print files keep the journey quick
    log_in(page, buyer)

    # 1. A colourway, then the design on a cushion.
    job_id, colourway = _personalization_with_colourway(buyer, pattern, style)
    print(f"\n{colourway}")
    _wait_for(lambda: Personalization.objects.get(pk=job_id).status == JobStatus.DONE, page, "the preview")
    page.goto(f"/configure/?job={job_id}")
    page.click("[data-mockup-product='cushion']")
    page.wait_for_selector("[data-testid=mockup][data-product='cushion']")
    page.wait_for_function("Number(document.querySelector('[data-testid=mockup]').dataset.updates) >= 1")
    page.locator("[data-testid=mockup]").scroll_into_view_if_needed()
    shots(page, "colourway-on-a-cushion", full_page=False)

    # 2. A yard of it, paid through the usual checkout.
    page.get_by_label("Product and size").select_option(str(sizes["yard"].pk))
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(re.compile(r"/cart/$"))
    _fill_address(page)
    page.get_by_role("button", name="Checkout").click()
    page.wait_for_url(lambda url: "/cart/" not in url)
    yard_order = Order.objects.get(buyer=buyer)
    pay_on_gateway(page, yard_order, shots)
    page.wait_for_selector("#order-status[data-status=proof_ready]", timeout=TIMEOUT_MS)
    page.reload()
    page.get_by_test_id("proof").wait_for()
    assert page.get_by_test_id("order-swatch").count() == 0  # not before the proof is approved

    # 3. The soft proof, then approval.
    print(_soft_proof(page, shots, buyer, job_id))
    page.get_by_test_id("approve-proofs").click()
    page.locator("#confirm-approve-all").get_by_test_id("confirm-yes").click()  # approving asks first
    page.wait_for_selector("#order-status[data-status=approved]")

    # 4. A swatch of that exact proof, from the order page, paid like any order.
    swatch_button = page.get_by_test_id("order-swatch")
    assert "swatch" in swatch_button.inner_text().lower()
    swatch_button.scroll_into_view_if_needed()
    shots(page, "approved-proof-with-swatch-button")
    swatch_button.click()
    page.wait_for_url(lambda url: f"/orders/{yard_order.pk}/" not in url)
    swatch_line = OrderLine.objects.select_related("order").get(swatch_of__order=yard_order)
    assert page.get_by_test_id("swatch-of").count() == 1
    _fill_address(page)
    shots(page, "swatch-order-to-pay")
    page.get_by_role("button", name="Checkout").click()
    pay_on_gateway(page, swatch_line.order, shots)
    _wait_for(
        lambda: OrderLine.objects.get(pk=swatch_line.pk).stage == LineStage.APPROVED, page, "the swatch"
    )
    page.reload()
    assert page.get_by_test_id("line-stage").first.get_attribute("data-stage") == "approved"
    shots(page, "swatch-approved-with-its-proof")

    # 5. The yard again: the swatch's price is credited in the cart.
    page.goto(f"/configure/?job={job_id}")
    page.get_by_label("Product and size").select_option(str(sizes["yard"].pk))
    page.get_by_role("button", name="Add to cart").click()
    page.wait_for_url(re.compile(r"/cart/$"))
    credit = Decimal(page.get_by_test_id("cart-swatch-credit").inner_text().lstrip("−"))
    assert credit == sizes["swatch"].price
    shots(page, "cart-with-swatch-credit")
