"""The fulfilment workflow's stylization steps for a paid order line: render (the print tile and the
print sheet) and vectorize (the SVG). Each step loads its inputs, writes its outputs and sets its own
stage; it never decides or sends what comes next (`marketplace.services.fulfilment` does), so it
imports nothing of the marketplace above its models.

Both steps are safe under at-least-once delivery. A step claims its line under a row lock and takes
a lease that it renews while it works; a second message for the same line finds the claim (or the
next stage) and does nothing, and a claim whose lease lapsed (its worker died) is taken over.
Outputs are stored only if the claim that made them is still the line's, so a line is rendered once.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import secrets
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from marketplace.models import JobStatus, LineStage, OrderLine, Personalization
from stylization.device_slots import device_slot
from stylization.engine import (
    StyleParams,
    StylizeResult,
    load_image,
    print_png_bytes,
    print_sheet,
    vectorize_tile,
)
from stylization.engine.feedforward import fit_size
from stylization.engine.selvedge import SelvedgeCredit, with_selvedge
from stylization.engine.swatches import swatch_box, swatch_cut
from stylization.models import StyleModel, StyleModelStatus
from stylization.runtime import (
    PERMANENT_ERRORS,
    base_pattern_image_of,
    engine,
    preview_is_live,
    progress_writer,
    style_image_of,
    style_params_of,
    warm_style_model,
)
from stylization.selectors import style_model_ready

log = logging.getLogger(__name__)

RENDER_PROGRESS = (0, 80)
VECTORIZED_PROGRESS = 95
# What the buyer reads when a step fails for good; the engine's own words go to the log and to staff.
RENDER_FAILED = "We could not make the print file for this design"
VECTORIZE_FAILED = "We could not make the vector (SVG) file for this design"


def _lease_end() -> dt.datetime:
    return timezone.now() + dt.timedelta(seconds=settings.FULFILMENT_LEASE_S)


def _claim(order_line_id: int, *, ready: str, working: str, count: bool) -> tuple[OrderLine, int] | None:
    """Take the line for this step: a line at `ready` is claimed (and moved to `working`), a line at
    `working` whose lease lapsed is taken over. Returns the line and the claim's number, or None when
    there is nothing to do (a later stage, or another worker's live claim). `count` numbers the
    claim in `render_attempts` (the render's); a step that does not count is guarded by its stage."""
    now = timezone.now()
    with transaction.atomic():
        line = OrderLine.objects.select_for_update().filter(pk=order_line_id).first()
        if line is None:
            return None
        lapsed = line.lease_until is None or line.lease_until < now
        if line.stage == ready and ready != working:
            line.move_to(working, now=now)
        elif not (line.stage == working and lapsed):
            return None
        if count:
            line.render_attempts += 1
        line.lease_until = _lease_end()
        line.save(update_fields=["stage", "stage_changed_at", "render_attempts", "lease_until"])
    return (
        OrderLine.objects.select_related(
            "personalization__base_pattern__designer",
            "personalization__style__artist",
            "product_size__product",
            "licence_version",
            "swatch_of",
        ).get(pk=order_line_id),
        line.render_attempts,
    )


def _still_ours(locked: OrderLine, *, stage: str, claim: int) -> bool:
    return locked.stage == stage and locked.render_attempts == claim


def _renew(order_line_id: int, claim: int, percent: int) -> None:
    # Progress only moves forward; the lease is renewed only while this claim is the line's.
    OrderLine.objects.filter(pk=order_line_id, render_attempts=claim).update(lease_until=_lease_end())
    OrderLine.objects.filter(pk=order_line_id, render_progress__lt=percent).update(
        render_progress=min(percent, 99)
    )


def order_line_fail_step(*, order_line_id: int, reason: str, detail: str) -> None:
    """This step failed for good: the inputs cannot make the output, so a retry would not help."""
    if OrderLine.fail_for_good(order_line_id, reason=reason, detail=detail):
        log.warning("Order line %s failed: %s", order_line_id, detail)


def reserve_record_id() -> str:
    """The id the line's attribution record will have (128 random bits as 32 hex characters, the
    format provenance.core.ids checks). Reserved at render time because the selvedge prints the
    record's verify URL before the record exists; the attribution step then uses it."""
    return secrets.token_hex(16)


def _selvedge_credit(line: OrderLine, record_id: str) -> SelvedgeCredit | None:
    licence = line.licence_version
    style = line.personalization.style
    if licence is None or style is None or not licence.attribution_required:
        return None
    pattern = line.personalization.base_pattern
    path = reverse("provenance-certificate", args=[record_id])
    return SelvedgeCredit(
        title=f"{pattern.title} × {style.title}",
        artist=style.artist.username,
        designer=pattern.designer.username,
        verify_url=settings.SITE_URL.rstrip("/") + path,
    )


def _preview_model(personalization: Personalization) -> StyleModel | None:
    """The ready style model that made (or, for a personalization not previewed yet, would make) its preview."""
    info = personalization.engine_info or {}
    if info.get("method") == "feedforward":
        return (
            StyleModel.objects.filter(
                checksum_sha256=info.get("model_checksum", ""), status=StyleModelStatus.READY
            )
            .exclude(file="")
            .first()
        )
    if personalization.status != JobStatus.DONE and personalization.style is not None and preview_is_live():
        return style_model_ready(style=personalization.style, encoder_sha256=engine().weights_sha256)
    return None


def _approved_preview(personalization: Personalization, params: StyleParams) -> Image.Image | None:
    """The stored preview when it shows these params (a re-render's new seed needs a new one)."""
    info = personalization.engine_info or {}
    if (
        personalization.status != JobStatus.DONE
        or not personalization.preview
        or info.get("params") != params.as_dict()
    ):
        return None
    with personalization.preview.open("rb") as fh:
        return load_image(fh.read())


def final_tile(
    *, personalization: Personalization, params: StyleParams, progress: Callable[[float], None] | None = None
) -> StylizeResult:
    """The print tile, made by the method that made the buyer's preview, from that preview.

    A live model's preview is made again by the same model (its checksum is on the preview) with the
    same seed and params, and the print keeps its low band; an optimiser's preview, or a live one
    whose model is gone, starts the print's optimisation and keeps its low band too. Either way the
    print, seen at the preview's size, is the preview."""
    pattern = personalization.base_pattern
    content = base_pattern_image_of(personalization)
    settings_side = settings.STYLIZATION_PREVIEW_SIZE
    model_row = _preview_model(personalization)
    if model_row is not None:
        model = warm_style_model(model_row)
        size = (personalization.engine_info or {}).get("size")
        if not (isinstance(size, list) and len(size) == 2):
            height, width = fit_size(content.height, content.width, settings_side, model.config.size_multiple)
            size = [width, height]
        with device_slot("final"):
            return model.render_tile(
                content,
                repeat=pattern.repeat_type,
                params=params,
                width_px=pattern.width_px,
                height_px=pattern.height_px,
                preview_size=(int(size[0]), int(size[1])),
            )
    style = style_image_of(personalization)
    preview = _approved_preview(personalization, params)
    # With no approved preview to start from (an order placed before its preview finished), that
    # preview is the render's first part, and its progress counts as the render's first share.
    preview_share = 0.0 if preview is not None else PREVIEW_SHARE_OF_RENDER
    with device_slot("final"):
        if preview is None:
            preview = (
                engine()
                .preview(
                    content,
                    style,
                    repeat=pattern.repeat_type,
                    params=params,
                    long_side=settings_side,
                    progress=_scaled(progress, 0.0, preview_share),
                )
                .image
            )
        return engine().render_tile(
            content,
            style,
            repeat=pattern.repeat_type,
            params=params,
            width_px=pattern.width_px,
            height_px=pattern.height_px,
            progress=_scaled(progress, preview_share, 1.0),
            preview=preview,
        )


PREVIEW_SHARE_OF_RENDER = 0.3


def _scaled(
    progress: Callable[[float], None] | None, start: float, end: float
) -> Callable[[float], None] | None:
    """A progress hook for one part of a job, reporting into the whole job's [start, end] share."""
    if progress is None:
        return None
    return lambda fraction: progress(start + (end - start) * fraction)


def order_line_render(*, order_line_id: int) -> None:
    """queued → rendering → rendered: the final tile at print resolution and the print sheet."""
    claimed = _claim(order_line_id, ready=LineStage.QUEUED, working=LineStage.RENDERING, count=True)
    if claimed is None:
        return
    line, claim = claimed
    if line.swatch_of_id is not None:  # a swatch of an approved proof is cut from it, not rendered
        _swatch_cut_from_proof(line, claim)
        return
    personalization = line.personalization
    pattern = personalization.base_pattern
    # Each render's output gets its own record (a re-render's is a new one), so each claim reserves an id.
    record_id = reserve_record_id()
    start, end = RENDER_PROGRESS
    try:
        result = final_tile(
            personalization=personalization,
            params=replace(style_params_of(personalization), seed=line.seed),
            progress=progress_writer(lambda p: _renew(order_line_id, claim, p), start, end),
        )
        sheet_w, sheet_h = line.product_size.print_pixels(pattern.dpi)
        sheet = print_sheet(result.image, repeat=pattern.repeat_type, width_px=sheet_w, height_px=sheet_h)
        credit = _selvedge_credit(line, record_id)
        if credit is not None:
            sheet = with_selvedge(sheet, credit, dpi=pattern.dpi)
        tile_png = print_png_bytes(result.image, dpi=pattern.dpi)
        sheet_png = print_png_bytes(sheet, dpi=pattern.dpi)
    except PERMANENT_ERRORS as exc:
        order_line_fail_step(order_line_id=order_line_id, reason=f"{RENDER_FAILED}: {exc}.", detail=repr(exc))
        return
    with transaction.atomic():
        locked = OrderLine.objects.select_for_update().get(pk=order_line_id)
        if not _still_ours(locked, stage=LineStage.RENDERING, claim=claim):
            log.info(
                "Order line %s: render claim %s was superseded; its output is dropped.", order_line_id, claim
            )
            return
        locked.print_png.save("print.png", ContentFile(tile_png), save=False)
        locked.print_sheet.save("print-sheet.png", ContentFile(sheet_png), save=False)
        locked.render_info = {"engine": result.info, "sheet_px": [sheet_w, sheet_h], "dpi": pattern.dpi}
        if credit is not None:
            locked.render_info["selvedge"] = {
                "strip_px": sheet.height - sheet_h,
                "verify_url": credit.verify_url,
            }
        _mark_rendered(locked, record_id=record_id, progress=end)


def _swatch_cut_from_proof(line: OrderLine, claim: int) -> None:
    """queued → rendering → rendered for a swatch: its tile is the approved line's tile and its sheet
    a piece of the approved line's sheet at the swatch's size and the pattern's DPI."""
    source = line.swatch_of
    assert source is not None
    dpi = line.personalization.base_pattern.dpi
    record_id = reserve_record_id()
    try:
        with source.print_png.open("rb") as fh:
            tile = Image.open(io.BytesIO(fh.read())).convert("RGB")
        with source.print_sheet.open("rb") as fh:
            approved = Image.open(io.BytesIO(fh.read())).convert("RGB")
        sheet_w, sheet_h = source.render_info.get("sheet_px") or approved.size
        swatch_px = line.product_size.print_pixels(dpi)
        box = swatch_box(sheet_px=(sheet_w, sheet_h), swatch_px=swatch_px)
        sheet = swatch_cut(approved, box=box)
        credit = _selvedge_credit(line, record_id)
        if credit is not None:
            sheet = with_selvedge(sheet, credit, dpi=dpi)
        tile_png, sheet_png = print_png_bytes(tile, dpi=dpi), print_png_bytes(sheet, dpi=dpi)
    except (OSError, ValueError) as exc:
        order_line_fail_step(order_line_id=line.pk, reason=f"{RENDER_FAILED}: {exc}.", detail=repr(exc))
        return
    with transaction.atomic():
        locked = OrderLine.objects.select_for_update().get(pk=line.pk)
        if not _still_ours(locked, stage=LineStage.RENDERING, claim=claim):
            return
        locked.print_png.save("print.png", ContentFile(tile_png), save=False)
        locked.print_sheet.save("print-sheet.png", ContentFile(sheet_png), save=False)
        locked.render_info = {
            "engine": source.render_info.get("engine", {}),
            "sheet_px": list(swatch_px),
            "dpi": dpi,
            "swatch": {"of_line": source.pk, "box": list(box)},
        }
        if credit is not None:
            locked.render_info["selvedge"] = {
                "strip_px": sheet.height - swatch_px[1],
                "verify_url": credit.verify_url,
            }
        _mark_rendered(locked, record_id=record_id, progress=RENDER_PROGRESS[1])


def _mark_rendered(locked: OrderLine, *, record_id: str, progress: int) -> None:
    """Saves a line's freshly written print files as `rendered`, with the record id they carry."""
    locked.reserved_record_id = record_id
    locked.render_progress = progress
    locked.lease_until = None
    locked.move_to(LineStage.RENDERED)
    locked.save(
        update_fields=[
            "print_png",
            "print_sheet",
            "render_info",
            "reserved_record_id",
            "render_progress",
            "lease_until",
            "stage",
            "stage_changed_at",
        ]
    )


def order_line_vectorize(*, order_line_id: int) -> None:
    """rendered → vectorized: the SVG of the print tile."""
    claimed = _claim(order_line_id, ready=LineStage.RENDERED, working=LineStage.RENDERED, count=False)
    if claimed is None:
        return
    line, claim = claimed
    pattern = line.personalization.base_pattern
    try:
        with line.print_png.open("rb") as fh:
            tile = Image.open(io.BytesIO(fh.read())).convert("RGB")
        vector = vectorize_tile(tile, repeat=pattern.repeat_type)
    except PERMANENT_ERRORS as exc:
        order_line_fail_step(
            order_line_id=order_line_id, reason=f"{VECTORIZE_FAILED}: {exc}.", detail=repr(exc)
        )
        return
    with transaction.atomic():
        locked = OrderLine.objects.select_for_update().get(pk=order_line_id)
        if not _still_ours(locked, stage=LineStage.RENDERED, claim=claim):
            return
        locked.svg.save("print.svg", ContentFile(vector.svg.encode()), save=False)
        info: dict[str, Any] = dict(locked.render_info)
        info["svg"] = {"ssim": vector.ssim, "settings": vector.settings, "paths": vector.paths}
        locked.render_info = info
        locked.render_progress = VECTORIZED_PROGRESS
        locked.lease_until = None
        locked.move_to(LineStage.VECTORIZED)
        locked.save(
            update_fields=[
                "svg",
                "render_info",
                "render_progress",
                "lease_until",
                "stage",
                "stage_changed_at",
            ]
        )
