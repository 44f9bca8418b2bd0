"""Personalizations: a buyer's base pattern + style, and the state of the job that previews it.

The job's state changes only here; the stylization worker calls these functions around the engine.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from marketplace import jobs
from marketplace.models import (
    SEED_MAX,
    STRENGTH_RANGE,
    STYLE_SCALE_RANGE,
    BasePattern,
    JobStatus,
    LicenceUse,
    Personalization,
    Style,
    StyleRegions,
    User,
)
from marketplace.services.colour import pattern_palette
from marketplace.services.laundering import StyleLaundered, listed_style_copied
from marketplace.uploads import UploadError, validate_image
from stylization.engine.colourway import ColourwayError, validate_colourway


def _enqueue_preview(personalization_id: int) -> None:
    jobs.send(jobs.STYLIZE, personalization_id)


def personalization_create(
    *,
    buyer: User,
    base_pattern: BasePattern,
    style: Style | None = None,
    style_image: bytes | None = None,
    strength: float = 0.7,
    preserve_colors: bool = False,
    style_scale: float = 1.0,
    seed: int = 0,
    regions: str = StyleRegions.ALL,
    colourway: object = None,
) -> Personalization:
    if (style is None) == (style_image is None):
        raise ValidationError({"style": "Choose a listed style or upload your own image, not both."})
    if not base_pattern.active:
        raise ValidationError({"pattern": "This base pattern is no longer offered."})
    if style is not None and (not style.active or style.licence is None):
        raise ValidationError({"style": "This style is no longer offered."})
    if not STRENGTH_RANGE[0] <= strength <= STRENGTH_RANGE[1]:
        raise ValidationError(
            {"strength": f"Style strength must be between {STRENGTH_RANGE[0]:g} and {STRENGTH_RANGE[1]:g}."}
        )
    if not STYLE_SCALE_RANGE[0] <= style_scale <= STYLE_SCALE_RANGE[1]:
        raise ValidationError(
            {
                "style_scale": f"Style scale must be between {STYLE_SCALE_RANGE[0]:g} and {STYLE_SCALE_RANGE[1]:g}."
            }
        )
    if not 0 <= seed <= SEED_MAX:
        raise ValidationError({"seed": f"The seed must be between 0 and {SEED_MAX}."})
    if regions not in StyleRegions.values:
        raise ValidationError({"regions": f"Regions must be one of {', '.join(StyleRegions.values)}."})

    colourway = _valid_colourway(base_pattern, colourway)

    personalization = Personalization(
        buyer=buyer,
        colourway=colourway,
        base_pattern=base_pattern,
        style=style,
        strength=strength,
        preserve_colors=preserve_colors,
        style_scale=style_scale,
        seed=seed,
        regions=regions,
    )
    with transaction.atomic():
        if style_image is not None:
            try:
                upload = validate_image(
                    style_image,
                    max_bytes=settings.MOTIF_MAX_UPLOAD_BYTES,
                    max_pixels=settings.MOTIF_MAX_UPLOAD_PIXELS,
                )
            except UploadError as exc:
                raise ValidationError({"style_image": str(exc)}) from None
            listed = listed_style_copied(image=upload.data, user=buyer)
            if listed is not None:
                raise StyleLaundered(listed)
            personalization.style_image.save(
                f"own-style.{upload.extension}", ContentFile(upload.data), save=False
            )
            personalization.style_image_sha256 = upload.sha256
        personalization.save()
        transaction.on_commit(lambda: _enqueue_preview(personalization.pk))
    return personalization


def _valid_colourway(base_pattern: BasePattern, colourway: object) -> dict[str, str]:
    """The colourway in canonical form; ValidationError on `colourway` naming the bad entry."""
    if colourway is None or colourway == {}:
        return {}
    try:
        return validate_colourway(colourway, pattern_palette(pattern=base_pattern))
    except ColourwayError as error:
        raise ValidationError({"colourway": str(error)}) from None


def personalization_allowed_uses(personalization: Personalization) -> set[str]:
    """A buyer's own image may be printed for personal use only; a listed style as its licence says."""
    if personalization.uses_own_image:
        return {LicenceUse.PERSONAL}
    licence = personalization.style.licence if personalization.style else None
    uses = set(licence.allowed_uses) if licence else set()
    # A commercial licence covers personal use as well.
    return uses | {LicenceUse.PERSONAL} if LicenceUse.COMMERCIAL in uses else uses


def personalization_start(*, personalization_id: int) -> Personalization | None:
    """Claim the job for a worker. Returns None when there is nothing to do: the job is finished
    already (a redelivered message) or gone."""
    with transaction.atomic():
        personalization = Personalization.objects.select_for_update().filter(pk=personalization_id).first()
        if personalization is None or personalization.status in (JobStatus.DONE, JobStatus.FAILED):
            return None
        personalization.status = JobStatus.RUNNING
        personalization.started_at = timezone.now()
        personalization.attempts = F("attempts") + 1
        personalization.error = ""
        personalization.save(update_fields=["status", "started_at", "attempts", "error"])
    personalization.refresh_from_db()
    return personalization


def personalization_set_progress(*, personalization_id: int, percent: int) -> None:
    # Progress only moves forward, so a late write from a slow callback never rewinds the bar.
    Personalization.objects.filter(
        pk=personalization_id, status=JobStatus.RUNNING, progress__lt=percent
    ).update(progress=min(percent, 99))


def personalization_store_instant_preview(*, personalization: Personalization, png: bytes) -> None:
    personalization.instant_preview.save("instant.png", ContentFile(png), save=False)
    Personalization.objects.filter(pk=personalization.pk).update(
        instant_preview=personalization.instant_preview.name
    )


def personalization_finish(
    *, personalization: Personalization, png: bytes, engine_info: dict[str, object]
) -> None:
    with transaction.atomic():
        locked = Personalization.objects.select_for_update().get(pk=personalization.pk)
        if locked.status == JobStatus.DONE:
            return
        locked.preview.save("preview.png", ContentFile(png), save=False)
        locked.engine_info = engine_info
        locked.status = JobStatus.DONE
        locked.progress = 100
        locked.finished_at = timezone.now()
        locked.save(update_fields=["preview", "engine_info", "status", "progress", "finished_at"])


def personalization_fail(*, personalization_id: int, error: str) -> None:
    Personalization.objects.filter(pk=personalization_id).exclude(status=JobStatus.DONE).update(
        status=JobStatus.FAILED, error=error[:2000], finished_at=timezone.now()
    )


def personalizations_requeue_unfinished() -> int:
    """At start-up: every job that was queued or running when a process died is enqueued again.
    The actor is idempotent, so a job that is also still in a real broker's queue runs once."""
    ids = list(
        Personalization.objects.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).values_list(
            "pk", flat=True
        )
    )
    Personalization.objects.filter(pk__in=ids, status=JobStatus.RUNNING).update(status=JobStatus.QUEUED)
    for pk in ids:
        _enqueue_preview(pk)
    return len(ids)
