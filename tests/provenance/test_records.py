"""An order line paid in the marketplace ends with its files hashed, its C2PA credential embedded,
its record confirmed on chain, and verification that tells genuine, tampered and resized copies apart."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command

from marketplace.services.fulfilment import order_line_deliver
from provenance.chain_access import chain_client, forget_chain_client
from provenance.core.chain import ChainUnavailable
from provenance.core.credentials import read_credential
from provenance.models import AttributionRecord, ChainStatus
from provenance.services import attribution_record_create, record_write_to_chain, records_anchor_batch
from provenance.verification import verify_file, verify_sha256
from tests.provenance.conftest import png_of, resized

pytestmark = pytest.mark.usefixtures("fresh_chain")


def _attributed(rendered_line: Any, seed: int = 1) -> AttributionRecord:
    line = rendered_line(seed)
    record = attribution_record_create(order_line_id=line.pk)
    order_line_deliver(order_line_id=line.pk)
    return record_write_to_chain(record_pk=record.pk)


def test_paid_line_gets_a_credential_and_a_confirmed_record(rendered_line: Any) -> None:
    line = rendered_line()
    record = attribution_record_create(order_line_id=line.pk)
    assert record.status == ChainStatus.PENDING
    assert attribution_record_create(order_line_id=line.pk).pk == record.pk  # idempotent
    assert verify_file(png_of(line)).verdict == "pending"

    record = record_write_to_chain(record_pk=record.pk)
    assert record.status == ChainStatus.CONFIRMED and record.tx_hash and record.block_number
    assert (
        record.gas_used is not None and record.gas_used <= 50_000
    )  # the whole transaction, base cost included
    report = read_credential(png_of(line), "image/png", trust_anchor_pem=_trust_anchor())
    assert report.state == "trusted", report.errors
    assert report.record_id == record.record_id and report.manifest_hash == record.manifest_sha256


def _trust_anchor() -> bytes:
    from provenance.services import dev_trust_anchor

    return dev_trust_anchor()


def test_downloaded_png_verifies_with_its_attribution_chain(rendered_line: Any, client_for: Any) -> None:
    record = _attributed(rendered_line)
    line = record.order_line
    upload = io.BytesIO(png_of(line))
    upload.name = "print.png"
    body = client_for(None).post("/api/v1/provenance/verify/", {"file": upload}, format="multipart").json()
    assert body["verdict"] == "verified", body
    assert body["found_by"] == "sha256"
    attribution = body["attribution"]
    assert attribution["style"]["artist"]["username"] == line.personalization.style.artist.username
    assert (
        attribution["base_pattern"]["designer"]["username"]
        == line.personalization.base_pattern.designer.username
    )
    assert attribution["licence"]["version"] == 1
    assert body["chain"]["tx_hash"] == record.tx_hash
    by_hash = client_for(None).get(f"/api/v1/provenance/verify/?sha256={record.print_sheet_sha256}").json()
    assert by_hash["verdict"] == "verified"


def test_a_changed_byte_breaks_the_credential_but_the_copy_is_still_found(rendered_line: Any) -> None:
    record = _attributed(rendered_line)
    data = bytearray(png_of(record.order_line))
    idat = data.index(b"IDAT") + 40
    data[idat] ^= 0xFF
    report = read_credential(bytes(data), "image/png", trust_anchor_pem=_trust_anchor())
    assert report.state == "invalid"
    result = verify_file(bytes(data))
    assert result.verdict == "not_found" and result.credential == "invalid"
    assert "altered after signing" in result.reasons[0]


def test_altering_the_stored_manifest_is_tampering(rendered_line: Any) -> None:
    record = _attributed(rendered_line)
    manifest = dict(record.manifest)
    manifest["royalties"] = {"basis_points": {"someone-else": "10000"}}
    AttributionRecord.objects.filter(pk=record.pk).update(manifest=manifest)
    result = verify_file(png_of(record.order_line))
    assert result.verdict == "tampered"
    # Even with the stored hash edited to match, the chain disagrees.
    from provenance.core.manifest import manifest_hash

    AttributionRecord.objects.filter(pk=record.pk).update(manifest_sha256=manifest_hash(manifest).hex())
    assert verify_file(png_of(record.order_line)).verdict == "tampered"


@pytest.mark.parametrize(("factor", "fmt"), [(0.5, "PNG"), (0.75, "JPEG")])
def test_a_resized_copy_is_a_probable_match(rendered_line: Any, factor: float, fmt: str) -> None:
    record = _attributed(rendered_line)
    result = verify_file(resized(png_of(record.order_line), factor, fmt))
    assert result.verdict == "probable_match"
    assert result.record is not None and result.record.pk == record.pk
    assert result.distance is not None and result.distance <= 8


def test_unrelated_images_are_not_matched(rendered_line: Any) -> None:
    from stylization.engine import generate_pattern, print_png_bytes

    _attributed(rendered_line)
    unrelated = print_png_bytes(generate_pattern("half_brick", size=160, seed=999, kind="checks"), dpi=72)
    assert verify_file(unrelated).verdict == "not_found"


def test_resend_after_a_crash_finds_the_record_already_on_chain(rendered_line: Any) -> None:
    from provenance.services import chain_record_of

    line = rendered_line()
    record = attribution_record_create(order_line_id=line.pk)
    first = chain_client().attribute(chain_record_of(record))  # sent, then the worker died
    confirmed = record_write_to_chain(record_pk=record.pk)
    assert confirmed.status == ChainStatus.CONFIRMED
    assert confirmed.tx_hash == first.tx_hash  # no second transaction


def test_an_unreachable_node_leaves_records_waiting_and_never_says_tampered(
    rendered_line: Any, settings: Any
) -> None:
    record = _attributed(rendered_line)
    waiting = attribution_record_create(order_line_id=rendered_line(2).pk)
    settings.CHAIN_RPC_URL = "http://127.0.0.1:1"
    settings.CHAIN_PRIVATE_KEY = "0x" + "11" * 32
    settings.CHAIN_TIMEOUT_S = 2.0
    forget_chain_client()
    with pytest.raises(ChainUnavailable):
        record_write_to_chain(record_pk=waiting.pk)
    waiting.refresh_from_db()
    assert waiting.status == ChainStatus.PENDING and waiting.attempts == 1 and waiting.last_error
    assert verify_file(png_of(record.order_line)).verdict == "chain_unreachable"


def test_a_contract_that_is_not_ours_is_reported(rendered_line: Any) -> None:
    from provenance.core.chain import NotOurContract

    record = _attributed(rendered_line)
    client = chain_client()
    with pytest.raises(NotOurContract):  # an account with no code is not our registry
        client.attach(client.sender)
    client.attach(record.contract_address)


def test_no_personal_data_in_any_transaction_calldata_or_manifest(rendered_line: Any) -> None:
    record = _attributed(rendered_line)
    line = record.order_line
    people = [line.order.buyer, line.personalization.style.artist, line.personalization.base_pattern.designer]
    secrets = [p.username for p in people] + [p.email for p in people]
    manifest_text = json.dumps(record.manifest)
    w3 = chain_client().w3
    calldata = []
    for number in range(w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            fields = dict(tx)
            calldata.append(bytes(fields.get("input") or fields.get("data") or b""))  # RPC vs eth-tester
    assert len(calldata) >= 2  # the deployment and the record
    for secret in secrets:
        encoded = secret.encode()
        assert secret not in manifest_text
        assert all(encoded not in data and encoded.hex().encode() not in data for data in calldata), secret


def test_batch_mode_anchors_many_records_under_one_root(rendered_line: Any, settings: Any) -> None:
    settings.PROVENANCE_MODE = "batch"
    records = [attribution_record_create(order_line_id=rendered_line(seed).pk) for seed in range(3)]
    batch = records_anchor_batch()
    assert batch is not None and batch.count == 3 and batch.tx_hash
    for record in records:
        record.refresh_from_db()
        assert record.status == ChainStatus.CONFIRMED and record.merkle_proof
        assert verify_sha256(record.delivered_png_sha256).verdict == "verified"
    assert records_anchor_batch() is None  # nothing left to anchor


def test_verify_file_command_prints_the_verdict(rendered_line: Any, tmp_path: Any, capsys: Any) -> None:
    record = _attributed(rendered_line)
    path = tmp_path / "download.png"
    path.write_bytes(png_of(record.order_line))
    call_command("verify_file", str(path))
    out = capsys.readouterr().out
    assert "verdict: verified" in out
    assert record.order_line.personalization.style.artist.username in out
    call_command("verify_file", str(path), "--json")
    assert json.loads(capsys.readouterr().out)["record_id"] == record.record_id


def test_bad_verification_input_gets_a_clear_400(db: None, client_for: Any) -> None:
    client = client_for(None)
    empty = io.BytesIO(b"")
    empty.name = "empty.png"
    assert client.post("/api/v1/provenance/verify/", {"file": empty}, format="multipart").status_code == 400
    text = io.BytesIO(b"just words")
    text.name = "notes.txt"
    response = client.post("/api/v1/provenance/verify/", {"file": text}, format="multipart")
    assert response.status_code == 400 and "image" in str(response.json())
    assert client.post("/api/v1/provenance/verify/", {}, format="multipart").status_code == 400
    assert client.get("/api/v1/provenance/verify/?sha256=xyz").status_code == 400
    assert client.get("/api/v1/provenance/verify/").status_code == 400
    assert client.get("/api/v1/provenance/verify/?sha256=" + "0" * 64).json()["verdict"] == "not_found"
    assert client.get("/api/v1/provenance/records/" + "0" * 64 + "/").status_code == 404


def test_order_lines_show_files_to_the_buyer_and_the_public_record(
    rendered_line: Any, client_for: Any
) -> None:
    record = _attributed(rendered_line)
    line = record.order_line
    body = client_for(line.order.buyer).get(f"/api/v1/orders/{line.order_id}/").json()
    shown = body["lines"][0]
    assert shown["provenance_record"] == {
        "record_id": record.record_id,
        "status": "confirmed",
        "revoked": False,
    }
    # A print's buyer views the proof; the production files go to the print shop.
    assert shown["files"] == {"print_png": None, "print_sheet": None, "svg": None}
    assert client_for(line.order.buyer).get(shown["proof_url"]).status_code == 200
    assert client_for(line.personalization.style.artist).get(shown["proof_url"]).status_code == 404
    public = client_for(None).get(f"/api/v1/provenance/records/{record.record_id}/").json()
    assert public["manifest_sha256"] == record.manifest_sha256
    assert (
        client_for(None).get(f"/api/v1/provenance/records/{record.record_id}/certificate/").status_code == 200
    )
    cert = client_for(None).get(f"/api/v1/provenance/records/{record.record_id}/certificate.json").json()
    assert cert["manifest_hash"] == "0x" + record.manifest_sha256 and cert["how_to_verify"]
