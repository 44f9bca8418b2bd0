"""Withdrawal by the artist, infringement reports, and the staff decisions that the audit log keeps."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from rest_framework.throttling import ScopedRateThrottle

from marketplace import jobs
from marketplace.errors import Conflict, NotAllowed
from marketplace.models import (
    InfringementReport,
    ModerationAction,
    ModerationDecision,
    OrderStatus,
    ReportStatus,
)
from marketplace.services.catalogue import style_update, style_withdraw
from marketplace.services.orders import order_checkout, order_mark_paid
from marketplace.services.personalizations import personalization_create
from marketplace.services.reports import report_dismiss, report_suspend, report_uphold
from tests.conftest import SHIP_TO
from tests.factories import order_make, order_of_patterns_make

pytestmark = pytest.mark.django_db

CLAIM = "This is my painting from 2019; the listing copies it without my permission."
EVIDENCE = "https://example.com/portfolio/2019/harbour"


def test_a_withdrawn_style_takes_no_personalization_cart_or_checkout_but_paid_orders_are_made(
    buyer: Any, artist: Any, pattern: Any, style: Any, products: Any, client_for: Any
) -> None:
    before = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    awaiting = order_make(buyer=buyer, personalization=before, size=products["swatch"])
    order_checkout(order=awaiting, actor=buyer, shipping_address=SHIP_TO)
    draft = order_make(buyer=buyer, personalization=before, size=products["swatch"])
    response = client_for(artist).delete(f"/api/v1/styles/{style.pk}/")
    assert response.status_code == 204
    style.refresh_from_db()
    assert not style.active and style.withdrawn_at is not None
    with pytest.raises(ValidationError):
        personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    with pytest.raises(ValidationError):
        order_make(buyer=buyer, personalization=before, size=products["swatch"])
    with pytest.raises(Conflict):
        order_checkout(order=draft, actor=buyer, shipping_address=SHIP_TO)
    # An order checked out before the withdrawal is honoured once it is paid.
    order_mark_paid(order=awaiting)
    awaiting.refresh_from_db()
    assert awaiting.status == OrderStatus.PAID and awaiting.lines.get().stage == "queued"
    # The artist may list it again.
    style_update(style=style, actor=artist, active=True)
    style.refresh_from_db()
    assert style.active and style.withdrawn_at is None


def test_filing_a_report_answers_201(buyer: Any, style: Any, pattern: Any, client_for: Any) -> None:
    client = client_for(buyer)
    response = client.post(
        "/api/v1/reports/",
        {"target": "style", "id": style.pk, "claim": CLAIM, "evidence_url": EVIDENCE},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["listing"] == style.pk and response.json()["status"] == "open"
    on_pattern = client.post(
        "/api/v1/reports/",
        {"target": "pattern", "id": pattern.pk, "claim": CLAIM, "evidence_url": EVIDENCE},
        format="json",
    )
    assert on_pattern.status_code == 201
    assert InfringementReport.objects.get(pk=on_pattern.json()["id"]).pattern_id == pattern.pk


def test_a_withdrawn_listing_answers_a_report_as_a_missing_one_does(
    buyer: Any, artist: Any, style: Any, pattern: Any, products: Any, make_user: Any, client_for: Any
) -> None:
    """Ids of listings no longer offered do not leak: a stranger's report on one reads as on no listing."""
    body = {"target": "style", "claim": CLAIM, "evidence_url": EVIDENCE}
    order_of_patterns_make(buyer=buyer, style=style, lines=[(pattern, products["swatch"], 1)])
    style_withdraw(style=style, actor=artist)
    stranger = client_for(make_user("buyer"))
    withdrawn = stranger.post("/api/v1/reports/", {**body, "id": style.pk}, format="json")
    missing = stranger.post("/api/v1/reports/", {**body, "id": style.pk + 1000}, format="json")
    assert withdrawn.status_code == missing.status_code == 400
    assert withdrawn.json() == {"id": ["No style has this id."]} == missing.json()
    # Who ordered from it knows it, and may still report it.
    assert (
        client_for(buyer).post("/api/v1/reports/", {**body, "id": style.pk}, format="json").status_code == 201
    )


