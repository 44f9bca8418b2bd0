"""Infringement reports and the staff decisions on them. Anyone with an account may report a style
or a base pattern; staff suspend the listing while they look, and uphold or dismiss the claim.
Upholding revokes the attribution records of the listing's sales on chain (provenance's
`revoke_listing_records` job, on the single-writer chain queue). Each decision is written to the
audit log (`ModerationDecision`): who, when, what and why."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from marketplace import jobs
from marketplace.errors import Conflict, NotAllowed
from marketplace.models import (
    BasePattern,
    InfringementReport,
    ModerationAction,
    ModerationDecision,
    OrderLine,
    ReportStatus,
    ReportTarget,
    Style,
    TakedownReason,
    User,
)
from marketplace.services.catalogue import listing_suspend, listing_unsuspend

CLAIM_MIN_CHARS = 20
CLAIM_MAX_CHARS = 5000
NOTE_MAX_CHARS = 5000


def report_file(
    *, reporter: User, target: str, listing_id: int, claim: str, evidence_url: str
) -> InfringementReport:
    claim = claim.strip()
    if not CLAIM_MIN_CHARS <= len(claim) <= CLAIM_MAX_CHARS:
        raise ValidationError(
            {
                "claim": f"Describe the claim in {CLAIM_MIN_CHARS} to {CLAIM_MAX_CHARS:,} characters: whose work, and how."
            }
        )
    if not evidence_url.lower().startswith(("https://", "http://")):
        raise ValidationError({"evidence_url": "Give a web address (http or https) of the evidence."})
    if target not in ReportTarget.values:
        raise ValidationError({"target": f"Choose one of: {', '.join(ReportTarget.values)}."})
    model: type[Style] | type[BasePattern] = Style if target == ReportTarget.STYLE else BasePattern
    listing = model.objects.filter(pk=listing_id).first()
    if listing is None or not _reportable_by(listing, reporter):
        raise ValidationError({"id": [f"No {target} has this id."]})
    return InfringementReport.objects.create(
        reporter=reporter,
        target=target,
        style=listing if isinstance(listing, Style) else None,
        pattern=listing if isinstance(listing, BasePattern) else None,
        claim=claim,
        evidence_url=evidence_url,
    )


def _reportable_by(listing: Style | BasePattern, reporter: User) -> bool:
    """A listing on offer is anyone's to report. One no longer offered (withdrawn or suspended) is
    reportable by staff and by buyers who ordered from it, who know of it; to anyone else it answers
    as a missing id does, so ids cannot be probed for listings that are not shown."""
    if listing.active or reporter.is_staff:
        return True
    through = "personalization__style" if isinstance(listing, Style) else "personalization__base_pattern"
    return OrderLine.objects.filter(order__buyer=reporter, **{through: listing}).exists()


def _decide(
    report: InfringementReport, *, actor: User, action: str, note: str, reason_code: str = ""
) -> tuple[InfringementReport, ModerationDecision]:
    if not actor.is_staff:
        raise NotAllowed("Only staff decide on infringement reports.")
    note = note.strip()
    if not note or len(note) > NOTE_MAX_CHARS:
        raise ValidationError(
            {"note": f"Say why, in at most {NOTE_MAX_CHARS:,} characters: the log keeps it."}
        )
    # Only the report's row is locked (its listing is a nullable join, which PostgreSQL cannot lock).
    locked = (
        InfringementReport.objects.select_for_update(of=("self",))
        .select_related("style", "pattern")
        .get(pk=report.pk)
    )
    if locked.status in (ReportStatus.UPHELD, ReportStatus.DISMISSED):
        raise Conflict(f"This report was {locked.status} already.")
    decision = ModerationDecision.objects.create(
        report=locked, actor=actor, action=action, reason_code=reason_code, note=note
    )
    return locked, decision


def report_suspend(*, report: InfringementReport, actor: User, note: str) -> ModerationDecision:
    """Take the listing down while the claim is looked into: no new personalizations, carts or
    checkouts; paid orders are still made."""
    with transaction.atomic():
        locked, decision = _decide(report, actor=actor, action=ModerationAction.SUSPEND, note=note)
        listing_suspend(listing=locked.listing)
        locked.status = ReportStatus.SUSPENDED
        locked.save(update_fields=["status"])
    return decision


def report_uphold(
    *, report: InfringementReport, actor: User, reason_code: str, note: str
) -> ModerationDecision:
    """The claim holds: the listing stays down for good and the attribution records of its sales are
    revoked on chain with `reason_code`, which verification then reports."""
    if reason_code not in TakedownReason.values:
        raise ValidationError({"reason_code": f"Choose one of: {', '.join(TakedownReason.values)}."})
    with transaction.atomic():
        locked, decision = _decide(
            report, actor=actor, action=ModerationAction.UPHOLD, note=note, reason_code=reason_code
        )
        listing_suspend(listing=locked.listing)
        locked.status = ReportStatus.UPHELD
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["status", "resolved_at"])
        # A row with the decision, so a worker that dies before the chain has them revokes them later.
        jobs.enqueue(jobs.REVOKE_LISTING_RECORDS, decision.pk)
    return decision


def report_dismiss(*, report: InfringementReport, actor: User, note: str) -> ModerationDecision:
    """The claim does not hold. A listing suspended for it may be listed again by its owner (it is
    not listed again by this: the owner decides)."""
    with transaction.atomic():
        locked, decision = _decide(report, actor=actor, action=ModerationAction.DISMISS, note=note)
        listing = locked.listing
        others_upheld = InfringementReport.objects.filter(
            **{locked.target: listing}, status__in=[ReportStatus.SUSPENDED, ReportStatus.UPHELD]
        ).exclude(pk=locked.pk)
        if not others_upheld.exists():
            listing_unsuspend(listing=listing)
        locked.status = ReportStatus.DISMISSED
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["status", "resolved_at"])
    return decision
