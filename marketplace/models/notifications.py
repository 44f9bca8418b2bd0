"""The log of notification e-mails, which keeps a retried send from sending twice."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class EmailMessageLog(models.Model):
    """Each notification e-mail, keyed by what it is about (e.g. `proof-ready:line:12`). The row is
    written before the send, so a retried job finds it and sends nothing twice."""

    key = models.CharField(max_length=120, unique=True)
    to = models.EmailField()
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.key
