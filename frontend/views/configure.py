"""The configurator: a base pattern and a style (or the buyer's own image) become a personalization,
previewed live where the style has a feed-forward model, then offered in the products its licence
allows."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from frontend.forms import CartAddForm, PreviewForm, apply_service_errors
from frontend.htmx import is_htmx
from frontend.views.catalogue import share_meta, tile_size, visible_patterns, visible_styles
from marketplace import selectors
from marketplace.models import JobStatus, Personalization, Substrate
from marketplace.services.colour import substrate_profile_bytes
from marketplace.services.personalizations import personalization_allowed_uses, personalization_create
from marketplace.size_guidance import size_warnings
from stylization.engine.colourway import colourway_out_of_gamut


def _preview_form(
    request: HttpRequest, data: Any = None, files: Any = None, initial: Any = None
) -> PreviewForm:
    return PreviewForm(
        data, files, initial=initial, patterns=visible_patterns(request), styles=visible_styles(request)
    )


@require_GET
def configure(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {}
    for key in ("pattern", "style"):
        value = request.GET.get(key, "")
        if value.isdigit():
            initial[key] = int(value)
    form = _preview_form(request, initial=initial)
    job = None
    job_id = request.GET.get("job", "")
    if job_id.isdigit() and request.user.is_authenticated:
        job = selectors.personalization_list(buyer=request.user).filter(pk=int(job_id)).first()
    context = {
        "form": form,
        "patterns": form.fields["pattern"].queryset,  # type: ignore[attr-defined]
        "styles": form.fields["style"].queryset,  # type: ignore[attr-defined]
    }
    context.update(_live_context(context["styles"], form))
    context["palettes"] = _palettes(context["patterns"], job.colourway if job is not None else {})
    if job is not None:
        context.update(_job_context(request, job))
    if job is not None:
        shared = job.base_pattern
    elif "pattern" in initial:
        shared = context["patterns"].filter(pk=initial["pattern"]).first()
    else:
        shared = None
    context["share"] = share_meta(shared)
    return render(request, "frontend/configure.html", context)


COLOURWAY_INPUT_PREFIX = "colourway-"


def colourway_of_form(data: Any) -> dict[str, str]:
    """The swaps a configurator form posts: one colour input per palette colour, named after it
    ("colourway-e9f5db"); an input left at its own colour swaps nothing."""
    colourway = {}
    for name, value in data.items():
        if name.startswith(COLOURWAY_INPUT_PREFIX):
            source = "#" + name.removeprefix(COLOURWAY_INPUT_PREFIX).lower()
            if str(value).lower() != source:
                colourway[source] = str(value)
    return colourway


def _palettes(patterns: Any, colourway: dict[str, str]) -> list[dict[str, Any]]:
    """Each pattern's palette row: its colours and what the buyer swapped them for."""
    return [
        {
            "pattern": pattern.pk,
            "colours": [
                {"name": colour[1:], "source": colour, "shown": colourway.get(colour, colour)}
                for colour in pattern.palette
            ],
        }
        for pattern in patterns
        if pattern.palette
    ]


def _live_context(styles: Any, form: Any) -> dict[str, Any]:
    """Styles with a ready feed-forward model preview live: a slider move re-renders by itself."""
    live_ids = _styles_previewing_live([style.pk for style in styles])
    chosen = str(form["style"].value() or "")
    return {"live_style_ids": live_ids, "live": chosen.isdigit() and int(chosen) in live_ids}


