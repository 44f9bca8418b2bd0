"""A style's feed-forward preview model: one row per (style image, encoder, model config)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class StyleModelStatus(models.TextChoices):
    QUEUED = "queued"
    TRAINING = "training"
    READY = "ready"
    FAILED = "failed"


def _model_upload_to(instance: StyleModel, filename: str) -> str:
    return f"style_models/{instance.style_id}/{uuid.uuid4().hex}/{filename}"


class StyleModel(models.Model):
    """Trained for one identity; a new image, encoder or config makes a new row and a new job."""

    style = models.ForeignKey(
        "marketplace.Style", on_delete=models.CASCADE, related_name="feedforward_models"
    )
    identity = models.CharField(max_length=64)
    style_sha256 = models.CharField(max_length=64)
    encoder_name = models.CharField(max_length=20)
    encoder_sha256 = models.CharField(max_length=64)
    config = models.JSONField(default=dict)
    config_sha256 = models.CharField(max_length=64)
    status = models.CharField(
        max_length=10, choices=StyleModelStatus.choices, default=StyleModelStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    file = models.FileField(upload_to=_model_upload_to, blank=True)
    checksum_sha256 = models.CharField(max_length=64, blank=True)
    curve = models.JSONField(default=list, blank=True)  # training loss, thinned to at most 100 points
    judge = models.JSONField(default=dict, blank=True)
    training_seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    trained_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["style", "identity"], name="style_model_unique_identity")
        ]
        indexes = [models.Index(fields=["style", "status"])]

    def __str__(self) -> str:
        return f"model {self.identity[:12]} of style {self.style_id} ({self.status})"
