"""What every stylization job in a worker process shares: the engine, loaded once, the device it
runs on, and the readers of a job's inputs. Imports nothing of the marketplace above its models."""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Callable

from django.conf import settings
from PIL import Image

from marketplace.models import Personalization
from stylization.engine import Engine, EngineError, ImageError, StyleParams, fit_style, load_image
from stylization.engine.colourway import colourway_apply
from stylization.engine.encoders import encoder_identity as _encoder_identity_of
from stylization.engine.feedforward import FeedForwardModel, load_model
from stylization.models import StyleModel

# Errors in the inputs will not go away on a retry: the job fails at once with a readable message.
PERMANENT_ERRORS: tuple[type[Exception], ...] = (EngineError, ImageError, ValueError)

_engine: Engine | None = None
_engine_lock = threading.Lock()


def engine() -> Engine:
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = Engine(
                device=settings.STYLIZATION_DEVICE,
                encoder=settings.STYLIZATION_ENCODER,
                weights_path=settings.STYLIZATION_VGG19_WEIGHTS or None,
                cache_dir=settings.STYLIZATION_CACHE_DIR,
            )
    return _engine


_encoder_identity: tuple[tuple[str, str], tuple[str, str]] | None = None


def encoder_identity() -> tuple[str, str]:
    """The engine's encoder (name, weights_sha256), which style models are keyed by: from the engine
    when this process has built one, otherwise from the settings alone (hashing VGG-19's file once)."""
    global _encoder_identity
    if _engine is not None:
        return _engine.encoder.name, _engine.weights_sha256
    key = (settings.STYLIZATION_ENCODER, settings.STYLIZATION_VGG19_WEIGHTS or "")
    with _engine_lock:
        if _encoder_identity is None or _encoder_identity[0] != key:
            _encoder_identity = (key, _encoder_identity_of(key[0], key[1] or None))
        return _encoder_identity[1]


# Loaded models, by checksum: a worker loads each once and keeps it warm (a cold first call took ~0.7 s).
_warm_models: OrderedDict[str, FeedForwardModel] = OrderedDict()
_WARM_MODELS = 16
_warm_lock = threading.Lock()


def warm_style_model(model: StyleModel) -> FeedForwardModel:
    """The loaded generator of a ready model, verified against its checksum once per worker."""
    with _warm_lock:
        loaded = _warm_models.get(model.checksum_sha256)
        if loaded is not None:
            _warm_models.move_to_end(model.checksum_sha256)
            return loaded
    with model.file.open("rb") as fh:
        data = fh.read()
    # The network leaves flat grounds near the base's colours; matching the tile's Lab mean and spread
    # to the painting's after it took the palette distance from 1.53x the optimiser's to 1.04x
    # (stylization/EXPERIMENTS.md). The palette is the style's, and the style image is in the identity.
    with model.style.image.open("rb") as fh:
        style_image = load_image(fh.read())
    loaded = load_model(data, expected_checksum=model.checksum_sha256).with_style_palette(style_image)
    with _warm_lock:
        _warm_models[model.checksum_sha256] = loaded
        while len(_warm_models) > _WARM_MODELS:
            _warm_models.popitem(last=False)
    return loaded


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def style_image_of(personalization: Personalization) -> Image.Image:
    source = personalization.style.image if personalization.style else personalization.style_image
    with source.open("rb") as fh:
        return fit_style(load_image(fh.read()))


def base_pattern_image_of(personalization: Personalization) -> Image.Image:
    """The base pattern as this personalization styles it: with its colourway's colours swapped.
    Preview and print both start here, so they show the same colours."""
    pattern = personalization.base_pattern
    with pattern.image.open("rb") as fh:
        image = load_image(fh.read())
    if personalization.colourway:
        image = colourway_apply(image, pattern.palette, personalization.colourway)
    return image


def style_params_of(personalization: Personalization) -> StyleParams:
    return StyleParams(
        strength=personalization.strength,
        preserve_colors=personalization.preserve_colors,
        style_scale=personalization.style_scale,
        seed=personalization.seed,
        regions=personalization.regions,
    )


def progress_writer(write: Callable[[int], None], start: int, end: int) -> Callable[[float], None]:
    last = [start]

    def report(fraction: float) -> None:
        percent = start + int((end - start) * max(0.0, min(1.0, fraction)))
        if percent >= last[0] + 2:  # a database write per two percent is plenty for a progress bar
            last[0] = percent
            write(percent)

    return report


def preview_is_live() -> bool:
    """Whether a style model's one-pass tile is the preview itself, rather than shown while the
    optimiser paints it (see STYLIZATION_PREVIEW_METHOD)."""
    return settings.STYLIZATION_PREVIEW_METHOD == "live"
