"""A record's attribution certificate: hashes, chain references and how to re-check them with any
EVM client, as JSON and as a printable page."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from provenance.core.certificate import build_certificate
from provenance.models import AttributionRecord
from provenance.verification import _chain_facts, attribution_chain, chain_references


def certificate_for(record: AttributionRecord) -> dict[str, Any]:
    facts = _chain_facts(record)
    on_chain = facts if hasattr(facts, "manifest_hash") else None
    batch = getattr(facts, "batch", None)
    certificate = build_certificate(
        manifest=record.manifest,
        manifest_hash=bytes.fromhex(record.manifest_sha256),
        on_chain=on_chain,  # type: ignore[arg-type]
        batch=batch,
        merkle_proof=[bytes.fromhex(p) for p in record.merkle_proof],
        contract_address=record.contract_address or "(not yet anchored)",
        chain_id=record.chain_id or settings.CHAIN_ID,
        rpc_url_hint=settings.CHAIN_RPC_URL or "$RPC_URL",
    )
    certificate["attribution"] = attribution_chain(record)
    certificate["chain_status"] = chain_references(record)
    certificate["manifest"] = record.manifest
    return certificate
