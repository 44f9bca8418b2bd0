# ruff: noqa: F811  (the browser fixtures are imported from the journeys module and named as parameters)
"""In Chromium: the free re-render's three-seed picker fills in as its previews finish, the artist's
studio shows a style's live-model training, and the repeat check warns of motifs cut at the edge."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from marketplace.models import JobStatus, LineStage, Order, OrderStatus, Personalization
from marketplace.selectors import rerender_seed_choices
from marketplace.services.catalogue import PatternRepeat, pattern_create
from marketplace.services.orders import OrderLineRequest, order_create
from marketplace.services.personalizations import personalization_create
from stylization.engine import StyleParams
from stylization.engine.feedforward import load_model_file
from stylization.engine.patterns import pattern_plane
from stylization.models import StyleModel, StyleModelStatus
from stylization.selectors import style_model_config, style_model_identity
from stylization.services import encoder_identity
from tests.benchmarks._common import DEMO_STYLE_MODELS, DEMO_STYLES
from tests.conftest import image_bytes
from tests.e2e.test_e2e_journeys import _e2e_settings, browser, log_in, new_page  # noqa: F401

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
SHOTS = Path(
    os.environ.get("MOTIF_SHOTS_DIR", Path(__file__).resolve().parents[2] / "test-artifacts" / "studio")
)


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_the_buyer_picks_a_re_render_from_three_seed_previews(
    new_page, buyer, pattern, style, products
) -> None:
    personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style, seed=5)
    order = order_create(buyer=buyer, lines=[OrderLineRequest(personalization, products["swatch"], 1)])
    line = order.lines.get()
    line.print_png.save("print.png", ContentFile(image_bytes(96, 96)), save=False)
    line.print_sheet.save("print-sheet.png", ContentFile(image_bytes(300, 200)), save=False)
    line.stage = LineStage.PROOF_READY
    line.render_info = {"sheet_px": [300, 200]}
    line.save()
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.PROOF_READY)

    page = new_page(1280, 900)
    log_in(page, buyer)
    page.goto(f"/orders/{order.pk}/")
    page.get_by_test_id("show-variations").click()
    page.wait_for_selector('[data-testid="seed-choice"][data-status="queued"]')
    _shot(page, "01-seed-picker-rendering")

    # The previews finish (here painted by the shipped Starry Night live model with each seed, as
    # the preview job would with a ready model), and the picker fills in by itself.
    model = load_model_file(DEMO_STYLE_MODELS / "starry_night.pt").with_style_palette(
        Image.open(DEMO_STYLES / "starry_night.jpg")
    )
    base = pattern_plane("half_drop", size=192, seed=101, kind="motifs", cols=1, rows=1)
    for preview in Personalization.objects.filter(buyer=buyer, seed__in=rerender_seed_choices(line=line)):
        tile = model.stylize(
            base, repeat="half_drop", params=StyleParams(seed=preview.seed), long_side=192
        ).image
        preview.preview.save("preview.png", ContentFile(_png(tile)), save=False)
        preview.status = JobStatus.DONE
        preview.save()
    page.wait_for_function("document.querySelectorAll('[data-testid=seed-choice] img').length === 3")
    page.wait_for_function(
        "[...document.querySelectorAll('[data-testid=seed-choice] img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    page.locator('[data-testid="seed-choice"]').nth(1).locator("input").check()
    _shot(page, "02-seed-picker-ready")
    page.get_by_role("button", name="Re-render with this one").click()
    page.wait_for_selector("text=Rendering a new proof with the variation you picked.")
    line.refresh_from_db()
    assert line.rerenders_used == 1


def test_the_artist_sees_the_live_model_training(new_page, artist, style) -> None:
    encoder_name, encoder_sha = encoder_identity()
    config = style_model_config()
    StyleModel.objects.update_or_create(
        style=style,
        identity=style_model_identity(style=style, encoder_sha256=encoder_sha),
        defaults={
            "style_sha256": style.image_sha256,
            "encoder_name": encoder_name,
            "encoder_sha256": encoder_sha,
            "config": config.as_dict(),
            "config_sha256": config.sha256(),
            "status": StyleModelStatus.TRAINING,
            "progress": 40,
        },
    )
    page = new_page(1280, 900)
    log_in(page, artist)
    page.goto("/studio/artist/")
    status = page.get_by_test_id("style-model-status")
    assert "Training the live model: 40 %" in status.inner_text()
    status.scroll_into_view_if_needed()
    _shot(page, "03-style-studio-model-training")


def test_the_designer_is_warned_of_motifs_cut_at_the_edge(new_page, designer) -> None:
    cropped = pattern_plane("basic", size=320, seed=41, kind="motifs", cols=2, rows=2).crop((0, 0, 256, 256))
    cut = pattern_create(
        designer=designer,
        title="Cut at the edge",
        image=_png(cropped),
        repeat=PatternRepeat(repeat_type="basic", dpi=72),
    )
    page = new_page(1280, 900)
    log_in(page, designer)
    page.goto(f"/studio/designer/patterns/{cut.pk}/")
    page.get_by_test_id("edge-cut-warning").wait_for()
    page.wait_for_timeout(500)  # the tiled canvas draws after its image loads
    _shot(page, "04-pattern-edit-edge-cut-warning")
