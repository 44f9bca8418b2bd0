"""Verification of a photo of the print: the repeat-aware fingerprint stored at record time finds
the record behind a simulated print-and-scan photo, and a tampered record stays tampered."""

from __future__ import annotations

import io
import re
from typing import Any

import numpy as np
import pytest
from django.core.files.base import ContentFile
from PIL import Image

from marketplace.models import OrderLine
from provenance.core.print_scan import photograph, print_and_scan_capture
from provenance.core.repeat_fingerprint import REPEAT_MATCH_SCORE
from provenance.models import AttributionRecord, RepeatFingerprintEntry
from provenance.services import order_line_attribute, record_write_to_chain
from provenance.verification import verify_file
from stylization.engine import generate_pattern, print_png_bytes
from tests.conftest import skip_or_fail
from tests.provenance.conftest import png_of

pytestmark = pytest.mark.usefixtures("fresh_chain")


def _half_drop_line(rendered_line: Any, seed: int = 1) -> OrderLine:
    line = rendered_line(seed)
    pattern = line.personalization.base_pattern
    pattern.repeat_type = "half_drop"
    pattern.save(update_fields=["repeat_type"])
    tile = generate_pattern("half_drop", size=160, seed=200 + seed, kind="motifs")
    line.print_png.save("print.png", ContentFile(print_png_bytes(tile, dpi=72)), save=True)
    return line


def _photo_of(line: OrderLine, periods: float, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    with Image.open(io.BytesIO(png_of(line))) as tile:
        photo = photograph(
            tile.convert("RGB"), "half_drop", print_and_scan_capture(rng, periods=periods), rng
        )
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=85)
    return out.getvalue()


def test_a_photo_of_the_print_is_a_probable_match_through_the_api(
    rendered_line: Any, client_for: Any
) -> None:
    line = _half_drop_line(rendered_line)
    record = record_write_to_chain(record_pk=order_line_attribute(order_line_id=line.pk).pk)
    entry = RepeatFingerprintEntry.objects.get(record=record)
    assert entry.repeat_type == "half_drop"

    upload = io.BytesIO(_photo_of(line, periods=3.0, seed=1))
    upload.name = "photo.jpg"
    body = client_for(None).post("/api/v1/provenance/verify/", {"file": upload}, format="multipart").json()
    assert body["verdict"] == "probable_match", body
    assert body["found_by"] == "repeat" and body["record_id"] == record.record_id
    assert body["match"]["method"] == "repeat"
    assert body["match"]["score"] >= REPEAT_MATCH_SCORE
    assert body["match"]["periods_seen"] == pytest.approx(3.0, rel=0.15)

    exact = client_for(None).get(f"/api/v1/provenance/verify/?sha256={record.delivered_png_sha256}").json()
    assert exact["match"] == {"method": "sha256", "score": 1.0, "periods_seen": None}


def test_a_tampered_record_found_by_a_photo_is_still_tampered(rendered_line: Any) -> None:
    line = _half_drop_line(rendered_line)
    record = record_write_to_chain(record_pk=order_line_attribute(order_line_id=line.pk).pk)
    manifest = dict(record.manifest)
    manifest["royalties"] = {"basis_points": {"someone-else": "10000"}}
    AttributionRecord.objects.filter(pk=record.pk).update(manifest=manifest)
    result = verify_file(_photo_of(line, periods=2.5, seed=2))
    assert result.found_by == "repeat" and result.record is not None and result.record.pk == record.pk
    assert result.verdict == "tampered"


def test_a_photo_of_an_unrelated_print_matches_nothing(rendered_line: Any) -> None:
    line = _half_drop_line(rendered_line)
    record_write_to_chain(record_pk=order_line_attribute(order_line_id=line.pk).pk)
    rng = np.random.default_rng(3)
    other = generate_pattern("half_drop", size=160, seed=999, kind="motifs")
    photo = photograph(other, "half_drop", print_and_scan_capture(rng, periods=3.0), rng)
    out = io.BytesIO()
    photo.save(out, format="JPEG", quality=85)
    result = verify_file(out.getvalue())
    assert result.verdict == "not_found" and result.match is None


def test_the_verify_schema_documents_the_match(db: None, client_for: Any) -> None:
    schema = client_for(None).get("/api/schema/?format=json").json()
    post = schema["paths"]["/api/v1/provenance/verify/"]["post"]
    ref = post["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    result = schema["components"]["schemas"][ref]
    assert {"verdict", "found_by", "reasons", "credential", "match"} <= set(result["required"])
    match_ref = next(
        v["$ref"]
        for v in result["properties"]["match"].get("allOf", [result["properties"]["match"]])
        if "$ref" in v
    ).rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][match_ref]["properties"]) == {
        "method",
        "score",
        "periods_seen",
    }


