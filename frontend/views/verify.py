"""The public verification page: a file or a SHA-256 becomes provenance's verdict, shown with the
attribution chain and licence (not the parties' shares), the certificate links and, for a repeat match, the figure of
the lattice found in the photo. It shares the API's `verify` rate."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from rest_framework.throttling import ScopedRateThrottle

from frontend.forms import VerifyForm
from marketplace.api.throttles import page_request
from provenance.verification import match_figure, verify_file, verify_sha256

MATCH_FIGURE = "_match_figure"  # the page's picture of a repeat match, never part of the API body


class _VerifyRateScope:
    """The page shares the API's `verify` rate (REST_FRAMEWORK's DEFAULT_THROTTLE_RATES)."""

    throttle_scope = "verify"


def verify(request: HttpRequest) -> HttpResponse:
    form = VerifyForm(request.POST or None, request.FILES or None)
    result: dict[str, Any] | None = None
    if request.method == "POST" and not ScopedRateThrottle().allow_request(
        page_request(request),
        _VerifyRateScope(),  # type: ignore[arg-type]
    ):
        form.add_error(None, "Too many checks from this address; please wait a minute and try again.")
        return render(request, "frontend/verify.html", {"form": form, "result": None}, status=429)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        try:
            result = verify_submission(
                data=upload.read() if upload else None, sha256=form.cleaned_data.get("sha256")
            )
        except ValueError as exc:  # the file or hash cannot be checked: say why
            form.add_error("file" if upload else "sha256", str(exc))
        else:
            result = _present_verdict(result)
    return render(request, "frontend/verify.html", {"form": form, "result": result})


def _present_verdict(result: dict[str, Any]) -> dict[str, Any]:
    figure = result.pop(MATCH_FIGURE, None)
    attribution = result.get("attribution") or {}
    record_id = result.get("record_id")
    return {
        "verdict": str(result.get("verdict") or "unknown"),
        "found_by": result.get("found_by"),
        "reasons": result.get("reasons") or [],
        "distance": result.get("perceptual_distance_bits"),
        "match": result.get("match"),
        "figure": figure,
        "credential": result.get("credential"),
        "credential_present": result.get("credential_present"),
        "state": result.get("state"),
        "matches": result.get("matches") or [],
        "revoked_at": result.get("revoked_at"),
        "revocation_reason": result.get("reason"),
        "record_id": record_id,
        "pattern": attribution.get("base_pattern"),
        "style": attribution.get("style"),
        "licence": attribution.get("licence"),
        "purchased_at": attribution.get("purchased_at"),
        "chain": result.get("chain") or {},
        **(certificate_urls(record_id) if record_id else {}),
    }


def certificate_urls(record_id: str) -> dict[str, str]:
    return {
        "certificate_url": reverse("provenance-certificate", args=[record_id]),
        "certificate_json_url": reverse("provenance-certificate-json", args=[record_id]),
        "certificate_pdf_url": reverse("provenance-certificate-pdf", args=[record_id]),
    }


def verify_submission(*, data: bytes | None, sha256: str | None) -> dict[str, Any]:
    """The provenance verdict for an uploaded file or a pasted hash: exact SHA-256, then the C2PA
    credential, then the repeat-aware fingerprint, then the perceptual index, checked against the
    chain (`Verification.as_dict()`; a repeat match adds the page's figure).
    A file or hash that cannot be checked raises ValueError (VerifyInputError) with the reason."""
    result = verify_file(data) if data is not None else verify_sha256(sha256 or "")
    body = dict(result.as_dict())
    figure = match_figure(data, result) if data is not None else None
    if figure is not None:
        body[MATCH_FIGURE] = figure
    return body
