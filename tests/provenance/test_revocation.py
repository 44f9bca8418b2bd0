"""An upheld infringement report revokes the listing's attribution records on chain, and
verification then answers `revoked`, with the date and the reason code read from the chain."""

from __future__ import annotations

import io
from typing import Any

import pytest

from marketplace.models import InfringementReport, ModerationDecision
from marketplace.services.fulfilment import order_line_deliver
from marketplace.services.reports import report_uphold
from provenance.chain_access import chain_client
from provenance.core.revocation import reason_code_of, reason_word
from provenance.models import AttributionRecord
from provenance.services import attribution_record_create, record_write_to_chain, records_revoke_for_decision
from provenance.tasks import revoke_listing_records
from tests.provenance.conftest import png_of

pytestmark = pytest.mark.usefixtures("fresh_chain")


def _attributed(rendered_line: Any, seed: int) -> AttributionRecord:
    line = rendered_line(seed)
    record = attribution_record_create(order_line_id=line.pk)
    order_line_deliver(order_line_id=line.pk)
    return record_write_to_chain(record_pk=record.pk)


def _verify(client: Any, data: bytes) -> dict[str, Any]:
    upload = io.BytesIO(data)
    upload.name = "print.png"
    return client.post("/api/v1/provenance/verify/", {"file": upload}, format="multipart").json()


def test_reason_codes_read_back_from_their_bytes32() -> None:
    assert reason_code_of(reason_word("copyright")) == "copyright"
    assert reason_code_of(bytes.fromhex("ab" * 32)) == "unspecified"  # a hash, as older revocations sent
    with pytest.raises(ValueError):
        reason_word("Not A Code")


def test_an_upheld_report_revokes_the_style_records_and_verify_says_revoked_from_the_chain(
    rendered_line: Any,
    style: Any,
    buyer: Any,
    make_user: Any,
    client_for: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    records = [_attributed(rendered_line, seed) for seed in (1, 2)]
    client = client_for(None)
    assert _verify(client, png_of(records[0].order_line))["verdict"] == "verified"

    staff = make_user("buyer")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    report = InfringementReport.objects.create(
        reporter=buyer,
        target="style",
        style=style,
        claim="The style copies my registered painting.",
        evidence_url="https://example.com/registration",
    )
    sent: list[int] = []
    monkeypatch.setattr(
        "marketplace.jobs.send", lambda name, decision_id, **options: sent.append(decision_id)
    )
    with django_capture_on_commit_callbacks(execute=True):
        decision = report_uphold(
            report=report, actor=staff, reason_code="copyright", note="Certificate matches."
        )
    assert sent == [decision.pk]
    revoke_listing_records.fn(decision.pk)  # the chain queue's actor, as its worker runs it

    assert ModerationDecision.objects.get(pk=decision.pk).records_revoked == 2
    for record in records:
        record.refresh_from_db()
        assert record.revoked and record.revocation_reason == "copyright" and record.revoked_at is not None
        # Motif's copy forgets the revocation: the chain still says so.
        AttributionRecord.objects.filter(pk=record.pk).update(
            revoked=False, revocation_reason="", revoked_at=None
        )
        body = _verify(client, png_of(record.order_line))
        assert body["verdict"] == "revoked", body
        assert body["reason"] == "copyright"
        on_chain = chain_client().revocation(record.record_id)
        assert on_chain is not None and body["revoked_at"] == on_chain.block_time.isoformat()

    # A resend of the job revokes nothing twice (the chain would refuse it).
    assert records_revoke_for_decision(decision_id=decision.pk) == 2


def test_a_record_made_after_the_takedown_is_revoked_when_it_reaches_the_chain(
    rendered_line: Any,
    style: Any,
    buyer: Any,
    make_user: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    line = rendered_line(3)  # paid before the takedown, still being made
    staff = make_user("buyer")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    report = InfringementReport.objects.create(
        reporter=buyer,
        target="style",
        style=style,
        claim="The style copies my registered painting.",
        evidence_url="https://example.com/registration",
    )
    monkeypatch.setattr("marketplace.jobs.send", lambda *args, **options: None)
    report_uphold(report=report, actor=staff, reason_code="trademark", note="Mark registered in 2015.")
    record = attribution_record_create(order_line_id=line.pk)
    order_line_deliver(order_line_id=line.pk)
    record = record_write_to_chain(record_pk=record.pk)
    assert record.revoked and record.revocation_reason == "trademark"
    on_chain = chain_client().revocation(record.record_id)
    assert on_chain is not None and reason_code_of(on_chain.reason) == "trademark"
