"""Issue 18 in a real browser: the artist asks, in the studio, for attribution and to approve each
derivative; a buyer's print is made by the embedded worker and waits; the artist sees the proof in
the studio and approves it; the buyer's proof then shows, and the QR code on the print sheet's
selvedge decodes to the record's public verify URL, which a visitor opens.
Screenshots go to test-artifacts/e2e/<test name>/."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from marketplace.models import LineStage, User
from marketplace.services.orders import OrderLineRequest, order_checkout, order_create, order_mark_paid
from marketplace.services.personalizations import personalization_create
from tests.conftest import SHIP_TO, create_products, join_all
from tests.e2e.test_e2e_journeys import (  # noqa: F401  (fixtures, registered by importing them)
    TIMEOUT_MS,
    Shots,
    _e2e_settings,
    browser,
    listed,
    log_in,
    new_page,
    shots,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_artist_approves_the_derivative_and_the_selvedge_qr_opens_the_record(
    worker: Any,
    new_page: Callable[..., Any],  # noqa: F811
    shots: Shots,  # noqa: F811
    make_user: Callable[..., User],
    tmp_path: Path,
    live_server: Any,
) -> None:
    import zxingcpp

    artist, designer, buyer = make_user("artist"), make_user("designer"), make_user("buyer")
    style, pattern = listed(artist, designer, repeat_type="basic")
    sizes = create_products(swatch_inches=4)

    studio = new_page()
    log_in(studio, artist)
    studio.goto("/studio/artist/")
    card = studio.locator(f"[data-style='{style.pk}']")
    card.get_by_text("Change licence terms").click()
    card.get_by_label("Print my name on the selvedge").check()
    card.get_by_label("Approve each design before it is printed").check()
    shots(studio, "studio-licence-terms")
    card.get_by_role("button", name="Save as a new version").press("Enter")
    studio.get_by_text("now sells under licence version 2").wait_for()
    style.refresh_from_db()
    assert (
        style.licence is not None and style.licence.attribution_required and style.licence.requires_approval
    )

    job = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    order = order_create(buyer=buyer, lines=[OrderLineRequest(job, sizes["swatch"], 1)])
    order_checkout(order=order, actor=buyer, shipping_address=SHIP_TO)
    order_mark_paid(order=order)  # the worker makes the line's files on commit
    join_all()
    line = order.lines.get()
    assert line.stage == LineStage.AWAITING_ARTIST_APPROVAL

    page = new_page()
    log_in(page, buyer)
    page.goto(f"/orders/{order.pk}/")
    assert (
        page.get_by_role("link", name="Download Print sheet").count() == 0
    )  # not before the artist says yes

    studio.goto("/studio/artist/")
    studio.reload()  # the studio was open already: show what waits now
    approval = studio.locator(f"[data-approval='{line.artist_approvals.get().pk}']")
    proof = approval.get_by_test_id("approval-proof")
    proof.wait_for()
    assert studio.evaluate("img => img.complete && img.naturalWidth > 0", proof.element_handle())
    shots(studio, "studio-approval-waiting")
    approval.get_by_role("button", name="Approve").press("Enter")
    studio.get_by_text("Approved: the buyer now reviews the proof.").wait_for()
    shots(studio, "studio-approved")
    line.refresh_from_db()
    assert line.stage == LineStage.PROOF_READY

    page.reload()
    page.wait_for_selector("#order-status[data-status=proof_ready]", timeout=TIMEOUT_MS)
    assert page.get_by_role("link", name="licence version 2").count() == 1  # the exact version sold
    assert (
        page.get_by_role("link", name="Download Print sheet").count() == 0
    )  # the print shop gets it, not the buyer
    line.refresh_from_db()
    with line.print_sheet.open("rb") as fh:
        sheet = Image.open(io.BytesIO(fh.read())).convert("RGB")
    repeat_h = sizes["swatch"].print_pixels(pattern.dpi)[1]
    strip = sheet.crop((0, repeat_h, sheet.width, sheet.height))
    strip.save(shots.dir / "selvedge-strip.png")
    sheet.save(shots.dir / "print-sheet-with-selvedge.png")

    record = order.lines.get().attribution_record
    decoded = [result.text for result in zxingcpp.read_barcodes(strip)]
    assert decoded == [f"{live_server.url}/api/v1/provenance/records/{record.record_id}/certificate/"]

    visitor = new_page()
    response = visitor.goto(decoded[0])
    assert response is not None and response.status == 200
    assert record.record_id in visitor.content()
    shots(visitor, "certificate-from-the-selvedge")
