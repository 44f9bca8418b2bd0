"""A verdict says no more than its evidence: every delivered file is unique to its record, a hash
shared by several records answers with all of them, a record that is no longer live (superseded,
cancelled, refunded, revoked) never verifies as `verified`, and a file whose credential was
stripped says it matched by hash alone."""

from __future__ import annotations

import io
import shutil
import subprocess
from typing import Any

import pytest

from marketplace.models import OrderLine
from marketplace.services.fulfilment import order_line_deliver
from marketplace.services.orders import order_mark_refunded
from marketplace.services.proofs import order_line_cancel, order_line_proof_rerender
from provenance.core.credentials import PNG_MANIFEST_CHUNK, PNG_SIGNATURE, read_credential
from provenance.core.evidence import VERDICT_HEADINGS
from provenance.models import AttributionRecord
from provenance.services import attribution_record_create, dev_trust_anchor, record_write_to_chain
from provenance.verification import verify_file
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.usefixtures("fresh_chain")


def _sold(rendered_line: Any, seed: int = 1) -> AttributionRecord:
    """A line with its record on chain and its proof delivered (a physical line: proof_ready)."""
    line = rendered_line(seed)
    record = attribution_record_create(order_line_id=line.pk)
    order_line_deliver(order_line_id=line.pk)
    return record_write_to_chain(record_pk=record.pk)


def _file(line: OrderLine, name: str) -> bytes:
    line.refresh_from_db()
    with getattr(line, name).open("rb") as fh:
        data: bytes = fh.read()
    return data


def _without_credential(png: bytes) -> bytes:
    """The PNG with its C2PA chunk cut out, as a metadata-stripping tool leaves it."""
    out, pos = bytearray(png[: len(PNG_SIGNATURE)]), len(PNG_SIGNATURE)
    while pos < len(png):
        length = int.from_bytes(png[pos : pos + 4], "big")
        chunk = png[pos : pos + 12 + length]
        if chunk[4:8] != PNG_MANIFEST_CHUNK:
            out += chunk
        pos += 12 + length
    return bytes(out)


def _upload(client: Any, url: str, data: bytes) -> Any:
    upload = io.BytesIO(data)
    upload.name = "file.png"
    return client.post(url, {"file": upload}, format="multipart")


def test_every_delivered_file_is_unique_to_its_record(rendered_line: Any) -> None:
    # The same inputs and seed render the same pixels for both sales.
    first, second = _sold(rendered_line, seed=1), _sold(rendered_line, seed=1)
    for name in ("print_png", "print_sheet", "svg"):
        assert _file(first.order_line, name) != _file(second.order_line, name), name
    assert first.delivered_sheet_sha256 != second.delivered_sheet_sha256
    assert first.nonce and first.nonce != second.nonce
    sheet = read_credential(
        _file(first.order_line, "print_sheet"), "image/png", trust_anchor_pem=dev_trust_anchor()
    )
    assert sheet.state == "trusted", sheet.errors
    assert (sheet.record_id, sheet.asset, sheet.nonce) == (first.record_id, "print_sheet", first.nonce)


def test_a_shipped_sheet_verifies_as_its_own_record_and_its_certificate_agrees(
    rendered_line: Any, client_for: Any
) -> None:
    mine, refunded = _sold(rendered_line, seed=1), _sold(rendered_line, seed=1)
    order_mark_refunded(order=refunded.order_line.order)
    body = _upload(
        client_for(None), "/api/v1/provenance/verify/", _file(mine.order_line, "print_sheet")
    ).json()
    assert (body["verdict"], body["record_id"], body["state"]) == ("verified", mine.record_id, "live"), body
    assert body["credential_present"] is True and body["credential"] == "trusted"
    assert [m["record_id"] for m in body["matches"]] == [mine.record_id]
    other = _upload(
        client_for(None), "/api/v1/provenance/verify/", _file(refunded.order_line, "print_sheet")
    ).json()
    assert (other["verdict"], other["record_id"], other["state"]) == (
        "void_refunded",
        refunded.record_id,
        "void_refunded",
    )
    pdf = _upload(
        client_for(None),
        f"/api/v1/provenance/records/{mine.record_id}/certificate.pdf",
        _file(mine.order_line, "print_sheet"),
    )
    text = _pdf_text(pdf.content)
    assert "matches another record" not in text
    assert "Verified, by the exact file hash (SHA-256)" in " ".join(text.split())