@require_POST
@login_required
def configure_preview(request: HttpRequest) -> HttpResponse:
    form = _preview_form(request, request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        upload = data.get("style_image")
        try:
            job = personalization_create(
                buyer=request.user,  # type: ignore[arg-type]
                base_pattern=data["pattern"],
                style=data.get("style"),
                style_image=upload.read() if upload else None,
                strength=data["strength"],
                preserve_colors=data["preserve_colors"],
                style_scale=data["style_scale"],
                seed=data["seed"],
                regions=data["regions"],
                colourway=colourway_of_form(request.POST),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if is_htmx(request):
                return render(request, "frontend/_job.html", _job_context(request, job))
            query = urlencode({"pattern": job.base_pattern_id, "style": job.style_id or "", "job": job.pk})
            return redirect(f"{reverse('frontend:configure')}?{query}")
    if is_htmx(request):
        # htmx swaps only 2xx answers by default: the errors replace the preview panel.
        return render(request, "frontend/_job_errors.html", {"form": form})
    styles = form.fields["style"].queryset  # type: ignore[attr-defined]
    return render(
        request,
        "frontend/configure.html",
        {
            "form": form,
            "patterns": form.fields["pattern"].queryset,  # type: ignore[attr-defined]
            "styles": styles,
            "palettes": _palettes(form.fields["pattern"].queryset, colourway_of_form(request.POST)),  # type: ignore[attr-defined]
            **_live_context(styles, form),
        },
        status=400,
    )


@require_GET
@login_required
def configure_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(selectors.personalization_list(buyer=request.user), pk=pk)  # type: ignore[arg-type]
    return render(request, "frontend/_job.html", _job_context(request, job))


def _job_context(request: HttpRequest, job: Personalization) -> dict[str, Any]:
    context: dict[str, Any] = {
        "job": job,
        "tile": tile_size(job.base_pattern),
        "live": job.style_id is not None and job.style_id in _styles_previewing_live([job.style_id]),
    }
    previous = (
        selectors.personalization_list(buyer=request.user)  # type: ignore[arg-type]
        .filter(status=JobStatus.DONE, created_at__lte=job.created_at)
        .exclude(pk=job.pk)
        .first()
    )
    if job.status != JobStatus.DONE and not context["live"] and job.style_id is not None:
        # The instant tile is the style's live model's one pass where it has one, not a colour transfer.
        context["instant_by_model"] = job.style_id in _styles_with_live_models([job.style_id])
    if context["live"] and job.status != JobStatus.DONE:
        # Live re-renders keep the last result on screen until the new one arrives (a few hundred ms).
        context.update(
            {"previous": previous, "previous_tile": tile_size(previous.base_pattern) if previous else None}
        )
    if job.status == JobStatus.DONE:
        allowed = personalization_allowed_uses(job)
        products = list(selectors.product_list())
        context["size_warnings"] = size_warnings(
            pattern=job.base_pattern, sizes=[size for product in products for size in product.sizes.all()]
        )
        context["colourway_gamut"] = _colourway_gamut(job, products)
        sizes = {
            size.pk: {
                "label": f"{product.name} — {size.name}",
                "price": str(size.price),
                "currency": size.currency,
                "use": product.use,
                "allowed": product.use in allowed,
            }
            for product in products
            for size in product.sizes.all()
        }
        licence = job.style.licence if job.style else None
        context.update(
            {
                "previous": previous,
                "previous_tile": tile_size(previous.base_pattern) if previous else None,
                "products": products,
                "sizes_json": json.dumps(sizes),
                "allowed_uses": sorted(allowed),
                "licence": licence,
                "cart_form": CartAddForm(initial={"personalization": job.pk}),
            }
        )
    return context


def _colourway_gamut(job: Personalization, products: list[Any]) -> list[dict[str, Any]]:
    """For each printed substrate on offer, the colours of the job's colourway its printer cannot reach."""
    if not job.colourway:
        return []
    flags = []
    for substrate in sorted({product.substrate for product in products if product.is_physical}):
        reached = colourway_out_of_gamut(
            job.base_pattern.palette, job.colourway, substrate_profile_bytes(substrate)
        )
        out = [colour for colour in job.colourway.values() if reached.get(colour.lower())]
        flags.append({"substrate": Substrate(substrate).label, "out_of_gamut": out})
    return flags


def _styles_with_live_models(style_ids: list[int]) -> set[int]:
    from stylization.services import styles_with_live_models

    return styles_with_live_models(style_ids=style_ids)


def _styles_previewing_live(style_ids: list[int]) -> set[int]:
    from stylization.services import styles_previewing_live  # the pages' one contact with the worker app

    return styles_previewing_live(style_ids=style_ids)
