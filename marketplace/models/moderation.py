"""Infringement reports and staff's decisions on them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from marketplace.models.accounts import User
from marketplace.models.catalogue import BasePattern, Style


class ReportTarget(models.TextChoices):
    STYLE = "style"
    PATTERN = "pattern"


class ReportStatus(models.TextChoices):
    OPEN = "open"
    # Staff took the listing down while they look into the claim.
    SUSPENDED = "suspended"
    # The claim holds: the listing stays down and its attribution records are revoked on chain.
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class TakedownReason(models.TextChoices):
    """Why staff uphold a claim: the reason code that goes on chain with each revocation."""

    COPYRIGHT = "copyright", "Copyright infringement"
    TRADEMARK = "trademark", "Trademark infringement"
    STYLE_LAUNDERING = "style_laundering", "Someone else's artwork listed as one's own"
    OTHER = "other", "Other rights claim"


class InfringementReport(models.Model):
    """A claim, by anyone with an account, that a listed style or base pattern infringes their rights."""

    reporter = models.ForeignKey(User, on_delete=models.PROTECT, related_name="infringement_reports")
    target = models.CharField(max_length=10, choices=ReportTarget.choices)
    style = models.ForeignKey(Style, on_delete=models.PROTECT, null=True, blank=True, related_name="reports")
    pattern = models.ForeignKey(
        BasePattern, on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    claim = models.TextField()
    evidence_url = models.URLField(max_length=500)
    status = models.CharField(max_length=10, choices=ReportStatus.choices, default=ReportStatus.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(target="style", style__isnull=False, pattern__isnull=True)
                    | models.Q(target="pattern", pattern__isnull=False, style__isnull=True)
                ),
                name="report_names_one_listing",
            )
        ]

    def __str__(self) -> str:
        return f"Report {self.pk} on {self.target} {self.style_id or self.pattern_id}"

    @property
    def listing(self) -> Style | BasePattern:
        listing = self.style if self.target == ReportTarget.STYLE else self.pattern
        assert listing is not None  # the check constraint holds it
        return listing


class ModerationAction(models.TextChoices):
    SUSPEND = "suspend", "Suspended the listing"
    UPHOLD = "uphold", "Upheld the claim and revoked the attribution records"
    DISMISS = "dismiss", "Dismissed the claim"


class ModerationDecision(models.Model):
    """The audit log of staff decisions on reports: who decided what, when, and why. Never edited."""

    report = models.ForeignKey(InfringementReport, on_delete=models.PROTECT, related_name="decisions")
    actor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="moderation_decisions")
    action = models.CharField(max_length=10, choices=ModerationAction.choices)
    reason_code = models.CharField(max_length=20, choices=TakedownReason.choices, blank=True)
    note = models.TextField()
    # How many attribution records the decision sent to be revoked on chain.
    records_revoked = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} (report {self.report_id}) by {self.actor}"
