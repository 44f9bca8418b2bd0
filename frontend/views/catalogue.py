"""The public catalogue: the listing with its filters, a base pattern's page, and a licence version as a
person reads it. What a visitor may see of patterns and styles, and the scale tiles are drawn at, are
defined here for the other pages too."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from frontend import selectors as page_selectors
from frontend.forms import CatalogueFilterForm
from marketplace import selectors
from marketplace.licences import licence_html, licence_version_find
from marketplace.models import BasePattern

PAGE_SIZE = 12
# The catalogue and the configurator draw repeats at one common scale, so tiles compare truly.
CSS_PX_PER_INCH = 40


def visible_patterns(request: HttpRequest) -> Any:
    owner = request.user if request.user.is_authenticated else None
    return selectors.pattern_list(filters=selectors.CatalogueFilters(owner=owner))


def visible_styles(request: HttpRequest) -> Any:
    owner = request.user if request.user.is_authenticated else None
    return selectors.style_list(filters=selectors.CatalogueFilters(owner=owner)).filter(licence__isnull=False)


@require_GET
def licence_page(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    """One licence version as a person reads it; public, and kept after the style is withdrawn."""
    licence = licence_version_find(style_id=pk, version=version)
    if licence is None:
        raise Http404("No such licence version.")
    return HttpResponse(licence_html(licence, csp_nonce=str(getattr(request, "csp_nonce", ""))))


@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    form = CatalogueFilterForm(request.GET or None)
    filters = form.filters()
    # The pattern-only filters (repeat, designer) say nothing about styles, and the style-only ones
    # (artist, licence) nothing about patterns: a filter hides the section it cannot apply to.
    show_styles = not (filters.repeat_type or filters.designer)
    show_patterns = not (filters.artist or filters.licence_use)
    patterns = styles = None
    if show_patterns:
        patterns = Paginator(selectors.pattern_list(filters=filters), PAGE_SIZE).get_page(
            request.GET.get("patterns_page")
        )
    if show_styles:
        styles = Paginator(selectors.style_list(filters=filters), PAGE_SIZE).get_page(
            request.GET.get("styles_page")
        )
    query = {k: v for k, v in request.GET.items() if k not in ("patterns_page", "styles_page") and v}
    return render(
        request,
        "frontend/catalogue.html",
        {
            "form": form,
            "patterns": patterns,
            "styles": styles,
            "tags": page_selectors.tags_in_use()[:30],
            "query": urlencode(query),
            "filtered": bool(query),
        },
    )


@require_GET
def pattern_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pattern = get_object_or_404(visible_patterns(request), pk=pk)
    return render(
        request,
        "frontend/pattern.html",
        {
            "pattern": pattern,
            "tile": tile_size(pattern),
            "styles": visible_styles(request)[:8],
            "share": share_meta(pattern),
        },
    )


# What the public share image shows a listed pattern on.
SHARE_MOCKUP_PRODUCT = "cushion"


def share_meta(pattern: BasePattern | None) -> dict[str, str] | None:
    """The page's share card: the listed base pattern's public true-scale mockup, which a crawler can
    fetch signed out. Never a personalization's (those are private to their buyer); none for a
    pattern the catalogue does not list."""
    if pattern is None or not pattern.active:
        return None
    path = reverse("pattern-mockup", args=[pattern.pk, SHARE_MOCKUP_PRODUCT])
    return {
        "title": pattern.title,
        "image": settings.SITE_URL.rstrip("/") + path,
        "alt": f"{pattern.title} on a {SHARE_MOCKUP_PRODUCT}, at true scale",
    }


def tile_size(pattern: BasePattern) -> dict[str, float]:
    return {
        "w": round(float(pattern.repeat_width_in) * CSS_PX_PER_INCH, 2),
        "h": round(float(pattern.repeat_height_in) * CSS_PX_PER_INCH, 2),
        "px_per_inch": CSS_PX_PER_INCH,
    }