def test_a_hash_that_matches_several_records_answers_with_all_of_them_and_their_states(
    rendered_line: Any, client_for: Any
) -> None:
    # Records from before per-record stamping shared a print sheet's bytes.
    live, refunded = _sold(rendered_line, seed=1), _sold(rendered_line, seed=1)
    AttributionRecord.objects.filter(pk=refunded.pk).update(print_sheet_sha256=live.print_sheet_sha256)
    order_mark_refunded(order=refunded.order_line.order)
    body = client_for(None).get(f"/api/v1/provenance/verify/?sha256={live.print_sheet_sha256}").json()
    assert {(m["record_id"], m["state"]) for m in body["matches"]} == {
        (live.record_id, "live"),
        (refunded.record_id, "void_refunded"),
    }
    # (The fixture's tile is its sheet too, so either unsigned name fits.)
    assert {m["file"] for m in body["matches"]} <= {"print_png_unsigned", "print_sheet_unsigned"}
    assert body["record_id"] == live.record_id and body["credential_present"] is False
    assert any("2 records" in reason for reason in body["reasons"])


@pytest.mark.parametrize("how", ["cancelled", "refunded"])
def test_a_cancelled_or_refunded_lines_files_never_verify_as_verified(
    rendered_line: Any, client_for: Any, how: str
) -> None:
    record = _sold(rendered_line)
    line = record.order_line
    if how == "cancelled":
        order_line_cancel(order_line_id=line.pk, actor=line.order.buyer, reason="Changed my mind")
    else:
        order_mark_refunded(order=line.order)
    expected = f"void_{how}"
    for name in ("print_png", "print_sheet"):
        body = _upload(client_for(None), "/api/v1/provenance/verify/", _file(line, name)).json()
        assert (body["verdict"], body["state"]) == (expected, expected), body
        assert any("void" in reason for reason in body["reasons"])
    assert client_for(None).get(f"/api/v1/provenance/records/{record.record_id}/").json()["state"] == expected
    pdf = client_for(None).get(f"/api/v1/provenance/records/{record.record_id}/certificate.pdf")
    text = _pdf_text(pdf.content)
    assert VERDICT_HEADINGS[expected] in " ".join(text.split()) and expected not in text
    assert "verified" not in text.lower().replace("unverified", "")


def test_a_file_from_before_a_rerender_verifies_as_superseded(rendered_line: Any, client_for: Any) -> None:
    record = _sold(rendered_line)
    line = record.order_line
    before = _file(line, "print_png")
    order_line_proof_rerender(order_line_id=line.pk, actor=line.order.buyer, seed=line.seed + 1)
    body = _upload(client_for(None), "/api/v1/provenance/verify/", before).json()
    assert (body["verdict"], body["state"], body["record_id"]) == (
        "superseded",
        "superseded",
        record.record_id,
    )
    assert any("superseded" in reason for reason in body["reasons"])


def test_a_file_with_its_credential_stripped_says_it_matched_by_hash_alone(rendered_line: Any) -> None:
    record = _sold(rendered_line)
    signed = _file(record.order_line, "print_png")
    stripped = _without_credential(signed)
    assert stripped != signed
    whole = verify_file(signed)
    assert (whole.verdict, whole.credential_present, whole.credential) == ("verified", True, "trusted")
    bare = verify_file(stripped)
    assert bare.record is not None and bare.record.pk == record.pk and bare.found_by == "sha256"
    assert bare.credential_present is False and bare.as_dict()["credential_present"] is False
    assert any("hash (SHA-256) alone" in reason for reason in bare.reasons), bare.reasons


def test_a_revoked_records_state_is_revoked(rendered_line: Any, client_for: Any) -> None:
    record = _sold(rendered_line)
    AttributionRecord.objects.filter(pk=record.pk).update(revoked=True, revocation_reason="infringement")
    body = client_for(None).get(f"/api/v1/provenance/verify/?sha256={record.delivered_png_sha256}").json()
    assert (body["verdict"], body["state"]) == ("revoked", "revoked")


def _pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        skip_or_fail(
            "poppler's pdftotext is not installed (apt-get install poppler-utils): the PDF is not read back"
        )
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
