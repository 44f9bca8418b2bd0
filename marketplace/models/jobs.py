"""Background work that has no row of its own to say it is unfinished."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class JobStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BackgroundJob(models.Model):
    """A job that has no row of its own to say it is unfinished (a refund asked for, a takedown's
    revocations): written in the transaction of the change that needs it, sent on commit, and
    marked done when its actor returns (`marketplace.jobs`). Until then the sweep sends it again,
    so a worker that dies, or an embedded broker's memory lost with its process, loses nothing."""

    actor_name = models.CharField(max_length=100)
    args = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # When the periodic sweep sends it again if it is still unfinished: its actor's longest silence
    # (a run up to its time limit, a backoff between retries) plus BACKGROUND_JOB_RESEND_AFTER_S.
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.actor_name}{tuple(self.args)} ({self.status})"
