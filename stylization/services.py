"""The worker's side of stylization: load a job's inputs, call the engine, store what it made.

The engine (`stylization.engine`) knows nothing of Django; this module is the only bridge."""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from dramatiq.middleware import CurrentMessage
from PIL import Image

from marketplace.models import JobStatus, OrderLine, Personalization
from marketplace.services.orders import order_rendering_started
from marketplace.services.personalizations import (
    personalization_fail,
    personalization_finish,
    personalization_set_progress,
    personalization_start,
    personalization_store_instant_preview,
)
from stylization.device_slots import device_slot
from stylization.engine import (
    Engine,
    EngineError,
    ImageError,
    StyleParams,
    fit_style,
    load_image,
    print_png_bytes,
    print_sheet,
    reinhard_transfer,
    vectorize_tile,
)

log = logging.getLogger(__name__)

INSTANT_PREVIEW_SIDE = 384
# Errors in the inputs will not go away on a retry: the job fails at once with a readable message.
PERMANENT_ERRORS: tuple[type[Exception], ...] = (EngineError, ImageError, ValueError)

_engine: Engine | None = None
# One job per device at a time: a GPU worker must not run two optimisations on one card.
_device_lock = threading.Lock()


def engine() -> Engine:
    global _engine
    if _engine is None:
        _engine = Engine(
            device=settings.STYLIZATION_DEVICE,
            encoder=settings.STYLIZATION_ENCODER,
            weights_path=settings.STYLIZATION_VGG19_WEIGHTS or None,
            cache_dir=settings.STYLIZATION_CACHE_DIR,
        )
    return _engine


def _is_last_attempt() -> bool:
    message = CurrentMessage.get_current_message()
    if message is None:
        return True
    return int(message.options.get("retries", 0)) >= int(message.options.get("max_retries", 3))


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()


def _style_image(personalization: Personalization) -> Image.Image:
    source = personalization.style.image if personalization.style else personalization.style_image
    with source.open("rb") as fh:
        return fit_style(load_image(fh.read()))


def _base_pattern_image(personalization: Personalization) -> Image.Image:
    with personalization.base_pattern.image.open("rb") as fh:
        return load_image(fh.read())


def _params(personalization: Personalization) -> StyleParams:
    return StyleParams(
        strength=personalization.strength,
        preserve_colors=personalization.preserve_colors,
        style_scale=personalization.style_scale,
        seed=personalization.seed,
    )


def _progress_writer(write: Callable[[int], None], start: int, end: int) -> Callable[[float], None]:
    last = [start]

    def report(fraction: float) -> None:
        percent = start + int((end - start) * max(0.0, min(1.0, fraction)))
        if percent >= last[0] + 2:  # a database write per two percent is plenty for a progress bar
            last[0] = percent
            write(percent)

    return report


def personalization_render_preview(*, personalization_id: int) -> None:
    personalization = personalization_start(personalization_id=personalization_id)
    if personalization is None:
        return  # finished already: a redelivered message does nothing
    try:
        content = _base_pattern_image(personalization)
        style = _style_image(personalization)
        small = content.copy()
        small.thumbnail((INSTANT_PREVIEW_SIDE, INSTANT_PREVIEW_SIDE), Image.Resampling.LANCZOS)
        instant = reinhard_transfer(small, style, strength=personalization.strength)
        personalization_store_instant_preview(personalization=personalization, png=_png(instant))
        personalization_set_progress(personalization_id=personalization_id, percent=5)

        def write(percent: int) -> None:
            personalization_set_progress(personalization_id=personalization_id, percent=percent)

        with device_slot("preview"):
            result = engine().preview(
                content,
                style,
                repeat=personalization.base_pattern.repeat_type,
                params=_params(personalization),
                long_side=settings.STYLIZATION_PREVIEW_SIZE,
                progress=_progress_writer(write, 5, 99),
            )
        personalization_finish(personalization=personalization, png=_png(result.image), engine_info=result.info)
    except PERMANENT_ERRORS as exc:
        personalization_fail(personalization_id=personalization_id, error=str(exc))
    except Exception as exc:
        if _is_last_attempt():
            personalization_fail(
                personalization_id=personalization_id, error=f"The preview could not be rendered: {exc}"
            )
        raise


# --- order lines ------------------------------------------------------------------------------------


def _line_start(order_line_id: int) -> OrderLine | None:
    with transaction.atomic():
        line = OrderLine.objects.select_for_update().filter(pk=order_line_id).first()
        if line is None or line.render_status in (JobStatus.DONE, JobStatus.FAILED) or line.print_png:
            return None
        line.render_status = JobStatus.RUNNING
        line.render_attempts += 1
        line.render_error = ""
        line.save(update_fields=["render_status", "render_attempts", "render_error"])
    order_rendering_started(order_id=line.order_id)
    return OrderLine.objects.select_related(
        "personalization__base_pattern", "personalization__style", "product_size__product"
    ).get(pk=order_line_id)


