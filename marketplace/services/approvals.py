"""Approval of derivatives: where a style's licence `requires_approval`, each proof waits for the
artist (`awaiting_artist_approval`) before the buyer sees it. The artist approves (the proof goes to
the buyer) or declines with a reason; no answer within `ARTIST_APPROVAL_TIMEOUT_S` (5 days by
default) counts as a decline. A decline cancels the line through the fulfilment workflow, which
refunds it in full and returns the edition use, and the buyer is told why by e-mail."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from marketplace.errors import Conflict, NotAllowed
from marketplace.models import DECLINE_REASON_MAX_CHARS, ApprovalStatus, DerivativeApproval, LineStage, User
from marketplace.notifications import notification_send
from marketplace.services.fulfilment import order_line_artist_approved
from marketplace.services.proofs import order_line_cancel

DECLINED = "The artist of the style declined this design"
EXPIRED = "The artist of the style did not approve this design in time"


def artist_approval_days() -> int:
    """The approval window in whole days, rounded up: what the buyer is told before paying."""
    return -(-settings.ARTIST_APPROVAL_TIMEOUT_S // 86400)


def approval_deadline(approval: DerivativeApproval) -> dt.datetime:
    return approval.requested_at + dt.timedelta(seconds=settings.ARTIST_APPROVAL_TIMEOUT_S)


def _pending(approval_id: int, *, artist: User) -> DerivativeApproval:
    approval = (
        DerivativeApproval.objects.select_for_update(of=("self",))
        .select_related("order_line__order__buyer")
        .filter(pk=approval_id, artist=artist)
        .first()
    )
    if approval is None:
        raise NotAllowed("This derivative is not yours to approve.")
    withdrawn = approval.status == ApprovalStatus.WITHDRAWN or (
        approval.status == ApprovalStatus.PENDING
        and approval.order_line.stage != LineStage.AWAITING_ARTIST_APPROVAL
    )
    if withdrawn:
        raise Conflict("The buyer cancelled this order before you answered: the design was withdrawn.")
    if approval.status != ApprovalStatus.PENDING:
        raise Conflict(f"This derivative was {approval.status} already.")
    return approval


def approval_approve(*, approval_id: int, artist: User) -> DerivativeApproval:
    """The proof goes on to the buyer's own proof approval."""
    with transaction.atomic():
        approval = _pending(approval_id, artist=artist)
        approval.status = ApprovalStatus.APPROVED
        approval.decided_at = timezone.now()
        approval.save(update_fields=["status", "decided_at"])
        order_line_artist_approved(order_line_id=approval.order_line_id)
    return approval


def _decline(approval: DerivativeApproval, *, status: str, reason: str, buyer_reason: str) -> None:
    approval.status = status
    approval.reason = reason
    approval.decided_at = timezone.now()
    approval.save(update_fields=["status", "reason", "decided_at"])
    line = approval.order_line
    notification_send(
        key=f"approval-declined:{approval.pk}",
        to=line.order.buyer.email,
        template="artist_declined",
        context={
            "order": line.order,
            "line": line,
            "reason": reason,
            "expired": status == ApprovalStatus.EXPIRED,
        },
    )
    order_line_cancel(
        order_line_id=line.pk, actor=None, reason=f"{buyer_reason}: {reason}" if reason else buyer_reason
    )


def approval_decline(*, approval_id: int, artist: User, reason: str) -> DerivativeApproval:
    reason = reason.strip()
    if not reason or len(reason) > DECLINE_REASON_MAX_CHARS:
        raise ValidationError(
            {"reason": f"Tell the buyer why, in at most {DECLINE_REASON_MAX_CHARS:,} characters."}
        )
    with transaction.atomic():
        approval = _pending(approval_id, artist=artist)
        _decline(approval, status=ApprovalStatus.DECLINED, reason=reason, buyer_reason=DECLINED)
    return approval


def approvals_expire(*, now: dt.datetime | None = None) -> int:
    """Decline every derivative its artist left unanswered past the delay. Run by the periodic sweep."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.ARTIST_APPROVAL_TIMEOUT_S)
    expired = 0
    for pk in DerivativeApproval.objects.filter(
        status=ApprovalStatus.PENDING, requested_at__lte=cutoff
    ).values_list("pk", flat=True):
        with transaction.atomic():
            approval = (
                DerivativeApproval.objects.select_for_update(of=("self",))
                .select_related("order_line__order__buyer")
                .get(pk=pk)
            )
            if (
                approval.status != ApprovalStatus.PENDING
                or approval.order_line.stage != LineStage.AWAITING_ARTIST_APPROVAL
            ):
                continue
            days = artist_approval_days()
            _decline(
                approval,
                status=ApprovalStatus.EXPIRED,
                reason=f"no answer within {days} day{'s' if days != 1 else ''}",
                buyer_reason=EXPIRED,
            )
            expired += 1
    return expired
