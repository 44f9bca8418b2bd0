"""A buyer's personalization: a base pattern in a style, and the preview job that renders it."""

from __future__ import annotations

import uuid

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from marketplace.models.accounts import User
from marketplace.models.catalogue import BasePattern, Style
from marketplace.models.jobs import JobStatus
from stylization.engine.params import SEED_MAX, STRENGTH_RANGE, STYLE_SCALE_RANGE

# The engine owns the controls' ranges (it validates them itself, and cannot import the marketplace);
# this module re-exports them beside the model they limit.
__all__ = [
    "SEED_MAX",
    "STRENGTH_RANGE",
    "STYLE_SCALE_RANGE",
    "OUT_OF_GAMUT_WARNING_SHARE",
    "Personalization",
    "SoftProofRender",
    "StyleRegions",
    "_personalization_upload_to",
]


class StyleRegions(models.TextChoices):
    """Which part of the base pattern the style paints; the ground is the design's dominant flat colour."""

    ALL = "all", "Motifs and ground"
    MOTIFS = "motifs", "Motifs only"
    GROUND = "ground", "Ground only"


def _personalization_upload_to(instance: Personalization, filename: str) -> str:
    return f"personalizations/{instance.buyer_id}/{uuid.uuid4().hex}/{filename}"


class Personalization(models.Model):
    """A buyer's combination of a base pattern and a style, and the preview job that renders it.

    The row is the job's record: it is written before the job is enqueued, so a restart can find and
    re-enqueue every job that was queued or running."""

    buyer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="personalizations")
    base_pattern = models.ForeignKey(BasePattern, on_delete=models.PROTECT, related_name="personalizations")
    style = models.ForeignKey(Style, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # A buyer's own image: for personal use only, and only its hash ever leaves the database.
    style_image = models.FileField(upload_to=_personalization_upload_to, blank=True)
    style_image_sha256 = models.CharField(max_length=64, blank=True)
    strength = models.FloatField(
        default=0.7, validators=[MinValueValidator(STRENGTH_RANGE[0]), MaxValueValidator(STRENGTH_RANGE[1])]
    )
    preserve_colors = models.BooleanField(default=False)
    style_scale = models.FloatField(
        default=1.0,
        validators=[MinValueValidator(STYLE_SCALE_RANGE[0]), MaxValueValidator(STYLE_SCALE_RANGE[1])],
    )
    seed = models.PositiveIntegerField(default=0)
    regions = models.CharField(max_length=8, choices=StyleRegions.choices, default=StyleRegions.ALL)
    # {"<hex of the base's palette>": "<new hex>"}: the colours swapped before styling.
    colourway = models.JSONField(default=dict, blank=True)

    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # The instant colour-transfer preview, shown until the neural one is ready.
    instant_preview = models.FileField(upload_to=_personalization_upload_to, blank=True)
    preview = models.FileField(upload_to=_personalization_upload_to, blank=True)
    engine_info = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"Personalization {self.pk}"

    @property
    def uses_own_image(self) -> bool:
        return self.style_id is None

    def params(self) -> dict[str, object]:
        """The inputs the render takes besides the images; a colourway is one of them only when it
        swaps a colour, so a personalization without one hashes as it always did."""
        params: dict[str, object] = {
            "strength": self.strength,
            "preserve_colors": self.preserve_colors,
            "style_scale": self.style_scale,
            "seed": self.seed,
            "regions": self.regions,
        }
        if self.colourway:
            params["colourway"] = dict(self.colourway)
        return params


# A proof whose share of out-of-gamut pixels reaches this is "mostly out of gamut": the buyer is told
# before approving that the print will not look like the screen.
OUT_OF_GAMUT_WARNING_SHARE = 0.25


def _soft_proof_upload_to(instance: SoftProofRender, filename: str) -> str:
    return f"softproofs/{instance.output_sha256[:2]}/{filename}"


class SoftProofRender(models.Model):
    """A preview as it prints through one ICC profile: kept by the preview's and the profile's hashes,
    so a proof is made once however many buyers, pages and substrates (sharing a profile) ask."""

    output_sha256 = models.CharField(max_length=64)
    profile_sha256 = models.CharField(max_length=64)
    image = models.FileField(upload_to=_soft_proof_upload_to)
    gamut_warning_image = models.FileField(upload_to=_soft_proof_upload_to)
    out_of_gamut_fraction = models.FloatField()
    max_delta_e = models.FloatField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["output_sha256", "profile_sha256"], name="soft_proof_unique")
        ]

    def __str__(self) -> str:
        return f"Soft proof of {self.output_sha256[:12]} through {self.profile_sha256[:12]}"
