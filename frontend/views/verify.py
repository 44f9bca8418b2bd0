"""The public verification page: a file or a SHA-256 becomes provenance's verdict, shown with the
attribution chain, the royalty shares, the certificate links and, for a repeat match, the figure of
the lattice found in the photo. It shares the API's `verify` rate."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from rest_framework.request import Request as DRFRequest
from rest_framework.throttling import ScopedRateThrottle

from frontend.forms import VerifyForm
from provenance.verification import verify_file, verify_sha256


class _VerifyRateScope:
    """The page shares the API's `verify` rate (REST_FRAMEWORK's DEFAULT_THROTTLE_RATES)."""

    throttle_scope = "verify"


def verify(request: HttpRequest) -> HttpResponse:
    form = VerifyForm(request.POST or None, request.FILES or None)
    result: dict[str, Any] | None = None
    if request.method == "POST" and not ScopedRateThrottle().allow_request(
        DRFRequest(request), _VerifyRateScope()
    ):  # type: ignore[arg-type]
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


def match_figure(query: bytes, lattice: dict[str, list[float]], record: Any) -> dict[str, Any]:
    """The query beside the matched tile, with the lattice the fingerprint found drawn over the
    query as SVG lines (one highlighted cell starts where the record's tile does)."""
    import base64
    import io
    import math

    from PIL import Image

    def data_uri(data: bytes, side: int) -> tuple[str, int, int]:
        with Image.open(io.BytesIO(data)) as image:
            thumb = image.convert("RGB")
        thumb.thumbnail((side, side))
        out = io.BytesIO()
        thumb.save(out, format="JPEG", quality=88)
        return (
            "data:image/jpeg;base64," + base64.b64encode(out.getvalue()).decode(),
            thumb.width,
            thumb.height,
        )

    query_uri, width, height = data_uri(query, 360)
    with record.order_line.print_png.open("rb") as fh:
        tile_uri, tile_w, tile_h = data_uri(fh.read(), 180)
    scale = width / lattice["size"][0]
    a = [v * scale for v in lattice["a"]]
    b = [v * scale for v in lattice["b"]]
    ox, oy = (v * scale for v in lattice["origin"])
    reach = math.ceil(math.hypot(width, height) / max(1.0, min(math.hypot(*a), math.hypot(*b)))) + 2
    lines = []
    for i in range(-reach, reach + 1):
        for step, across in ((a, b), (b, a)):
            x0, y0 = ox + i * step[0] - reach * across[0], oy + i * step[1] - reach * across[1]
            x1, y1 = ox + i * step[0] + reach * across[0], oy + i * step[1] + reach * across[1]
            lines.append({"x1": round(x0, 1), "y1": round(y0, 1), "x2": round(x1, 1), "y2": round(y1, 1)})
    cell = [(ox, oy), (ox + a[0], oy + a[1]), (ox + a[0] + b[0], oy + a[1] + b[1]), (ox + b[0], oy + b[1])]
    return {
        "query": query_uri,
        "width": width,
        "height": height,
        "tile": tile_uri,
        "tile_width": tile_w,
        "tile_height": tile_h,
        "lines": lines,
        "cell": " ".join(f"{x:.1f},{y:.1f}" for x, y in cell),
    }


def _present_verdict(result: dict[str, Any]) -> dict[str, Any]:
    figure = result.pop(MATCH_FIGURE, None)
    attribution = result.get("attribution") or {}
    record_id = result.get("record_id")
    # Royalty shares are keyed by public id in the manifest; name the people the chain names.
    names: dict[str, str] = {}
    for part, person in (("style", "artist"), ("base_pattern", "designer")):
        who = (attribution.get(part) or {}).get(person) or {}
        if who.get("public_id"):
            names[str(who["public_id"])] = f"{who.get('username', '')} ({person})"
    shares = [
        {
            "who": names.get(str(key), str(key).replace("motif-", "").replace("-", " ")),
            "percent": Decimal(bps) / 100,
        }
        for key, bps in (attribution.get("royalties_bps") or {}).items()
    ]
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
        "shares": shares,
        "chain": result.get("chain") or {},
        "json": json.dumps(result, indent=2, default=str, sort_keys=True),
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
    if data is not None and result.query_lattice and result.record is not None:
        body[MATCH_FIGURE] = match_figure(data, result.query_lattice, result.record)
    return body


MATCH_FIGURE = "_match_figure"  # the page's picture of a repeat match, never part of the API body
