"""A record's attribution certificate: hashes, chain references and how to re-check them with any
EVM client, as JSON and as a printable page."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from provenance.core.certificate import build_certificate
from provenance.core.chain import OnChainRecord
from provenance.core.verify import BatchEvidence
from provenance.models import AttributionRecord
from provenance.verification import attribution_chain, chain_facts, chain_references


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
    certificate["manifest"] = record.manifest
    return certificate
