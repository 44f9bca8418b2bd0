"""After the files: the artist's approval of a derivative, and the print shop's job."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from marketplace.carriers import CARRIER_CODE_MAX_CHARS, Carrier, tracking_url
from marketplace.models.accounts import User
from marketplace.models.orders import LineStage, OrderLine

# What a print shop may type when it ships a job.
CARRIER_MAX_CHARS = 60
TRACKING_NUMBER_MAX_CHARS = 80
# An artist's reason for declining a derivative, shown to the buyer.
DECLINE_REASON_MAX_CHARS = 2000


class ProductionJob(models.Model):
    """A print shop's job: one per approved physical line, made when the line is approved (that is
    what releases its files to the approved print shops; the ship-to goes only to the shop that
    starts it). Its status is the line's stage."""

    order_line = models.OneToOneField(OrderLine, on_delete=models.PROTECT, related_name="production_job")
    # The print shop that took the job; until then any approved print shop may take it.
    printer = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    released_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    # The carrier's name as the buyer reads it; `carrier_code` is its row in `marketplace.carriers`
    # ("other" for a carrier not listed there, whose parcels get no tracking link).
    carrier = models.CharField(max_length=CARRIER_MAX_CHARS, blank=True)
    carrier_code = models.CharField(max_length=CARRIER_CODE_MAX_CHARS, choices=Carrier.choices, blank=True)
    tracking_number = models.CharField(max_length=TRACKING_NUMBER_MAX_CHARS, blank=True)

    class Meta:
        ordering = ["released_at", "id"]

    def __str__(self) -> str:
        return f"Production job {self.pk}"

    @property
    def tracking_url(self) -> str | None:
        return tracking_url(carrier_code=self.carrier_code, tracking_number=self.tracking_number)

    @property
    def status(self) -> str:
        return PRODUCTION_STATUS_OF_STAGE.get(self.order_line.stage, "withdrawn")


class ProductionStatus(models.TextChoices):
    QUEUED = "queued"
    PRINTING = "printing"
    SHIPPED = "shipped"


PRODUCTION_STATUS_OF_STAGE: dict[str, str] = {
    LineStage.APPROVED: ProductionStatus.QUEUED,
    LineStage.IN_PRODUCTION: ProductionStatus.PRINTING,
    LineStage.SHIPPED: ProductionStatus.SHIPPED,
}


class ApprovalStatus(models.TextChoices):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    # No answer within ARTIST_APPROVAL_TIMEOUT_S: treated as a decline.
    EXPIRED = "expired"
    # The buyer cancelled the line before the artist answered: nothing is left to approve.
    WITHDRAWN = "withdrawn"


class DerivativeApproval(models.Model):
    """The artist's decision on one derivative of a style whose licence `requires_approval`: one per
    proof (a buyer's re-render is a new derivative and asks again)."""

    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="artist_approvals")
    artist = models.ForeignKey(User, on_delete=models.PROTECT, related_name="derivative_approvals")
    status = models.CharField(max_length=10, choices=ApprovalStatus.choices, default=ApprovalStatus.PENDING)
    reason = models.TextField(blank=True)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        indexes = [models.Index(fields=["artist", "status"]), models.Index(fields=["status", "requested_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["order_line"],
                condition=models.Q(status="pending"),
                name="one_pending_approval_per_line",
            )
        ]

    def __str__(self) -> str:
        return f"Approval {self.pk} of line {self.order_line_id} ({self.status})"
