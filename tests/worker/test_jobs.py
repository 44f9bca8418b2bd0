"""Jobs through the embedded worker (StubBroker + worker threads), as `make run` runs them."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from marketplace.models import JobStatus, LineStage, OrderStatus, Personalization
from marketplace.services.orders import OrderLineRequest, order_checkout, order_create, order_mark_paid
from marketplace.services.personalizations import personalization_create, personalizations_requeue_unfinished
from stylization import services as stylization_services
from tests.conftest import SHIP_TO, join_all


def test_personalization_preview_runs_in_the_embedded_worker(
    worker: Any, buyer: Any, pattern: Any, style: Any, client_for: Any
) -> None:
    client = client_for(buyer)
    response = client.post(
        "/api/v1/personalizations/",
        {"pattern": pattern.pk, "style": style.pk, "params": {"strength": 0.9, "seed": 4}},
        format="json",
    )
    assert response.status_code == 202, response.json()
    assert response.json()["status"] == "queued"
    join_all()
    body = client.get(f"/api/v1/personalizations/{response.json()['id']}/").json()
    assert body["status"] == "done", body["error"]
    assert body["progress"] == 100
    assert body["engine_info"]["encoder"] in ("random", "vgg19", "efficientnet_lite0")
    preview = client.get(body["preview_url"])
    assert preview.status_code == 200
    image = Image.open(io.BytesIO(b"".join(preview.streaming_content)))
    assert max(image.size) == 96
    assert client.get(body["instant_preview_url"]).status_code == 200


def test_a_redelivered_preview_message_does_nothing(
    worker: Any, buyer: Any, pattern: Any, style: Any
) -> None:
    personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    join_all()
    done = Personalization.objects.get(pk=personalization.pk)
    assert done.status == JobStatus.DONE and done.attempts == 1
    stylization_services.personalization_render_preview(personalization_id=personalization.pk)
    again = Personalization.objects.get(pk=personalization.pk)
    assert (again.attempts, again.preview.name, again.finished_at) == (1, done.preview.name, done.finished_at)


def test_unfinished_jobs_are_enqueued_again_at_start_up(
    transactional_db: None, buyer: Any, pattern: Any, style: Any
) -> None:
    import dramatiq

    broker = dramatiq.get_broker()
    broker.flush_all()
    personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    running = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    Personalization.objects.filter(pk=running.pk).update(status=JobStatus.RUNNING)
    broker.flush_all()  # a restart loses the embedded broker's memory
    assert personalizations_requeue_unfinished() == 2
    assert broker.queues["stylize"].qsize() == 2
    assert Personalization.objects.get(pk=running.pk).status == JobStatus.QUEUED
    broker.flush_all()


@pytest.mark.parametrize("size_key", ["swatch"])
def test_a_paid_order_line_renders_print_files_and_svg(
    worker: Any, buyer: Any, make_pattern: Any, style: Any, products: Any, size_key: str
) -> None:
    pattern = make_pattern(repeat_type="half_drop", side=96)
    personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style, seed=2)
    join_all()
    order = order_create(
        buyer=buyer,
        lines=[
            OrderLineRequest(personalization=personalization, product_size=products[size_key], quantity=1)
        ],
    )
    order_checkout(order=order, actor=buyer, shipping_address=SHIP_TO)
    order_mark_paid(order=order)
    join_all()
    order.refresh_from_db()
    line = order.lines.get()
    assert line.stage == LineStage.PROOF_READY, line.failure_reason
    assert order.status == OrderStatus.PROOF_READY
    with line.print_png.open("rb") as fh:
        tile = Image.open(io.BytesIO(fh.read()))
        assert tile.size == (pattern.width_px, pattern.height_px)
        assert round(tile.info["dpi"][0]) == pattern.dpi
        assert tile.info.get("icc_profile")
    with line.print_sheet.open("rb") as fh:
        sheet = Image.open(io.BytesIO(fh.read()))
        assert sheet.size == products[size_key].print_pixels(pattern.dpi)
    # Seamlessness is measured over many tiles in the engine's tests; one tile is too noisy to judge.
    assert len(tile.convert("RGB").getcolors(maxcolors=1 << 24) or []) > 100
    with line.svg.open("rb") as fh:
        assert fh.read(200).lstrip().startswith((b"<?xml", b"<svg"))
    assert line.render_info["svg"]["ssim"] > 0.5
