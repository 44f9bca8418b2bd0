"""How a verdict is said to people: a heading in plain words, and one sentence naming the evidence
as it was found. "Verified" is said only of an exact file hash or a valid content credential (or of
a record checked against the chain with no file at all); a photo or a look-alike is a probable match,
with the method, its score and how much of the repeat the image showed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provenance.core.verify import Verdict

VERDICT_HEADINGS: dict[str, str] = {
    Verdict.VERIFIED: "Verified",
    Verdict.PROBABLE_MATCH: "Probable match",
    Verdict.TAMPERED: "Tampered: Motif's copy and the chain disagree",
    Verdict.REVOKED: "Revoked",
    Verdict.PENDING: "Pending: not yet confirmed on chain",
    Verdict.NOT_FOUND: "No match found",
    Verdict.CHAIN_UNREACHABLE: "No verdict: the chain could not be reached",
    Verdict.SUPERSEDED: "Superseded: replaced by a re-render before printing",
    Verdict.VOID_REFUNDED: "Void: the sale was refunded",
    Verdict.VOID_CANCELLED: "Void: the order line was cancelled",
}

RECORD_STATE_WORDS: dict[str, str] = {
    "live": "live",
    "superseded": "superseded by a re-render",
    "void_refunded": "void (refunded)",
    "void_cancelled": "void (cancelled)",
    "revoked": "revoked",
}

# Methods that establish the very file: only these can stand behind "Verified".
EXACT_METHODS = frozenset({"sha256", "credential"})
METHOD_PHRASES: dict[str, str] = {
    "sha256": "by the exact file hash (SHA-256)",
    "credential": "by its C2PA content credential",
    "repeat": "by the repeat fingerprint",
    "perceptual": "by visual similarity (perceptual hash)",
}


def verdict_heading(verdict: str, found_by: str | None = None) -> str:
    if verdict == Verdict.VERIFIED and found_by is not None and found_by not in EXACT_METHODS:
        return VERDICT_HEADINGS[Verdict.PROBABLE_MATCH]  # never round a resemblance up to "verified"
    return VERDICT_HEADINGS.get(verdict, verdict.replace("_", " ").capitalize())


_BAD_VERDICTS = frozenset(
    {Verdict.TAMPERED, Verdict.REVOKED, Verdict.SUPERSEDED, Verdict.VOID_REFUNDED, Verdict.VOID_CANCELLED}
)


def verdict_tone(verdict: str, found_by: str | None = None) -> str:
    """How a page colours the heading: "verified", "probable", "bad" or "neutral"."""
    heading = verdict_heading(verdict, found_by)
    if heading == VERDICT_HEADINGS[Verdict.VERIFIED]:
        return "verified"
    if heading == VERDICT_HEADINGS[Verdict.PROBABLE_MATCH]:
        return "probable"
    return "bad" if verdict in _BAD_VERDICTS else "neutral"


def _number(value: float, places: int) -> str:
    return f"{round(float(value), places):.{places}f}".rstrip("0").rstrip(".")


def evidence_sentence(
    *,
    verdict: str,
    found_by: str | None,
    match: Mapping[str, Any] | None = None,
    distance_bits: int | None = None,
) -> str:
    """e.g. "Probable match, by the repeat fingerprint, score 0.975, 2.7 periods seen"."""
    heading = verdict_heading(verdict, found_by)
    if found_by is None:
        if verdict == Verdict.NOT_FOUND:
            return heading
        return f"{heading}: the record itself, checked against the chain; no file was compared"
    parts = [heading, METHOD_PHRASES.get(found_by, f"by {found_by}")]
    if found_by not in EXACT_METHODS and match:
        if match.get("score") is not None:
            parts.append(f"score {_number(match['score'], 3)}")
        if match.get("periods_seen") is not None:
            parts.append(f"{_number(match['periods_seen'], 1)} periods seen")
    if distance_bits is not None:
        parts.append(f"{distance_bits} of 64 bits apart")
    return ", ".join(parts)
