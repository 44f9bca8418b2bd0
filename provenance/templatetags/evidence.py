"""Template words for verdicts and identifiers, shared by the verify page and the certificates."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from provenance.core.evidence import RECORD_STATE_WORDS, evidence_sentence, verdict_heading, verdict_tone

register = template.Library()

SHORT_ID_CHARS = 10


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


@register.simple_tag
def short_id(value: Any, label: str = "identifier") -> SafeString:
    """An identifier shortened for reading, with the full value in its title and a copy button."""
    full = str(value or "")
    if len(full) <= SHORT_ID_CHARS + 2:
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