def _line_fail(order_line_id: int, error: str) -> None:
    OrderLine.objects.filter(pk=order_line_id).exclude(render_status=JobStatus.DONE).update(
        render_status=JobStatus.FAILED, render_error=error[:2000]
    )


def _line_progress(order_line_id: int, percent: int) -> None:
    OrderLine.objects.filter(pk=order_line_id, render_progress__lt=percent).update(render_progress=min(percent, 99))


def order_line_render(*, order_line_id: int) -> None:
    """The final tile at print resolution, the print PNG and the print sheet; then the SVG job."""
    line = _line_start(order_line_id)
    if line is None:
        _enqueue_vectorize_if_needed(order_line_id)
        return
    personalization = line.personalization
    pattern = personalization.base_pattern
    try:
        content = _base_pattern_image(personalization)
        style = _style_image(personalization)
        with device_slot("final"):
            result = engine().render_tile(
                content,
                style,
                repeat=pattern.repeat_type,
                params=_params(personalization),
                width_px=pattern.width_px,
                height_px=pattern.height_px,
                progress=_progress_writer(lambda p: _line_progress(order_line_id, p), 0, 80),
            )
        sheet_w, sheet_h = line.product_size.print_pixels(pattern.dpi)
        sheet = print_sheet(result.image, repeat=pattern.repeat_type, width_px=sheet_w, height_px=sheet_h)
        with transaction.atomic():
            locked = OrderLine.objects.select_for_update().get(pk=order_line_id)
            locked.print_png.save("print.png", ContentFile(print_png_bytes(result.image, dpi=pattern.dpi)), save=False)
            locked.print_sheet.save("print-sheet.png", ContentFile(print_png_bytes(sheet, dpi=pattern.dpi)), save=False)
            locked.render_info = {"engine": result.info, "sheet_px": [sheet_w, sheet_h], "dpi": pattern.dpi}
            locked.render_progress = 85
            locked.save(update_fields=["print_png", "print_sheet", "render_info", "render_progress"])
            transaction.on_commit(lambda: _enqueue_vectorize(order_line_id))
    except PERMANENT_ERRORS as exc:
        _line_fail(order_line_id, str(exc))
    except Exception as exc:
        if _is_last_attempt():
            _line_fail(order_line_id, f"The print file could not be rendered: {exc}")
        raise


def _enqueue_vectorize(order_line_id: int) -> None:
    from stylization.tasks import vectorize

    vectorize.send(order_line_id)


def _enqueue_vectorize_if_needed(order_line_id: int) -> None:
    # A render redelivered after its files were stored but before the SVG job was sent.
    line = OrderLine.objects.filter(pk=order_line_id).first()
    if line is not None and line.print_png and not line.svg and line.render_status == JobStatus.RUNNING:
        _enqueue_vectorize(order_line_id)


def order_line_vectorize(*, order_line_id: int) -> None:
    line = OrderLine.objects.select_related("personalization__base_pattern").filter(pk=order_line_id).first()
    if line is None or line.render_status == JobStatus.DONE or not line.print_png:
        return
    pattern = line.personalization.base_pattern
    try:
        with line.print_png.open("rb") as fh:
            tile = Image.open(io.BytesIO(fh.read())).convert("RGB")
        vector = vectorize_tile(tile, repeat=pattern.repeat_type)
        with transaction.atomic():
            locked = OrderLine.objects.select_for_update().get(pk=order_line_id)
            if locked.render_status == JobStatus.DONE:
                return
            locked.svg.save("print.svg", ContentFile(vector.svg.encode()), save=False)
            info: dict[str, Any] = dict(locked.render_info)
            info["svg"] = {"ssim": vector.ssim, "settings": vector.settings, "paths": vector.paths}
            locked.render_info = info
            locked.render_status = JobStatus.DONE
            locked.render_progress = 100
            locked.save(update_fields=["svg", "render_info", "render_status", "render_progress"])
            transaction.on_commit(lambda: _enqueue_attribution(order_line_id))
    except PERMANENT_ERRORS as exc:
        _line_fail(order_line_id, str(exc))
    except Exception as exc:
        if _is_last_attempt():
            _line_fail(order_line_id, f"The SVG could not be made: {exc}")
        raise


def _enqueue_attribution(order_line_id: int) -> None:
    # The outputs exist: the provenance worker records their attribution, then marks the order ready.
    from provenance.tasks import attribute_order_line

    attribute_order_line.send(order_line_id)


def jobs_requeue_unfinished() -> dict[str, int]:
    """At start-up of the embedded worker: enqueue again every job a dead process left behind."""
    from marketplace.services.personalizations import personalizations_requeue_unfinished
    from stylization.tasks import render

    lines = list(
        OrderLine.objects.filter(render_status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).values_list("pk", flat=True)
    )
    for pk in lines:
        render.send(pk)
    return {"personalizations": personalizations_requeue_unfinished(), "order_lines": len(lines)}
