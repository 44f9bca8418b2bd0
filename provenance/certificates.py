"""A record's attribution certificate: hashes, chain references and how to re-check them with any
EVM client, as JSON, as a printable page and as a PDF for legal files."""

from __future__ import annotations

import base64
import io
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from PIL import Image, ImageFile

from provenance.core.certificate import build_certificate
from provenance.core.chain import OnChainRecord
from provenance.core.verify import BatchEvidence
from provenance.models import AttributionRecord
from provenance.verification import Verification, attribution_chain, chain_facts, chain_references


def certificate_for(record: AttributionRecord) -> dict[str, Any]:
    facts = chain_facts(record)
    on_chain = facts if isinstance(facts, OnChainRecord) else None
    batch = facts.batch if isinstance(facts, BatchEvidence) else None
    certificate = build_certificate(
        manifest=record.manifest,
        manifest_hash=bytes.fromhex(record.manifest_sha256),
        on_chain=on_chain,
        batch=batch,
        merkle_proof=[bytes.fromhex(p) for p in record.merkle_proof],
        contract_address=record.contract_address or "(not yet anchored)",
        chain_id=record.chain_id or settings.CHAIN_ID,
        rpc_url_hint=settings.CHAIN_RPC_URL or "$RPC_URL",
    )
    certificate["attribution"] = attribution_chain(record)
    certificate["chain_status"] = chain_references(record)
    # The sale's state beside the chain's: a void or superseded record's certificate says so.
    certificate["state"] = str(record.state)
    certificate["manifest"] = record.manifest
    return certificate


def _data_uri(data: bytes | None, side: int = 320) -> str | None:
    """A PNG thumbnail as a data: URI, so the PDF needs nothing but itself."""
    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            thumb = image.convert("RGB")
    except Exception:
        return None
    thumb.thumbnail((side, side))
    out = io.BytesIO()
    thumb.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _file_bytes(field: Any) -> bytes | None:
    if not field:
        return None
    with field.open("rb") as fh:
        data: bytes = fh.read()
    return data


def certificate_pdf(
    record: AttributionRecord, *, verification: Verification, query_image: bytes | None = None
) -> bytes:
    """The certificate for a legal file, as PDF (WeasyPrint): the verdict, the attribution chain,
    the chain references with the commands that re-check them, thumbnails of the base pattern,
    the style and the output, and the image that was checked when there is one."""
    # Imported here: only this route needs it. Importing weasyprint sets Pillow's global
    # LOAD_TRUNCATED_IMAGES, which would make every later upload check accept truncated files;
    # the images it gets here are thumbnails made above, so the setting is put back at once.
    truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    from weasyprint import HTML

    ImageFile.LOAD_TRUNCATED_IMAGES = truncated

    line = record.order_line
    personalization = line.personalization
    style_file = (
        personalization.style.thumbnail if personalization.style is not None else personalization.style_image
    )
    html = render_to_string(
        "provenance/certificate_pdf.html",
        {
            "record": record,
            "certificate": certificate_for(record),
            "verification": verification,
            "pattern_thumb": _data_uri(_file_bytes(personalization.base_pattern.thumbnail)),
            "style_thumb": _data_uri(_file_bytes(style_file)),
            "output_thumb": _data_uri(_file_bytes(line.print_png)),
            "query_thumb": _data_uri(query_image, side=480),
        },
    )
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
