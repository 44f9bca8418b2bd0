"""Colour for print: each substrate's ICC output profile, a base pattern's palette, and soft proofs.

The engines (stylization/engine/softproof.py, colourway.py) do the colour science; this module keeps
their inputs and results: the profile a print shop installed, the palette found at upload, and a
soft proof kept by the hashes of the preview and the profile it was made from.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from marketplace.icc import DEFAULT_PROFILE_FILES, default_profile_bytes
from marketplace.models import (
    BasePattern,
    OrderLine,
    Personalization,
    Product,
    SoftProofRender,
    Substrate,
    SubstrateProfile,
)
from stylization.engine.colourway import extract_palette
from stylization.engine.images import load_image
from stylization.engine.softproof import (
    PrintFile,
    ProfileError,
    ProfileInfo,
    gamut_warning_overlay,
    print_file_bytes,
    profile_info,
    soft_proof,
)

PRINTED_SUBSTRATES: tuple[str, ...] = tuple(DEFAULT_PROFILE_FILES)


def usable_profile_info(data: bytes) -> ProfileInfo:
    """The profile's name and hash; ValidationError on `profile` when it cannot proof and print."""
    try:
        info = profile_info(data)
    except ProfileError as error:
        raise ValidationError({"profile": str(error)}) from None
    if info.colour_space not in ("CMYK", "RGB"):
        raise ValidationError(
            {"profile": f"A print profile must output CMYK or RGB; this one outputs {info.colour_space}."}
        )
    return info


def substrate_profile_set(*, substrate: str, data: bytes) -> SubstrateProfile:
    """Install `data` as the ICC output profile that `substrate` is proofed and printed through."""
    if substrate not in PRINTED_SUBSTRATES:
        raise ValidationError(
            {"substrate": f"Only printed substrates carry a profile: {', '.join(PRINTED_SUBSTRATES)}."}
        )
    info = usable_profile_info(data)
    profile, _ = SubstrateProfile.objects.update_or_create(
        substrate=substrate,
        defaults={"profile": data, "name": info.name, "sha256": info.sha256, "updated_at": timezone.now()},
    )
    return profile


def substrate_profile_bytes(substrate: str) -> bytes:
    """The installed profile of a printed substrate, or the shipped default when none is installed."""
    row = SubstrateProfile.objects.filter(substrate=substrate).only("profile").first()
    return bytes(row.profile) if row is not None else default_profile_bytes(substrate)


def substrate_of(value: str) -> str:
    """A printed substrate from a Substrate value or a product's slug ("cotton" → fabric);
    ValidationError on `substrate` for anything else."""
    if value in PRINTED_SUBSTRATES:
        return value
    product = Product.objects.filter(slug=value, active=True).only("substrate").first()
    if product is not None and product.substrate in PRINTED_SUBSTRATES:
        return product.substrate
    known = ", ".join(PRINTED_SUBSTRATES)
    if value == Substrate.DIGITAL or (product is not None and not product.is_physical):
        raise ValidationError({"substrate": f"A digital file is never printed; choose one of {known}."})
    raise ValidationError(
        {"substrate": f"Unknown substrate {value!r}; choose one of {known} or a product's slug."}
    )


def order_line_profile_info(*, line: OrderLine) -> ProfileInfo | None:
    """The profile a physical line's print file is made for; None for a digital file."""
    substrate = line.product_size.product.substrate
    if substrate not in PRINTED_SUBSTRATES:
        return None
    return profile_info(substrate_profile_bytes(substrate))


def order_line_print_file(*, line: OrderLine, sheet: bytes) -> PrintFile:
    """The line's print sheet in its substrate's output profile, with the profile embedded."""
    substrate = line.product_size.product.substrate
    if substrate not in PRINTED_SUBSTRATES:
        raise ValidationError({"substrate": "A digital file is never printed."})
    dpi = line.personalization.base_pattern.dpi
    return print_file_bytes(
        load_image(sheet, max_pixels=_sheet_pixels_limit()), substrate_profile_bytes(substrate), dpi=dpi
    )


def _sheet_pixels_limit() -> int:
    # The sheet is within MOTIF_MAX_SHEET_PIXELS; a licence's credit strip adds a little below it.
    return settings.MOTIF_MAX_SHEET_PIXELS * 5 // 4


def pattern_palette_of_image(data: bytes) -> list[str]:
    return extract_palette(load_image(data))


def pattern_palette(*, pattern: BasePattern) -> list[str]:
    """The pattern's palette, found now for a pattern listed before palettes were kept."""
    if not pattern.palette:
        with pattern.image.open("rb") as fh:
            pattern.palette = pattern_palette_of_image(fh.read())
        BasePattern.objects.filter(pk=pattern.pk).update(palette=pattern.palette)
    return list(pattern.palette)


@dataclass(frozen=True)
class SubstrateProof:
    substrate: str
    profile_name: str
    render: SoftProofRender


def personalization_soft_proof(*, personalization: Personalization, substrate: str) -> SubstrateProof:
    """The personalization's preview as it prints on `substrate` (a value or a product slug).

    ValidationError on `substrate` for one that is never printed, and on `preview` while there is no
    preview yet."""
    substrate = substrate_of(substrate)
    source = personalization.preview or personalization.instant_preview
    if not source:
        raise ValidationError(
            {"preview": "This personalization has no preview yet; ask again when it is ready."}
        )
    try:
        with source.open("rb") as fh:
            output = fh.read()
    except OSError:
        raise ValidationError(
            {"preview": "This personalization's preview cannot be read; render it again."}
        ) from None
    profile = substrate_profile_bytes(substrate)
    output_sha, profile_sha = hashlib.sha256(output).hexdigest(), hashlib.sha256(profile).hexdigest()
    render = SoftProofRender.objects.filter(output_sha256=output_sha, profile_sha256=profile_sha).first()
    if render is None:
        render = _soft_proof_store(output, profile, output_sha=output_sha, profile_sha=profile_sha)
    return SubstrateProof(substrate=substrate, profile_name=profile_info(profile).name, render=render)


def _soft_proof_store(output: bytes, profile: bytes, *, output_sha: str, profile_sha: str) -> SoftProofRender:
    proof = soft_proof(load_image(output), profile)
    render = SoftProofRender(
        output_sha256=output_sha,
        profile_sha256=profile_sha,
        out_of_gamut_fraction=proof.out_of_gamut_fraction,
        max_delta_e=proof.max_delta_e,
    )
    name = f"{output_sha[:16]}-{profile_sha[:16]}"
    render.image.save(f"{name}.png", ContentFile(_png(proof.image)), save=False)
    render.gamut_warning_image.save(
        f"{name}-gamut.png", ContentFile(_png(gamut_warning_overlay(proof))), save=False
    )
    try:
        with transaction.atomic():
            render.save()
    except IntegrityError:  # a concurrent request made the same proof first
        render.image.delete(save=False)
        render.gamut_warning_image.delete(save=False)
        render = SoftProofRender.objects.get(output_sha256=output_sha, profile_sha256=profile_sha)
    return render


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
