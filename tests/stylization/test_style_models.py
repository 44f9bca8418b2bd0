"""Style models in the marketplace: queued when a style is listed, trained, used for previews when
ready (the optimiser otherwise), retrained when the style's image changes, refused when corrupted."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import dramatiq
import pytest
from django.core.files.base import ContentFile
from PIL import Image

from marketplace.models import Personalization
from marketplace.services.catalogue import style_update
from marketplace.services.personalizations import personalization_create
from stylization import services
from stylization.models import StyleModel, StyleModelStatus
from tests.conftest import image_bytes

# A model that trains in about a second; it is part of the identity like any other config.
TINY = {"channels": 4, "residual_blocks": 1, "crop": 32, "target_side": 64, "batch": 1, "iterations": 3}


@pytest.fixture
def style_models_on(settings: Any) -> None:
    settings.STYLIZATION_STYLE_MODELS = True
    settings.STYLIZATION_STYLE_MODEL_CONFIG = TINY
    settings.STYLIZATION_PREVIEW_METHOD = "live"  # these tests are of the model's own previews
    services._warm_models.clear()
    _train_queue().__init__()  # type: ignore[misc]  # a fresh stub queue: only this test's messages


def _train_queue() -> Any:
    broker = dramatiq.get_broker()
    broker.declare_queue("train_style_model")
    return broker.queues["train_style_model"]


def _queued_ids() -> list[int]:
    import json

    queue = _train_queue()
    return [json.loads(message)["args"][0] for message in list(queue.queue)]


def _join() -> None:
    broker = dramatiq.get_broker()
    for queue in ("train_style_model", "stylize"):
        broker.join(queue, fail_fast=True, timeout=120_000)


def _listed_style(make_style: Any, capture: Any) -> Any:
    with capture(execute=True):
        return make_style()


def _render(buyer: Any, pattern: Any, style: Any, **params: Any) -> Personalization:
    personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style, **params)
    services.personalization_render_preview(personalization_id=personalization.pk)
    return Personalization.objects.get(pk=personalization.pk)


def test_listing_a_style_queues_its_model_on_its_own_queue(
    style_models_on: None,
    make_style: Any,
    django_capture_on_commit_callbacks: Any,
    client_for: Any,
    buyer: Any,
) -> None:
    style = _listed_style(make_style, django_capture_on_commit_callbacks)
    model = StyleModel.objects.get(style=style)
    assert model.status == StyleModelStatus.QUEUED
    assert model.style_sha256 == style.image_sha256
    assert model.config["iterations"] == 3
    assert _queued_ids() == [model.pk]
    body = client_for(buyer).get(f"/api/v1/styles/{style.pk}/").json()
    assert body["model"] == {"status": "queued", "progress": 0, "trained_at": None}


def test_training_stores_a_checksummed_model_once(
    style_models_on: None,
    make_style: Any,
    django_capture_on_commit_callbacks: Any,
    client_for: Any,
    buyer: Any,
) -> None:
    style = _listed_style(make_style, django_capture_on_commit_callbacks)
    model = StyleModel.objects.get(style=style)
    services.style_model_train(style_model_id=model.pk)
    model.refresh_from_db()
    assert model.status == StyleModelStatus.READY, model.error
    assert model.progress == 100 and model.attempts == 1
    with model.file.open("rb") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == model.checksum_sha256
    assert len(model.curve) == 3 and set(model.judge) == {"seam_ratio", "ssim", "style_loss"}
    body = client_for(buyer).get(f"/api/v1/styles/{style.pk}/").json()
    assert body["model"]["status"] == "ready" and body["model"]["progress"] == 100
    assert body["model"]["trained_at"].startswith(str(model.trained_at.year))
    # At-least-once delivery: the same message again leaves the stored model as it is.
    services.style_model_train(style_model_id=model.pk)
    again = StyleModel.objects.get(pk=model.pk)
    assert (again.attempts, again.file.name, again.trained_at) == (1, model.file.name, model.trained_at)


def test_previews_use_the_ready_model_and_the_optimiser_otherwise(
    style_models_on: None,
    make_style: Any,
    pattern: Any,
    buyer: Any,
    client_for: Any,
    django_capture_on_commit_callbacks: Any,
    short_schedule: None,
) -> None:
    style = _listed_style(make_style, django_capture_on_commit_callbacks)
    before = _render(buyer, pattern, style)
    assert before.status == "done", before.error
    assert before.engine_info["method"] == "optimisation" and before.engine_info["engine_ms"] > 0

    services.style_model_train(style_model_id=StyleModel.objects.get(style=style).pk)
    after = _render(buyer, pattern, style, strength=0.5, seed=3)
    assert after.status == "done", after.error
    body = client_for(buyer).get(f"/api/v1/personalizations/{after.pk}/").json()
    assert body["engine_info"]["method"] == "feedforward"
    assert body["engine_info"]["engine_ms"] > 0
    assert body["engine_info"]["params"]["strength"] == 0.5
    assert body["preview_url"]


def test_by_default_the_model_shows_its_tile_at_once_and_the_optimiser_paints_the_preview(
    style_models_on: None,
    settings: Any,
    make_style: Any,
    pattern: Any,
    buyer: Any,
    client_for: Any,
    django_capture_on_commit_callbacks: Any,
    short_schedule: None,
    monkeypatch: Any,
) -> None:
    """STYLIZATION_PREVIEW_METHOD=painted: the buyer approves, and the print is made from, the
    optimiser's painting; the live model's one-pass tile is what the page shows while it paints."""
    from stylization.services import styles_previewing_live

    settings.STYLIZATION_PREVIEW_METHOD = "painted"
    style = _listed_style(make_style, django_capture_on_commit_callbacks)
    model = StyleModel.objects.get(style=style)
    services.style_model_train(style_model_id=model.pk)
    model.refresh_from_db()
    shown: list[bytes] = []
    real_store = services.personalization_store_instant_preview

    def store(*, personalization: Any, png: bytes) -> None:
        shown.append(png)
        real_store(personalization=personalization, png=png)

    monkeypatch.setattr(services, "personalization_store_instant_preview", store)
    job = _render(buyer, pattern, style, strength=0.8, seed=4)
    assert job.status == "done", job.error
    # One instant tile (the model's, at the preview's size); the optimiser's coarse levels do not replace it.
    assert len(shown) == 1
    with job.preview.open("rb") as fh:
        final = Image.open(io.BytesIO(fh.read()))
    assert Image.open(io.BytesIO(shown[0])).size == final.size
    body = client_for(buyer).get(f"/api/v1/personalizations/{job.pk}/").json()
    assert body["engine_info"]["method"] == "optimisation"
    assert body["engine_info"]["instant"]["method"] == "feedforward"
    assert body["engine_info"]["instant"]["model_checksum"] == model.checksum_sha256
    # The configurator waits for the painting rather than re-rendering on each slider move.
    assert styles_previewing_live(style_ids=[style.pk]) == set()
    settings.STYLIZATION_PREVIEW_METHOD = "live"
    assert styles_previewing_live(style_ids=[style.pk]) == {style.pk}


def test_a_new_style_image_queues_a_new_model_and_previews_wait_for_it(
    style_models_on: None,
    make_style: Any,
    pattern: Any,
    buyer: Any,
    artist: Any,
    django_capture_on_commit_callbacks: Any,
    short_schedule: None,
) -> None:
    style = _listed_style(make_style, django_capture_on_commit_callbacks)
    first = StyleModel.objects.get(style=style)
    services.style_model_train(style_model_id=first.pk)
    with django_capture_on_commit_callbacks(execute=True):
        style_update(style=style, actor=artist, image=image_bytes(120, 100, fmt="JPEG", seed=11))
    style.refresh_from_db()
    second = StyleModel.objects.exclude(pk=first.pk).get(style=style)
    assert second.style_sha256 == style.image_sha256 != first.style_sha256
    assert second.status == StyleModelStatus.QUEUED
    assert _queued_ids()[-1] == second.pk
    # The old image's model no longer matches: previews go back to the optimiser until the new one is ready.
    assert _render(buyer, pattern, style).engine_info["method"] == "optimisation"
    services.style_model_train(style_model_id=second.pk)
    assert _render(buyer, pattern, style).engine_info["method"] == "feedforward"


def test_a_change_of_image_stops_the_old_training(
    style_models_on: None, make_style: Any, artist: Any, django_capture_on_commit_callbacks: Any
) -> None:
    style = _listed_style(make_style, django_capture_on_commit_callbacks)
    first = StyleModel.objects.get(style=style)
    with django_capture_on_commit_callbacks(execute=True):
        style_update(style=style, actor=artist, image=image_bytes(120, 100, fmt="JPEG", seed=12))
    services.style_model_train(style_model_id=first.pk)
    first.refresh_from_db()
    assert first.status == StyleModelStatus.FAILED and first.error.startswith("cancelled")


def test_a_cancelled_training_stops(
    style_models_on: None, make_style: Any, django_capture_on_commit_callbacks: Any
) -> None:
    style = _listed_style(make_style, django_capture_on_commit_callbacks)
    model = StyleModel.objects.get(style=style)
    services.style_model_cancel(style_model_id=model.pk)
    services.style_model_train(style_model_id=model.pk)
    model.refresh_from_db()
    assert model.status == StyleModelStatus.FAILED and model.error.startswith("cancelled")
    assert not model.file


def test_a_corrupted_model_file_is_refused_and_the_optimiser_used(
    style_models_on: None,
    make_style: Any,
    pattern: Any,
    buyer: Any,
    django_capture_on_commit_callbacks: Any,
    short_schedule: None,
) -> None:
    style = _listed_style(make_style, django_capture_on_commit_callbacks)
    model = StyleModel.objects.get(style=style)
    services.style_model_train(style_model_id=model.pk)
    model.refresh_from_db()
    with model.file.open("rb") as fh:
        data = bytearray(fh.read())
    data[len(data) // 3] ^= 0x01
    model.file.save("model.pt", ContentFile(bytes(data)), save=True)
    rendered = _render(buyer, pattern, style)
    assert rendered.status == "done" and rendered.engine_info["method"] == "optimisation"
    model.refresh_from_db()
    assert model.status == StyleModelStatus.FAILED and "checksum" in model.error
    # Asking again (as the start-up sweep does for a style with no usable model) retrains it.
    with django_capture_on_commit_callbacks(execute=True):
        services.style_model_request(style=style)
    assert StyleModel.objects.get(pk=model.pk).status == StyleModelStatus.QUEUED
    assert _queued_ids()[-1] == model.pk


def test_a_preview_through_the_worker_is_done_by_the_model(
    style_models_on: None, stylization_worker: Any, make_style: Any, pattern: Any, buyer: Any, client_for: Any
) -> None:
    style = make_style()  # committed (transactional_db): its training is queued for the worker
    _join()
    assert StyleModel.objects.get(style=style).status == StyleModelStatus.READY
    client = client_for(buyer)
    response = client.post(
        "/api/v1/personalizations/",
        {"pattern": pattern.pk, "style": style.pk, "params": {"strength": 0.8, "seed": 2}},
        format="json",
    )
    assert response.status_code == 202, response.json()
    _join()
    body = client.get(f"/api/v1/personalizations/{response.json()['id']}/").json()
    assert body["status"] == "done", body["error"]
    assert body["engine_info"]["method"] == "feedforward"


def test_the_start_up_sweep_requeues_unfinished_trainings_and_requests_missing_models(
    style_models_on: None, make_style: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    interrupted = _listed_style(make_style, django_capture_on_commit_callbacks)
    StyleModel.objects.filter(style=interrupted).update(status=StyleModelStatus.TRAINING)
    settings.STYLIZATION_STYLE_MODELS = False
    unmodelled = make_style()  # listed while style models were off: it has none
    settings.STYLIZATION_STYLE_MODELS = True
    _train_queue().__init__()  # type: ignore[misc]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.style_models_requeue_unfinished() == 2
    resumed = StyleModel.objects.get(style=interrupted)
    requested = StyleModel.objects.get(style=unmodelled)
    assert (resumed.status, requested.status) == (StyleModelStatus.QUEUED, StyleModelStatus.QUEUED)
    assert sorted(_queued_ids()) == sorted([resumed.pk, requested.pk])


def test_the_web_side_names_models_without_building_the_engine(
    style_models_on: None,
    make_style: Any,
    django_capture_on_commit_callbacks: Any,
    client_for: Any,
    buyer: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from stylization import runtime

    built = runtime.engine()
    monkeypatch.setattr(runtime, "_engine", None)
    monkeypatch.setattr(runtime, "_encoder_identity", None)

    def no_engine_here(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a web request built the stylization engine")

    monkeypatch.setattr(runtime, "Engine", no_engine_here)
    assert runtime.encoder_identity() == (built.encoder.name, built.weights_sha256)
    style = _listed_style(make_style, django_capture_on_commit_callbacks)  # queues its model
    assert StyleModel.objects.get(style=style).encoder_sha256 == built.weights_sha256
    listed = client_for(buyer).get("/api/v1/styles/").json()
    assert any(s["id"] == style.pk and s["model"]["status"] == "queued" for s in listed["results"])