def test_the_certificate_pdf_carries_the_verdict_the_chain_and_the_photo(
    rendered_line: Any, client_for: Any, tmp_path: Any
) -> None:
    import shutil
    import subprocess

    line = _half_drop_line(rendered_line)
    record = record_write_to_chain(record_pk=order_line_attribute(order_line_id=line.pk).pk)
    url = f"/api/v1/provenance/records/{record.record_id}/certificate.pdf"
    plain = client_for(None).get(url)
    assert plain.status_code == 200 and plain["Content-Type"] == "application/pdf"
    assert plain.content.startswith(b"%PDF-")
    upload = io.BytesIO(_photo_of(line, periods=3.0, seed=4))
    upload.name = "photo.jpg"
    with_photo = client_for(None).post(url, {"file": upload}, format="multipart")
    assert with_photo.status_code == 200 and with_photo.content.startswith(b"%PDF-")
    assert len(with_photo.content) > len(plain.content)  # the photo is in it
    assert client_for(None).post(url, {}, format="multipart").status_code == 400
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False  # weasyprint's import must not loosen upload checks
    if shutil.which("pdftotext") is None:
        skip_or_fail(
            "poppler's pdftotext is not installed (apt-get install poppler-utils): the PDF is not read back"
        )
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(with_photo.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    score = re.search(
        r"Probable match, by the repeat fingerprint, score (0\.\d+), (\d+(?:\.\d)?) periods seen", flat
    )
    assert score, flat[:800]
    assert "probable_match" not in text and "Verified" not in text
    photos = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    # Header lines, then one row per image: the checked photo (downscaled to 480 px) is among them.
    sizes = [tuple(map(int, row.split()[3:5])) for row in photos.strip().splitlines()[2:]]
    assert any(max(size) == 480 for size in sizes), sizes
    plain_pdf = tmp_path / "plain.pdf"
    plain_pdf.write_bytes(plain.content)
    plain_text = " ".join(
        subprocess.run(
            ["pdftotext", str(plain_pdf), "-"], capture_output=True, text=True, check=True
        ).stdout.split()
    )
    assert "Verified: the record itself, checked against the chain; no file was compared" in plain_text
    assert record.tx_hash in text.replace("\n", "") and "cast call" in text
    assert line.personalization.base_pattern.title in text


def test_the_verify_page_shows_the_matched_tile_beside_the_photo_with_its_lattice(
    rendered_line: Any, client: Any
) -> None:
    line = _half_drop_line(rendered_line)
    record_write_to_chain(record_pk=order_line_attribute(order_line_id=line.pk).pk)
    photo = ContentFile(_photo_of(line, periods=3.0, seed=5), name="photo.jpg")
    page = client.post("/verify/", {"file": photo}).content.decode()
    assert 'data-verdict="probable_match"' in page
    assert 'data-testid="match-figure"' in page and "The matched output (one tile)" in page
    assert page.count("<line ") >= 8 and "<polygon points=" in page
    assert "_match_figure" not in page  # the figure is drawn, not dumped into the JSON record


def test_records_made_before_the_fingerprint_get_one_from_the_command(rendered_line: Any) -> None:
    from django.core.management import call_command

    from provenance.services import attribution_record_create

    record = attribution_record_create(order_line_id=_half_drop_line(rendered_line).pk)
    assert not RepeatFingerprintEntry.objects.filter(record=record).exists()
    out = io.StringIO()
    call_command("fingerprint_records", stdout=out)
    assert "fingerprinted 1 record(s)" in out.getvalue()
    assert RepeatFingerprintEntry.objects.get(record=record).repeat_type == "half_drop"
    call_command("fingerprint_records", stdout=out)
    assert "fingerprinted 0 record(s)" in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_verify_result_in_chromium_names_a_photo_match_and_certifies_the_photo(
    rendered_line: Any, live_server: Any, tmp_path: Any
) -> None:
    """The whole visit: upload a photo of a print, read the verdict, download its certificate."""
    import os
    import shutil
    import subprocess
    from pathlib import Path

    chromium = "/usr/bin/chromium"
    if not Path(chromium).exists() or shutil.which("pdftotext") is None:
        skip_or_fail("Chromium and poppler-utils are needed to follow the verify page in a browser")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    line = _half_drop_line(rendered_line)
    record_write_to_chain(record_pk=order_line_attribute(order_line_id=line.pk).pk)
    photo = tmp_path / "photo-of-a-print.jpg"
    photo.write_bytes(_photo_of(line, periods=3.0, seed=4))
    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts" / "verify"
    artifacts.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{live_server.url}/verify/")
        page.set_input_files("input[name=file]", str(photo))
        page.get_by_role("button", name="Verify").click()
        heading = page.locator("[data-testid=verdict-heading]")
        heading.wait_for()
        assert heading.inner_text() == "Probable match"
        evidence = page.locator("[data-testid=evidence]").inner_text()
        assert re.match(
            r"Probable match, by the repeat fingerprint, score 0\.\d+, \d+(\.\d)? periods seen", evidence
        )
        page.screenshot(path=str(artifacts / "verify-photo-result.png"), full_page=True)
        form = page.locator("[data-testid=photo-certificate]")
        form.locator("input[type=file]").set_input_files(str(photo))
        with page.expect_download() as download:
            form.locator("button[type=submit]").click()
        pdf = artifacts / "certificate-photo.pdf"
        download.value.save_as(str(pdf))
        browser.close()
    text = " ".join(
        subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.split()
    )
    assert evidence.rstrip(".") in text  # the certificate says what the page said
