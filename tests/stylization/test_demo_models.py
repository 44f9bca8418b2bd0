"""The demo's shipped style models: seed_demo registers them without training anything."""

from __future__ import annotations

import io
import json
from typing import Any

import dramatiq
import pytest
from django.core.management import call_command

from marketplace.models import Style
from stylization.models import StyleModel, StyleModelStatus
from stylization.services import DEMO_MODELS_DIR, DEMO_STYLES_DIR


def test_every_demo_style_ships_a_small_checksummed_model_trained_on_the_default_encoder() -> None:
    from stylization.engine.encoders import encoder_identity
    from stylization.engine.feedforward import load_model_file

    # What `auto` picks where no VGG-19 weights are configured: the packaged EfficientNet-Lite0.
    name, digest = encoder_identity("auto", "/nonexistent/vgg19-dcbb9e9d.pth")
    for style in sorted(DEMO_STYLES_DIR.glob("*.jpg")):
        path = DEMO_MODELS_DIR / f"{style.stem}.pt"
        assert path.stat().st_size < 3 * 2**20
        card = json.loads(path.with_suffix(".json").read_text())
        model = load_model_file(path)  # verified against the card's checksum
        assert model.identity == card["identity"]
        assert (model.encoder_name, model.encoder_sha256) == (name, digest)
        assert len(card["curve"]) > 10 and card["curve"][-1] < card["curve"][0]


def test_seed_demo_registers_the_shipped_models_and_queues_no_training(
    db: None, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.STYLIZATION_STYLE_MODELS = True
    broker = dramatiq.get_broker()
    broker.declare_queue("train_style_model")
    broker.queues["train_style_model"] = type(broker.queues["train_style_model"])()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    models = StyleModel.objects.all()
    assert models.count() == Style.objects.count() == 3
    assert {m.status for m in models} == {StyleModelStatus.READY}
    assert broker.queues["train_style_model"].qsize() == 0


@pytest.mark.parametrize("missing", ["the_scream"])
def test_a_demo_style_without_a_matching_model_trains_in_the_background(
    db: None,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    missing: str,
    tmp_path: Any,
    monkeypatch: Any,
) -> None:
    import shutil

    from stylization import services

    for path in DEMO_MODELS_DIR.glob("*"):
        if not path.name.startswith(missing):
            shutil.copy(path, tmp_path / path.name)
    monkeypatch.setattr(services, "DEMO_MODELS_DIR", tmp_path)
    settings.STYLIZATION_STYLE_MODELS = True
    broker = dramatiq.get_broker()
    broker.declare_queue("train_style_model")
    broker.queues["train_style_model"] = type(broker.queues["train_style_model"])()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", stdout=io.StringIO())
    queued = StyleModel.objects.filter(status=StyleModelStatus.QUEUED)
    assert [m.style.title for m in queued] == ["Scream sunset"]
    assert broker.queues["train_style_model"].qsize() == 1
