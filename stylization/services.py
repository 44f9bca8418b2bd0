"""The worker's side of stylization: load a job's inputs, call the engine, store what it made.

The engine (`stylization.engine`) knows nothing of Django; this module is the only bridge."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from dramatiq.middleware import CurrentMessage
from PIL import Image

from marketplace.models import BasePattern, Personalization, Style
from marketplace.services.personalizations import (
    personalization_fail,
    personalization_finish,
    personalization_set_progress,
    personalization_start,
    personalization_store_instant_preview,
)
from stylization.device_slots import device_slot
from stylization.engine import (
    EngineError,
    StylizeResult,
    fit_style,
    load_image,
    reinhard_transfer,
)
from stylization.engine.errors import Cancelled
from stylization.engine.feedforward import (
    FeedForwardModel,
    ModelConfig,
    TrainingBase,
    load_model,
    model_bytes,
    train,
    training_bases,
)
from stylization.models import StyleModel, StyleModelStatus
from stylization.runtime import (
    PERMANENT_ERRORS,
    _warm_models,  # noqa: F401  # the warm cache, which tests clear through here
    encoder_identity,
    engine,
    preview_is_live,
    warm_style_model,
)
from stylization.runtime import base_pattern_image_of as _base_pattern_image
from stylization.runtime import png_bytes as _png
from stylization.runtime import progress_writer as _progress_writer
from stylization.runtime import style_image_of as _style_image
from stylization.runtime import style_params_of as _params
from stylization.selectors import (
    style_ids_with_ready_models,
    style_model_config,
    style_model_current,
    style_model_identity,
    style_model_ready,
)

log = logging.getLogger(__name__)

DEMO_STYLES_DIR = Path(__file__).resolve().parent.parent / "marketplace" / "demo_data" / "styles"
# The demo styles' models, made by `manage.py train_style_models`; seed_demo registers them.
DEMO_MODELS_DIR = Path(__file__).resolve().parent.parent / "marketplace" / "demo_data" / "style_models"

INSTANT_PREVIEW_SIDE = 384


def _is_last_attempt() -> bool:
    message = CurrentMessage.get_current_message()
    if message is None:
        return True
    return int(message.options.get("retries", 0)) >= int(message.options.get("max_retries", 3))


def personalization_render_preview(*, personalization_id: int) -> None:
    """The buyer's preview. Where the style has a ready feed-forward model, its one-pass tile is
    shown at once; the optimiser then paints the preview the buyer approves and the print is made
    from (STYLIZATION_PREVIEW_METHOD "painted"). With "live" the model's tile is the preview itself.
    Without a model a colour transfer is shown at once and the optimiser's levels sharpen it."""
    personalization = personalization_start(personalization_id=personalization_id)
    if personalization is None:
        return  # finished already: a redelivered message does nothing
    try:
        content = _base_pattern_image(personalization)
        live = _live_tile(personalization, content)
        if live is not None and preview_is_live():
            personalization_finish(
                personalization=personalization, png=_png(live.image), engine_info=live.info
            )
            return
        if live is not None:
            personalization_store_instant_preview(personalization=personalization, png=_png(live.image))
        else:
            small = content.copy()
            small.thumbnail((INSTANT_PREVIEW_SIDE, INSTANT_PREVIEW_SIDE), Image.Resampling.LANCZOS)
            instant = reinhard_transfer(
                small, _style_image(personalization), strength=personalization.strength
            )
            personalization_store_instant_preview(personalization=personalization, png=_png(instant))
        personalization_set_progress(personalization_id=personalization_id, percent=5)

        def write(percent: int) -> None:
            personalization_set_progress(personalization_id=personalization_id, percent=percent)

        def show_level(level: Image.Image) -> None:
            # Each coarser pyramid level replaces the instant preview as it finishes, so the page shows
            # the tile sharpening (64², then 128²); a live model's full-size tile is not replaced by them.
            if live is None:
                personalization_store_instant_preview(personalization=personalization, png=_png(level))

        with device_slot("preview"):
            started = time.perf_counter()
            result = engine().preview(
                content,
                _style_image(personalization),
                repeat=personalization.base_pattern.repeat_type,
                params=_params(personalization),
                long_side=settings.STYLIZATION_PREVIEW_SIZE,
                progress=_progress_writer(write, 5, 99),
                on_level=show_level,
            )
        info = {
            **result.info,
            "method": "optimisation",
            "engine_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        if live is not None:
            info["instant"] = {
                key: live.info[key] for key in ("method", "model_checksum", "engine_ms", "precision")
            }
        personalization_finish(personalization=personalization, png=_png(result.image), engine_info=info)
    except PERMANENT_ERRORS as exc:
        personalization_fail(personalization_id=personalization_id, error=str(exc))
    except Exception as exc:
        if _is_last_attempt():
            personalization_fail(
                personalization_id=personalization_id, error=f"The preview could not be rendered: {exc}"
            )
        raise


def _live_tile(personalization: Personalization, content: Image.Image) -> StylizeResult | None:
    """The style's ready model's tile for this preview; None when it has none (or it is unusable)."""
    if personalization.style is None:
        return None
    ready = style_model_ready(style=personalization.style, encoder_sha256=engine().weights_sha256)
    if ready is None:
        return None
    try:
        model = warm_style_model(ready)
    except EngineError as exc:
        # A corrupted or tampered file: refuse it, mark it failed (a new request retrains) and use the optimiser.
        log.warning("style model %s refused: %s", ready.pk, exc)
        StyleModel.objects.filter(pk=ready.pk).update(status=StyleModelStatus.FAILED, error=str(exc)[:2000])
        return None
    # No device lock: a forward pass is short, and it must not wait behind a running optimisation.
    return model.stylize(
        content,
        repeat=personalization.base_pattern.repeat_type,
        params=_params(personalization),
        long_side=settings.STYLIZATION_PREVIEW_SIZE,
    )


# --- order lines ------------------------------------------------------------------------------------


def jobs_requeue_unfinished() -> dict[str, int]:
    """At start-up: enqueue again every preview a dead process left behind. (Order lines are the
    fulfilment sweep's: `marketplace.services.sweep.fulfilment_sweep`.)"""
    from marketplace.services.personalizations import personalizations_requeue_unfinished

    return {"personalizations": personalizations_requeue_unfinished()}


# --- style models (feed-forward previews) -----------------------------------------------------


def style_model_training_bases(
    *, config: ModelConfig | None = None, include_catalogue: bool = False
) -> list[TrainingBase]:
    """What a style's model learns on: the product's TRAINING_PATTERNS (the demo catalogue's and
    generated ones of every kind and repeat, seeds apart from the benches' held-out patterns); with
    include_catalogue, the live catalogue's active base patterns as well."""
    side = (config or ModelConfig()).target_side
    bases = training_bases(side)
    if include_catalogue:
        for pattern in BasePattern.objects.filter(active=True).order_by("pk")[:50]:
            with pattern.image.open("rb") as fh:
                image = load_image(fh.read())
            image.thumbnail((2 * side, 2 * side), Image.Resampling.LANCZOS)
            bases.append(TrainingBase(image, pattern.repeat_type))
    return bases


def _enqueue_style_model(style_model_id: int) -> None:
    from stylization.tasks import train_style_model

    # Registered meanwhile (seed_demo's shipped files arrive in the same transaction): nothing to train.
    if StyleModel.objects.filter(pk=style_model_id, status=StyleModelStatus.QUEUED).exists():
        train_style_model.send(style_model_id)


def style_model_request(*, style: Style) -> StyleModel | None:
    """Make sure the style's current identity has a model: queue its training if it has none.

    Unfinished models of earlier identities (an older image) are asked to stop.
    Returns None when style models are switched off (STYLIZATION_STYLE_MODELS)."""
    if not settings.STYLIZATION_STYLE_MODELS:
        return None
    encoder_name, encoder_sha256 = encoder_identity()
    config = style_model_config()
    identity = style_model_identity(style=style, encoder_sha256=encoder_sha256)
    with transaction.atomic():
        model, created = StyleModel.objects.get_or_create(
            style=style,
            identity=identity,
            defaults={
                "style_sha256": style.image_sha256,
                "encoder_name": encoder_name,
                "encoder_sha256": encoder_sha256,
                "config": config.as_dict(),
                "config_sha256": config.sha256(),
            },
        )
        StyleModel.objects.filter(
            style=style, status__in=[StyleModelStatus.QUEUED, StyleModelStatus.TRAINING]
        ).exclude(pk=model.pk).update(cancel_requested=True)
        retry = not created and model.status == StyleModelStatus.FAILED
        if retry:
            # Asked again (the image was set back, or a stored file was refused): train it afresh.
            StyleModel.objects.filter(pk=model.pk).update(
                status=StyleModelStatus.QUEUED, progress=0, cancel_requested=False, error=""
            )
            model.refresh_from_db()
        if created or retry:
            transaction.on_commit(lambda: _enqueue_style_model(model.pk))
    return model


def style_model_register_file(*, style: Style, path: Path) -> StyleModel | None:
    """Register a model trained elsewhere (the demo's shipped files) when it is the style's current identity.

    Returns None, registering nothing, when the file's identity or checksum does not match: the
    caller then queues a training instead."""
    card_path = path.with_suffix(".json")
    if not path.is_file() or not card_path.is_file():
        return None
    card = json.loads(card_path.read_text())
    if card.get("identity") != style_model_identity(style=style, encoder_sha256=encoder_identity()[1]):
        return None
    data = path.read_bytes()
    try:
        loaded = load_model(data, expected_checksum=str(card["checksum_sha256"]))
    except EngineError as exc:
        log.warning("not registering %s: %s", path, exc)
        return None
    with transaction.atomic():
        model, _ = StyleModel.objects.select_for_update().get_or_create(
            style=style,
            identity=loaded.identity,
            defaults={
                "style_sha256": loaded.style_sha256,
                "encoder_name": loaded.encoder_name,
                "encoder_sha256": loaded.encoder_sha256,
                "config": loaded.config.as_dict(),
                "config_sha256": loaded.config.sha256(),
            },
        )
        if model.status != StyleModelStatus.READY:
            _store_trained(model, data, loaded)
    return model


def _store_trained(model: StyleModel, data: bytes, trained: FeedForwardModel) -> None:
    model.file.save("model.pt", ContentFile(data), save=False)
    model.checksum_sha256 = hashlib.sha256(data).hexdigest()
    model.curve = list(trained.curve)
    model.judge = dict(trained.judge)
    model.training_seconds = trained.training_seconds
    model.status = StyleModelStatus.READY
    model.progress = 100
    model.error = ""
    model.trained_at = timezone.now()
    model.save()


def _style_model_start(style_model_id: int) -> StyleModel | None:
    with transaction.atomic():
        model = (
            StyleModel.objects.select_for_update().select_related("style").filter(pk=style_model_id).first()
        )
        if model is None or model.status in (StyleModelStatus.READY, StyleModelStatus.FAILED):
            return None  # a redelivered message for a finished job does nothing
        model.status = StyleModelStatus.TRAINING
        model.attempts += 1
        model.started_at = timezone.now()
        model.error = ""
        model.save(update_fields=["status", "attempts", "started_at", "error"])
    return model


def style_model_fail(*, style_model_id: int, error: str) -> None:
    StyleModel.objects.filter(pk=style_model_id).exclude(status=StyleModelStatus.READY).update(
        status=StyleModelStatus.FAILED, error=error[:2000]
    )


def style_model_cancel(*, style_model_id: int) -> None:
    """Ask an unfinished training to stop; the worker stops at its next step (or never starts)."""
    StyleModel.objects.filter(
        pk=style_model_id, status__in=[StyleModelStatus.QUEUED, StyleModelStatus.TRAINING]
    ).update(cancel_requested=True)


def style_model_train(*, style_model_id: int) -> None:
    """The `train_style_model` job: train, judge and store one identity's model. At-least-once safe:
    a finished model is left alone, and a job that died while training is simply trained again."""
    model = _style_model_start(style_model_id)
    if model is None:
        return

    def should_cancel() -> bool:
        return StyleModel.objects.filter(pk=style_model_id, cancel_requested=True).exists()

    def write(percent: int) -> None:
        StyleModel.objects.filter(pk=style_model_id, progress__lt=percent).update(progress=min(percent, 99))

    try:
        if should_cancel():
            raise Cancelled("the style model's training was cancelled")
        style = model.style
        with style.image.open("rb") as fh:
            data = fh.read()
        if hashlib.sha256(data).hexdigest() != model.style_sha256:
            raise Cancelled("the style's image changed; a model for the new image is queued instead")
        encoder = engine().encoder
        if encoder.weights_sha256 != model.encoder_sha256:
            raise EngineError("this worker's encoder differs from the one the model was queued for")
        config = ModelConfig.from_dict(model.config)
        trained = train(
            fit_style(load_image(data)),
            style_model_training_bases(config=config, include_catalogue=True),
            encoder=encoder,
            style_sha256=model.style_sha256,
            config=config,
            progress=_progress_writer(write, 0, 99),
            should_cancel=should_cancel,
        )
        payload = model_bytes(trained)
        with transaction.atomic():
            locked = StyleModel.objects.select_for_update().get(pk=style_model_id)
            if locked.status == StyleModelStatus.READY:
                return
            _store_trained(locked, payload, trained)
    except Cancelled as exc:
        style_model_fail(style_model_id=style_model_id, error=f"cancelled: {exc}")
    except PERMANENT_ERRORS as exc:
        style_model_fail(style_model_id=style_model_id, error=str(exc))
    except Exception as exc:
        if _is_last_attempt():
            style_model_fail(
                style_model_id=style_model_id, error=f"The style model could not be trained: {exc}"
            )
        raise


def style_model_status(*, style: Style) -> dict[str, object] | None:
    """The API's `model` of a style: {status, progress, trained_at}, or None when it has none."""
    identity = style_model_identity(style=style, encoder_sha256=encoder_identity()[1])
    # .all() reads a list page's prefetch (marketplace.selectors.style_list) instead of a query per style.
    model = next((m for m in style.feedforward_models.all() if m.identity == identity), None)  # type: ignore[attr-defined]
    if model is None:
        return None
    return {
        "status": model.status,
        "progress": model.progress,
        "trained_at": model.trained_at.isoformat().replace("+00:00", "Z") if model.trained_at else None,
    }


def style_models_requeue_unfinished() -> int:
    """At start-up (the lead calls it from the sweep beside jobs_requeue_unfinished): queue again every
    training a dead process left behind, and request a model for each listed style that has none."""
    ids = list(
        StyleModel.objects.filter(
            status__in=[StyleModelStatus.QUEUED, StyleModelStatus.TRAINING], cancel_requested=False
        ).values_list("pk", flat=True)
    )
    StyleModel.objects.filter(pk__in=ids).update(status=StyleModelStatus.QUEUED)
    for pk in ids:
        _enqueue_style_model(pk)
    requested = 0
    if settings.STYLIZATION_STYLE_MODELS:
        for style in Style.objects.filter(active=True):
            if style_model_current(style=style, encoder_sha256=encoder_identity()[1]) is None:
                style_model_request(style=style)
                requested += 1
    return len(ids) + requested


def styles_with_live_models(*, style_ids: list[int]) -> set[int]:
    """Styles whose ready feed-forward model makes the instant tile of a preview."""
    if not style_ids:
        return set()
    return style_ids_with_ready_models(style_ids=style_ids, encoder_sha256=encoder_identity()[1])


def styles_previewing_live(*, style_ids: list[int]) -> set[int]:
    """The configurator re-renders live for these styles: their previews take one forward pass."""
    return styles_with_live_models(style_ids=style_ids) if preview_is_live() else set()
