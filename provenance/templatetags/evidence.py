"""Template words for verdicts and identifiers, shared by the verify page and the certificates."""

from __future__ import annotations

import re
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from provenance.core.evidence import RECORD_STATE_WORDS, evidence_sentence, verdict_heading, verdict_tone

register = template.Library()

SHORT_ID_CHARS = 10
# Hashes, addresses, record ids and UUIDs: long runs a person compares by their start and copies whole.
_IDENTIFIER = re.compile(
    r"0x[0-9a-fA-F]{16,}|[0-9a-fA-F]{32,}|[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
)
CHAIN_LABELS = {
    "status": "Status",
    "chain_id": "Chain id",
    "contract": "Contract",
    "tx_hash": "Transaction",
    "block_number": "Block",
    "block_time": "Block time",
    "manifest_sha256": "Manifest SHA-256",
    "merkle_root": "Merkle root",
    "mode": "Anchoring",
    "batch_size": "Batch size",
    "confirmations": "Confirmations",
}


@register.filter
def verdict_words(verdict: str, found_by: str | None = None) -> str:
    """`{{ result.verdict|verdict_words:result.found_by }}` -> "Probable match"."""
    return verdict_heading(str(verdict), found_by or None)


@register.filter
def verdict_class(verdict: str, found_by: str | None = None) -> str:
    return verdict_tone(str(verdict), found_by or None)


@register.filter
def record_state_words(state: str) -> str:
    return RECORD_STATE_WORDS.get(str(state), str(state).replace("_", " "))


@register.simple_tag
def evidence(result: Any) -> str:
    """The evidence sentence of a verification (an object or the page's dict)."""

    def get(name: str) -> Any:
        return result.get(name) if isinstance(result, dict) else getattr(result, name, None)

    return evidence_sentence(
        verdict=str(get("verdict")),
        found_by=get("found_by"),
        match=get("match"),
        distance_bits=get("distance"),
    )


@register.filter
def chain_label(key: str) -> str:
    return CHAIN_LABELS.get(str(key), str(key).replace("_", " ").capitalize())


@register.simple_tag
def short_id(value: Any, label: str = "identifier") -> SafeString:
    """An identifier shortened for reading, with the full value in its title and a copy button;
    anything else (a block number, a time) as it is."""
    full = str(value if value is not None else "")
    if not _IDENTIFIER.fullmatch(full):
        return format_html('<code class="short-id" title="{}">{}</code>', full, full)
    return format_html(
        '<span class="short-id" data-full="{}"><code title="{}">{}…</code>'
        '<button type="button" class="copy" data-copy="{}" aria-label="Copy the full {}">Copy</button></span>',
        full,
        full,
        full[:SHORT_ID_CHARS],
        full,
        label,
    )
