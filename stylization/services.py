"""The worker's side of stylization: load a job's inputs, call the engine, store what it made.

The engine (`stylization.engine`) knows nothing of Django; this module is the only bridge."""

from __future__ import annotations

import logging

from django.conf import settings
from dramatiq.middleware import CurrentMessage
from PIL import Image

from marketplace.services.personalizations import (
    personalization_fail,
    personalization_finish,
    personalization_set_progress,
    personalization_start,
    personalization_store_instant_preview,
)
from stylization.device_slots import device_slot
from stylization.engine import reinhard_transfer
from stylization.runtime import (
    PERMANENT_ERRORS,
    base_pattern_image_of,
    engine,
    png_bytes,
    progress_writer,
    style_image_of,
    style_params_of,
)

log = logging.getLogger(__name__)

INSTANT_PREVIEW_SIDE = 384


def _is_last_attempt() -> bool:
    message = CurrentMessage.get_current_message()
    if message is None:
        return True
    return int(message.options.get("retries", 0)) >= int(message.options.get("max_retries", 3))


def personalization_render_preview(*, personalization_id: int) -> None:
    personalization = personalization_start(personalization_id=personalization_id)
    if personalization is None:
        return  # finished already: a redelivered message does nothing
    try:
        content = base_pattern_image_of(personalization)
        style = style_image_of(personalization)
        small = content.copy()
        small.thumbnail((INSTANT_PREVIEW_SIDE, INSTANT_PREVIEW_SIDE), Image.Resampling.LANCZOS)
        instant = reinhard_transfer(small, style, strength=personalization.strength)
        personalization_store_instant_preview(personalization=personalization, png=png_bytes(instant))
        personalization_set_progress(personalization_id=personalization_id, percent=5)

        def write(percent: int) -> None:
            personalization_set_progress(personalization_id=personalization_id, percent=percent)

        with device_slot("preview"):
            result = engine().preview(
                content,
                style,
                repeat=personalization.base_pattern.repeat_type,
                params=style_params_of(personalization),
                long_side=settings.STYLIZATION_PREVIEW_SIZE,
                progress=progress_writer(write, 5, 99),
            )
        personalization_finish(personalization=personalization, png=png_bytes(result.image), engine_info=result.info)
    except PERMANENT_ERRORS as exc:
        personalization_fail(personalization_id=personalization_id, error=str(exc))
    except Exception as exc:
        if _is_last_attempt():
            personalization_fail(
                personalization_id=personalization_id, error=f"The preview could not be rendered: {exc}"
            )
        raise


def jobs_requeue_unfinished() -> dict[str, int]:
    """At start-up: enqueue again every preview a dead process left behind. (Order lines are the
    fulfilment sweep's: `marketplace.services.fulfilment.fulfilment_sweep`.)"""
    from marketplace.services.personalizations import personalizations_requeue_unfinished

    return {"personalizations": personalizations_requeue_unfinished()}
