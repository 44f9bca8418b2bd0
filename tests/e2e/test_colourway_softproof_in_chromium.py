"""Colourways and the soft proof in a real browser (headless Chromium, Playwright): the buyer picks a
new colour in the configurator's palette row and the personalization carries it; a finished colourway
preview shows its out-of-gamut badge and the mockup; on the order page "How it prints on fabric" swaps
the proof for the soft proof, and a line mostly out of gamut is named beside the approve button.
Screenshots go to test-artifacts/colour/ (and to MOTIF_SHOTS_DIR when it is set)."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.files.base import ContentFile
from PIL import Image

from marketplace.models import JobStatus, Personalization, ProductSize, Style, User
from marketplace.services.catalogue import PatternRepeat, pattern_create
from stylization.engine.colourway import colourway_apply
from stylization.engine.patterns import generate_pattern
from tests.e2e import test_e2e_journeys as journeys
from tests.e2e.test_e2e_journeys import log_in
from tests.e2e.test_mockups_in_chromium import _proof_ready_line, _watch

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "colour"
browser = journeys.browser
new_page = journeys.new_page
_settings = journeys._e2e_settings
SATURATED = "#0000ff"  # sRGB blue: no CMYK press reaches it


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _shot(page_or_locator: Any, name: str, **kw: Any) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page_or_locator.screenshot(path=str(path), **kw)
    if os.environ.get("MOTIF_SHOTS_DIR"):
        shutil.copy(path, Path(os.environ["MOTIF_SHOTS_DIR"]) / path.name)
    return path


def test_buyer_chooses_a_colourway_and_sees_how_it_prints(
    new_page: Callable[..., Any],
    make_user: Callable[..., User],
    style: Style,
    products: dict[str, ProductSize],
) -> None:
    designer, buyer = make_user("designer"), make_user("buyer")
    tile = generate_pattern("half_drop", size=192, seed=2, kind="motifs")
    pattern = pattern_create(
        designer=designer,
        title="Garden motifs",
        image=_png(tile),
        repeat=PatternRepeat(repeat_type="half_drop", dpi=72, royalty_percent=Decimal("5")),
        tags=("garden",),
    )
    palette = pattern.palette
    assert len(palette) >= 3
    page = new_page()
    seen = _watch(page)
    log_in(page, buyer)

    # 1. The palette row of the chosen pattern; a new colour goes into the personalization's params.
    page.goto(f"/configure/?pattern={pattern.pk}&style={style.pk}")
    row = page.locator(f"[data-testid=colourway][data-pattern='{pattern.pk}']")
    assert row.is_visible()
    assert row.locator("input[type=color]").count() == len(palette)
    page.locator(f"input[name='colourway-{palette[1][1:]}']").fill(SATURATED)
    page.get_by_role("button", name="Preview").click()
    page.wait_for_selector("#job[data-job]")
    created = Personalization.objects.filter(buyer=buyer).latest("pk")
    assert created.colourway == {palette[1]: SATURATED}

    # 2. A finished colourway preview (as the worker leaves it): the badge and the mockup.
    created.preview.save(
        "p.png", ContentFile(_png(colourway_apply(tile, palette, created.colourway))), save=False
    )
    created.status, created.progress = JobStatus.DONE, 100
    created.save()
    page.goto(f"/configure/?pattern={pattern.pk}&style={style.pk}&job={created.pk}")
    assert row.is_visible()
    badge = page.locator("[data-testid=colourway-gamut]").first
    assert "Out of gamut on fabric" in badge.inner_text() and SATURATED in badge.inner_text()
    assert page.locator(f"input[name='colourway-{palette[1][1:]}']").input_value() == SATURATED
    page.wait_for_timeout(300)
    _shot(page, "configurator-colourway", full_page=True)

    # 3. The proof page: a proof-ready line of a mostly saturated preview, and its soft proof toggle.
    flooded = np.asarray(colourway_apply(tile, palette, {palette[0]: SATURATED, palette[1]: "#ff00ff"}))
    proofed = Personalization.objects.create(
        buyer=buyer, base_pattern=pattern, style=style, status=JobStatus.DONE, progress=100
    )
    proofed.preview.save("p.png", ContentFile(_png(Image.fromarray(flooded))))
    line = _proof_ready_line(buyer, proofed, products["swatch"])
    page.goto(f"/orders/{line.order_id}/")
    soft = page.locator("[data-testid=soft-proof]")
    assert page.locator("[data-testid=approve-gamut-warning]").is_visible()
    assert page.locator("[data-testid=gamut-warning]").is_visible()
    share = float(soft.get_attribute("data-out-of-gamut") or "nan")
    assert share >= 0.25
    shown = soft.locator("[data-testid=soft-proof-image]")
    assert not shown.is_visible()
    page.locator("[data-testid=soft-proof-toggle]").check()
    assert shown.is_visible()
    page.wait_for_function("document.querySelector('[data-testid=soft-proof-image]').naturalWidth > 0")
    assert f"{100 * share:.1f} %" in soft.locator("[data-testid=soft-proof-figures]").inner_text()
    _shot(soft, "proof-soft-proof-on")
    page.locator("[data-testid=gamut-toggle]").check()
    page.wait_for_timeout(200)
    _shot(soft, "proof-gamut-warning")
    _shot(page, "order-page-soft-proof", full_page=True)
    assert not seen["csp"] and not seen["error"], seen