def test_a_report_needs_an_account(style: Any, client_for: Any) -> None:
    response = client_for(None).post(
        "/api/v1/reports/",
        {"target": "style", "id": style.pk, "claim": CLAIM, "evidence_url": EVIDENCE},
        format="json",
    )
    assert response.status_code == 401
    assert not InfringementReport.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"target": "painting"}, "target"),
        ({"id": 999_999}, "id"),
        ({"claim": "mine"}, "claim"),
        ({"evidence_url": "javascript:alert(1)"}, "evidence_url"),
        ({"id": "x"}, "id"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_report_input_is_400(
    buyer: Any, style: Any, client_for: Any, change: dict[str, Any], field: str
) -> None:
    body = {"target": "style", "id": style.pk, "claim": CLAIM, "evidence_url": EVIDENCE, **change}
    response = client_for(buyer).post("/api/v1/reports/", body, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()


def test_reports_are_rate_limited_per_account(
    buyer: Any, make_user: Any, style: Any, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "report", "3/hour")
    body = {"target": "style", "id": style.pk, "claim": CLAIM, "evidence_url": EVIDENCE}
    client = client_for(buyer)
    assert [client.post("/api/v1/reports/", body, format="json").status_code for _ in range(4)] == [
        201
    ] * 3 + [429]
    assert client_for(make_user("buyer")).post("/api/v1/reports/", body, format="json").status_code == 201


@pytest.fixture
def staff(make_user: Any) -> Any:
    user = make_user("buyer")
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def report(buyer: Any, style: Any) -> InfringementReport:
    return InfringementReport.objects.create(
        reporter=buyer, target="style", style=style, claim=CLAIM, evidence_url=EVIDENCE
    )


def test_suspending_takes_the_listing_down_and_the_artist_cannot_relist_it(
    report: InfringementReport, staff: Any, artist: Any, buyer: Any, style: Any
) -> None:
    with pytest.raises(NotAllowed):
        report_suspend(report=report, actor=buyer, note="I say so")
    decision = report_suspend(report=report, actor=staff, note="Evidence looks plausible; reviewing.")
    style.refresh_from_db()
    assert not style.active and style.suspended_at is not None
    with pytest.raises(NotAllowed):
        style_update(style=style, actor=artist, active=True)
    assert decision.action == ModerationAction.SUSPEND and decision.actor == staff
    report_dismiss(report=report, actor=staff, note="The reporter's painting is a different work.")
    style.refresh_from_db()
    style_update(style=style, actor=artist, active=True)  # dismissed: the artist may list it again
    assert list(ModerationDecision.objects.values_list("action", flat=True)) == ["suspend", "dismiss"]


def test_upholding_logs_who_when_why_and_sends_the_revocations(
    report: InfringementReport,
    staff: Any,
    style: Any,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent: list[tuple[str, tuple[Any, ...]]] = []
    monkeypatch.setattr(jobs, "send", lambda name, *args, **options: sent.append((name, args)))
    with pytest.raises(ValidationError):
        report_uphold(report=report, actor=staff, reason_code="because", note="x")
    with django_capture_on_commit_callbacks(execute=True):
        decision = report_uphold(
            report=report,
            actor=staff,
            reason_code="copyright",
            note="Registration certificate VAu 1-234-567 matches.",
        )
    report.refresh_from_db()
    style.refresh_from_db()
    assert report.status == ReportStatus.UPHELD and report.resolved_at is not None and not style.active
    assert sent == [(jobs.REVOKE_LISTING_RECORDS, (decision.pk,))]
    assert (decision.actor, decision.reason_code, decision.created_at is not None) == (
        staff,
        "copyright",
        True,
    )
    with pytest.raises(Conflict):
        report_dismiss(report=report, actor=staff, note="changed my mind")


def test_the_cart_takes_no_line_of_a_withdrawn_style_nor_an_excluded_substrate(
    buyer: Any, artist: Any, pattern: Any, style: Any, make_style: Any, products: Any
) -> None:
    from django.test import Client

    client = Client()
    client.force_login(buyer)
    job = personalization_create(buyer=buyer, base_pattern=pattern, style=style)
    style_withdraw(style=style, actor=artist)
    response = client.post(
        "/cart/add/", {"personalization": job.pk, "size": products["swatch"].pk, "quantity": 1}, follow=True
    )
    assert "is no longer offered" in response.content.decode()
    wallpaper_only = make_style(allowed_substrates=("wallpaper",))
    job = personalization_create(buyer=buyer, base_pattern=pattern, style=wallpaper_only)
    response = client.post(
        "/cart/add/", {"personalization": job.pk, "size": products["swatch"].pk, "quantity": 1}, follow=True
    )
    assert "does not allow printing on fabric" in response.content.decode()
    assert client.session.get("motif_cart") in (None, [])


def test_staff_decide_in_the_admin_and_the_log_keeps_who_and_why(
    report: InfringementReport, staff: Any, style: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.test import Client

    monkeypatch.setattr(jobs, "send", lambda *args, **options: None)
    staff.is_superuser = True
    staff.save(update_fields=["is_superuser"])
    admin = Client()
    admin.force_login(staff)
    assert admin.get(f"/admin/marketplace/infringementreport/{report.pk}/change/").status_code == 200
    missing_code = admin.post(
        "/admin/marketplace/moderationdecision/add/",
        {"report": report.pk, "action": "uphold", "reason_code": "", "note": "Holds."},
    )
    assert missing_code.status_code == 200 and "needs a reason code" in missing_code.content.decode()
    done = admin.post(
        "/admin/marketplace/moderationdecision/add/",
        {
            "report": report.pk,
            "action": "uphold",
            "reason_code": "copyright",
            "note": "Registration matches.",
        },
    )
    assert done.status_code == 302
    decision = ModerationDecision.objects.get()
    assert (decision.actor, decision.action, decision.note) == (staff, "uphold", "Registration matches.")
    report.refresh_from_db()
    style.refresh_from_db()
    assert report.status == ReportStatus.UPHELD and not style.active
    again = admin.post(
        "/admin/marketplace/moderationdecision/add/",
        {"report": report.pk, "action": "dismiss", "note": "Second thoughts."},
    )
    assert again.status_code == 200 and ModerationDecision.objects.count() == 1
