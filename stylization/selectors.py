"""Reads of style models: which one a style's previews would use now."""

from __future__ import annotations

from django.conf import settings

from marketplace.models import Style
from stylization.engine.feedforward import ModelConfig, model_identity
from stylization.models import StyleModel, StyleModelStatus


def style_model_config() -> ModelConfig:
    return ModelConfig.from_dict({**ModelConfig().as_dict(), **settings.STYLIZATION_STYLE_MODEL_CONFIG})


def style_model_identity(*, style: Style, encoder_sha256: str) -> str:
    return model_identity(
        style_sha256=style.image_sha256, encoder_sha256=encoder_sha256, config=style_model_config()
    )


def style_model_current(*, style: Style, encoder_sha256: str) -> StyleModel | None:
    """The model of the style's current image, encoder and config, whatever its state."""
    identity = style_model_identity(style=style, encoder_sha256=encoder_sha256)
    return StyleModel.objects.filter(style=style, identity=identity).first()


def style_model_ready(*, style: Style, encoder_sha256: str) -> StyleModel | None:
    model = style_model_current(style=style, encoder_sha256=encoder_sha256)
    return model if model is not None and model.status == StyleModelStatus.READY and model.file else None


def style_ids_with_ready_models(*, style_ids: list[int], encoder_sha256: str) -> set[int]:
    """Which of these styles preview live: a ready model of their current image, encoder and config."""
    config_sha = style_model_config().sha256()
    candidates = StyleModel.objects.filter(
        style_id__in=style_ids,
        status=StyleModelStatus.READY,
        encoder_sha256=encoder_sha256,
        config_sha256=config_sha,
    )
    current = {
        pk: sha for pk, sha in Style.objects.filter(pk__in=style_ids).values_list("pk", "image_sha256")
    }
    return {
        style_id
        for style_id, sha in candidates.values_list("style_id", "style_sha256")
        if current.get(style_id) == sha
    }
