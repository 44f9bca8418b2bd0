"""Styles, their licence versions, and base patterns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from marketplace.errors import NotAllowed
from marketplace.models import (
    DESCRIPTION_MAX_CHARS,
    DPI_RANGE,
    MAX_TAGS,
    TITLE_MAX_CHARS,
    BasePattern,
    RepeatType,
    Style,
    Tag,
    User,
)
from marketplace.printability import check_printable
from marketplace.services.colour import pattern_palette_of_image
from marketplace.services.laundering import (
    ArtworkListedByAnother,
    listed_style_copied,
    style_fingerprints_store,
)
from marketplace.services.licence_terms import (
    LicenceTerms,
    licence_terms_check_current,
    licence_version_create,
)
from marketplace.uploads import (
    UploadError,
    ValidatedImage,
    pattern_size_check,
    thumbnail_webp,
    validate_image,
)

# A repeat's pixels may differ from size × DPI by rounding only.
REPEAT_PIXEL_TOLERANCE = 1


@dataclass(frozen=True)
class PatternRepeat:
    repeat_type: str = RepeatType.BASIC
    dpi: int = 150
    width_in: Decimal | None = None
    height_in: Decimal | None = None
    royalty_percent: Decimal = Decimal("0")


def _validated_upload(data: bytes, *, field_name: str = "image") -> ValidatedImage:
    try:
        return validate_image(
            data, max_bytes=settings.MOTIF_MAX_UPLOAD_BYTES, max_pixels=settings.MOTIF_MAX_UPLOAD_PIXELS
        )
    except UploadError as exc:
        raise ValidationError({field_name: str(exc)}) from None


def _tag_slugs(names: Iterable[str]) -> list[str]:
    """Checked before anything is stored, so a refusal leaves no file behind."""
    slugs = sorted({slugify(name)[:40] for name in names if slugify(name)})
    if len(slugs) > MAX_TAGS:
        raise ValidationError({"tags": f"At most {MAX_TAGS} tags."})
    return slugs


def _tags(slugs: list[str]) -> list[Tag]:
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=slugs)}
    missing = [Tag(name=slug) for slug in slugs if slug not in existing]
    Tag.objects.bulk_create(missing, ignore_conflicts=True)
    return list(Tag.objects.filter(name__in=slugs))


def _store_image(instance: Style | BasePattern, upload: ValidatedImage, *, basename: str) -> None:
    """Writes the original and its thumbnail; if the surrounding transaction then fails, they are
    deleted again (a refused listing leaves nothing in storage)."""
    instance.image.save(f"{basename}.{upload.extension}", ContentFile(upload.data), save=False)
    instance.thumbnail.save(f"{basename}-thumb.webp", ContentFile(thumbnail_webp(upload.data)), save=False)
    instance.image_sha256 = upload.sha256
    instance.width_px, instance.height_px = upload.width, upload.height
    if isinstance(instance, BasePattern):
        instance.palette = pattern_palette_of_image(upload.data)


class _StoredFilesGuard:
    """Deletes the files stored inside the block when the block raises."""

    def __init__(self, instance: Style | BasePattern) -> None:
        self.instance = instance
        self.before = (instance.image.name, instance.thumbnail.name)

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            return
        for field, old in zip((self.instance.image, self.instance.thumbnail), self.before, strict=True):
            if field.name and field.name != old:
                field.storage.delete(field.name)
                field.name = old


def _title(value: str) -> str:
    title = value.strip()
    if not title:
        raise ValidationError({"title": "A title is required."})
    if len(title) > TITLE_MAX_CHARS:
        raise ValidationError({"title": f"A title is at most {TITLE_MAX_CHARS} characters."})
    return title


def _description(value: str) -> str:
    if len(value) > DESCRIPTION_MAX_CHARS:
        raise ValidationError(
            {"description": f"A description is at most {DESCRIPTION_MAX_CHARS:,} characters."}
        )
    return value


def _require_role(user: User, role: str) -> None:
    if not user.has_role(role):
        raise NotAllowed(f"Only a user with the {role} role can do this.")


def style_create(
    *,
    artist: User,
    title: str,
    image: bytes,
    terms: LicenceTerms,
    description: str = "",
    tags: Iterable[str] = (),
    active: bool = True,
) -> Style:
    _require_role(artist, "artist")
    terms.validate()
    if active:
        licence_terms_check_current(terms)
    slugs = _tag_slugs(tags)
    style = Style(artist=artist, title=_title(title), description=_description(description), active=active)
    upload = _validated_upload(image)
    _refuse_anothers_artwork(upload, artist=artist)
    with _StoredFilesGuard(style), transaction.atomic():
        _store_image(style, upload, basename=slugify(title)[:40] or "style")
        style.save()
        style.tags.set(_tags(slugs))
        licence_version_create(style=style, terms=terms)
        style.refresh_from_db(fields=["licence"])
        style_fingerprints_store(style=style, image=upload.data)
        _request_style_model(style)
    return style


def _refuse_anothers_artwork(upload: ValidatedImage, *, artist: User) -> None:
    copied = listed_style_copied(image=upload.data, user=artist)
    if copied is not None:
        raise ArtworkListedByAnother(copied)


def _request_style_model(style: Style) -> None:
    # Previews of a listed style run on its feed-forward model once trained (queued on commit).
    from stylization.services import style_model_request  # the worker app depends on this one

    style_model_request(style=style)


def style_update(
    *,
    style: Style,
    actor: User,
    title: str | None = None,
    description: str | None = None,
    tags: Iterable[str] | None = None,
    active: bool | None = None,
    image: bytes | None = None,
    terms: LicenceTerms | None = None,
) -> Style:
    if style.artist_id != actor.pk:
        raise NotAllowed("Only the artist who listed this style can change it.")
    slugs = _tag_slugs(tags) if tags is not None else None
    if terms is not None:
        terms.validate()
    with _StoredFilesGuard(style), transaction.atomic():
        fields: list[str] = []
        if title is not None:
            style.title = _title(title)
            fields.append("title")
        if description is not None:
            style.description = _description(description)
            fields.append("description")
        if active is not None and active != style.active:
            if active and style.suspended_at is not None:
                raise NotAllowed(
                    "This style was suspended after an infringement report; it cannot be listed again."
                )
            in_force = terms or (LicenceTerms.of(style.licence) if style.licence else None)
            if active and in_force is not None:
                licence_terms_check_current(in_force)
            style.active = active
            style.withdrawn_at = None if active else timezone.now()
            fields += ["active", "withdrawn_at"]
        if image is not None:
            upload = _validated_upload(image)
            _refuse_anothers_artwork(upload, artist=actor)
            _store_image(style, upload, basename=slugify(style.title)[:40] or "style")
            fields += ["image", "thumbnail", "image_sha256", "width_px", "height_px"]
            style_fingerprints_store(style=style, image=upload.data)
        if fields:
            style.save(update_fields=fields)
        if slugs is not None:
            style.tags.set(_tags(slugs))
        if terms is not None:
            licence_version_create(style=style, terms=terms)
            style.refresh_from_db(fields=["licence"])
        if image is not None or active:
            _request_style_model(style)  # a new image is a new identity: its model is trained afresh
    return style


def style_withdraw(*, style: Style, actor: User) -> None:
    """Styles are withdrawn, not deleted: paid orders and attribution records refer to them. A
    withdrawn style takes no new personalizations, carts or checkouts; paid orders are still made."""
    style_update(style=style, actor=actor, active=False)


def listing_suspend(*, listing: Style | BasePattern) -> None:
    """Staff take a listing down on an infringement report; its owner cannot list it again."""
    now = timezone.now()
    fields = ["active", "suspended_at"]
    listing.active = False
    listing.suspended_at = listing.suspended_at or now
    if isinstance(listing, Style):
        listing.withdrawn_at = listing.withdrawn_at or now
        fields.append("withdrawn_at")
    listing.save(update_fields=fields)


def listing_unsuspend(*, listing: Style | BasePattern) -> None:
    """The claim behind a suspension fell: the owner may list it again (it stays withdrawn until they do)."""
    if listing.suspended_at is not None:
        listing.suspended_at = None
        listing.save(update_fields=["suspended_at"])


def _repeat_inches(pixels: int, inches: Decimal | None, dpi: int, field_name: str) -> Decimal:
    if inches is None:
        return (Decimal(pixels) / Decimal(dpi)).quantize(Decimal("0.001"))
    if inches <= 0:
        raise ValidationError({field_name: "The repeat size must be positive."})
    expected = inches * dpi
    if abs(expected - pixels) > REPEAT_PIXEL_TOLERANCE:
        raise ValidationError(
            {
                field_name: (
                    f"{inches} in at {dpi} DPI is {round(expected)} px, but the image is {pixels} px "
                    f"on that side. Upload the repeat at {round(expected)} px or change the size or DPI."
                )
            }
        )
    return inches


def _validate_repeat(upload: ValidatedImage, repeat: PatternRepeat) -> tuple[Decimal, Decimal]:
    if repeat.repeat_type not in RepeatType.values:
        raise ValidationError({"repeat_type": f"Choose one of: {', '.join(RepeatType.values)}."})
    try:
        pattern_size_check(upload.width, upload.height, repeat_type=repeat.repeat_type)
    except UploadError as exc:
        raise ValidationError({"image": str(exc)}) from None
    if not DPI_RANGE[0] <= repeat.dpi <= DPI_RANGE[1]:
        raise ValidationError({"dpi": f"DPI must be between {DPI_RANGE[0]} and {DPI_RANGE[1]}."})
    if not Decimal("0") <= repeat.royalty_percent <= Decimal("100"):
        raise ValidationError({"royalty_percent": "The royalty percent must be between 0 and 100."})
    inches = (
        _repeat_inches(upload.width, repeat.width_in, repeat.dpi, "repeat_width_in"),
        _repeat_inches(upload.height, repeat.height_in, repeat.dpi, "repeat_height_in"),
    )
    check_printable(
        repeat_type=repeat.repeat_type, width_px=upload.width, height_px=upload.height, dpi=repeat.dpi
    )
    return inches


def pattern_create(
    *,
    designer: User,
    title: str,
    image: bytes,
    repeat: PatternRepeat,
    description: str = "",
    tags: Iterable[str] = (),
    active: bool = True,
) -> BasePattern:
    _require_role(designer, "designer")
    title = _title(title)
    description = _description(description)
    slugs = _tag_slugs(tags)
    upload = _validated_upload(image)
    width_in, height_in = _validate_repeat(upload, repeat)
    pattern = BasePattern(
        designer=designer,
        title=title,
        description=description,
        repeat_type=repeat.repeat_type,
        repeat_width_in=width_in,
        repeat_height_in=height_in,
        dpi=repeat.dpi,
        royalty_percent=repeat.royalty_percent,
        active=active,
    )
    with _StoredFilesGuard(pattern), transaction.atomic():
        _store_image(pattern, upload, basename=slugify(title)[:40] or "pattern")
        pattern.save()
        pattern.tags.set(_tags(slugs))
    return pattern


def pattern_update(
    *,
    pattern: BasePattern,
    actor: User,
    title: str | None = None,
    description: str | None = None,
    tags: Iterable[str] | None = None,
    active: bool | None = None,
    image: bytes | None = None,
    repeat: PatternRepeat | None = None,
) -> BasePattern:
    if pattern.designer_id != actor.pk:
        raise NotAllowed("Only the designer who listed this pattern can change it.")
    slugs = _tag_slugs(tags) if tags is not None else None
    with _StoredFilesGuard(pattern), transaction.atomic():
        if title is not None:
            pattern.title = _title(title)
        if description is not None:
            pattern.description = _description(description)
        if active is not None:
            if active and pattern.suspended_at is not None:
                raise NotAllowed(
                    "This pattern was suspended after an infringement report; it cannot be listed again."
                )
            pattern.active = active
        if image is not None or repeat is not None:
            upload = _validated_upload(image) if image is not None else None
            current = PatternRepeat(
                repeat_type=pattern.repeat_type,
                dpi=pattern.dpi,
                width_in=None if upload else pattern.repeat_width_in,
                height_in=None if upload else pattern.repeat_height_in,
                royalty_percent=pattern.royalty_percent,
            )
            repeat = repeat or current
            probe = upload or ValidatedImage(
                data=b"", format="PNG", width=pattern.width_px, height=pattern.height_px, sha256=""
            )
            width_in, height_in = _validate_repeat(probe, repeat)
            if upload is not None:
                _store_image(pattern, upload, basename=slugify(pattern.title)[:40] or "pattern")
            pattern.repeat_type = repeat.repeat_type
            pattern.dpi = repeat.dpi
            pattern.repeat_width_in, pattern.repeat_height_in = width_in, height_in
            pattern.royalty_percent = repeat.royalty_percent
        pattern.save()
        if slugs is not None:
            pattern.tags.set(_tags(slugs))
    return pattern


def pattern_withdraw(*, pattern: BasePattern, actor: User) -> None:
    pattern_update(pattern=pattern, actor=actor, active=False)
