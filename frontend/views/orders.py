"""The buyer's orders ("My orders", read through the same selector as `GET /api/v1/orders/`), the
order page (htmx polls its status fragment), with each line's stage, proof, downloads and attribution
record, and the permission-checked download of a line's print outputs."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from frontend import confirmations
from frontend.forms import RerenderForm
from frontend.htmx import is_htmx
from frontend.views.swatches import swatch_offers
from frontend.views.verify import certificate_urls
from marketplace import selectors
from marketplace.forms import ShippingAddressForm
from marketplace.media import media_file_response
from marketplace.models import (
    CANCELLABLE_STAGES,
    IN_FULFILMENT_STATUSES,
    OUT_OF_GAMUT_WARNING_SHARE,
    OUTPUT_FILE_KINDS,
    OUTPUT_FILE_LABELS,
    OUTPUT_FILE_NAMES,
    PROOF_VISIBLE_STAGES,
    UNFINISHED_STAGES,
    JobStatus,
    LineStage,
    Order,
    OrderLine,
    OrderStatus,
    Substrate,
)
from marketplace.order_display import order_display
from marketplace.proofs import PROOF_TILE_PX, proof_grid, proof_sheet_size
from marketplace.services.colour import personalization_soft_proof
from marketplace.services.proofs import MAX_BUYER_RERENDERS
from marketplace.services.shipping import address_for_display

# The order page's timeline: prints go to production; an order of digital files ends once delivered.
PRINT_STEPS = [
    OrderStatus.PAID,
    OrderStatus.RENDERING,
    OrderStatus.PROOF_READY,
    OrderStatus.APPROVED,
    OrderStatus.IN_PRODUCTION,
    OrderStatus.SHIPPED,
    OrderStatus.FULFILLED,
]
DIGITAL_STEPS = [OrderStatus.PAID, OrderStatus.RENDERING, OrderStatus.FULFILLED]
OUTPUT_FILES = {OUTPUT_FILE_NAMES[kind]: (kind, OUTPUT_FILE_LABELS[kind]) for kind in OUTPUT_FILE_KINDS}


ORDERS_PER_PAGE = 10


@require_GET
@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.order_list(buyer=request.user), ORDERS_PER_PAGE).get_page(  # type: ignore[arg-type]
        request.GET.get("page")
    )
    rows = [{"order": order, "display": order_display(order=order)} for order in page]
    return render(request, "frontend/orders.html", {"page": page, "rows": rows})


def own_order(request: HttpRequest, pk: int) -> Order:
    # Another buyer's order is answered as missing, so order ids cannot be probed.
    return get_object_or_404(selectors.order_list(buyer=request.user), pk=pk)  # type: ignore[arg-type]


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = own_order(request, pk)
    template = "frontend/_order_status.html" if is_htmx(request) else "frontend/order.html"
    return render(request, template, _order_context(order, request.user))


LINE_STAGE_LABELS: dict[str, str] = {
    LineStage.QUEUED: "Waiting for the renderer",
    LineStage.RENDERING: "Rendering the print tile",
    LineStage.RENDERED: "Tracing the vector file",
    LineStage.VECTORIZED: "Recording the attribution",
    LineStage.ATTRIBUTED: "Signing the files",
    LineStage.DELIVERED: "Delivered",
    LineStage.AWAITING_ARTIST_APPROVAL: "Waiting for the artist's approval",
    LineStage.PROOF_READY: "Proof ready: review it",
    LineStage.APPROVED: "Approved: waiting for the print shop",
    LineStage.IN_PRODUCTION: "Being printed",
    LineStage.SHIPPED: "Shipped",
    LineStage.CANCELLED: "Cancelled: refunded",
    LineStage.FAILED: "Could not be made: refunded",
}


def _soft_proof(line: OrderLine) -> dict[str, Any] | None:
    """How the line prints on its substrate: the soft proof of the preview the print was made from,
    its share of out-of-gamut pixels and worst ΔE2000, and whether it is mostly out of gamut."""
    product = line.product_size.product
    if line.stage not in PROOF_VISIBLE_STAGES or not product.is_physical:
        return None
    try:
        proof = personalization_soft_proof(personalization=line.personalization, substrate=product.substrate)
    except (ValidationError, OSError, ValueError):
        return None  # no preview yet, or its file cannot be read: the page shows the proof alone
    url = reverse("personalization-softproof", args=[line.personalization_id])
    render = proof.render
    return {
        "substrate": Substrate(proof.substrate).label.lower(),
        "profile": proof.profile_name,
        "url": f"{url}?substrate={proof.substrate}",
        "gamut_url": f"{url}?substrate={proof.substrate}&gamut=1",
        "original_url": reverse("personalization-preview", args=[line.personalization_id]),
        "out_of_gamut": render.out_of_gamut_fraction,
        "out_of_gamut_percent": 100 * render.out_of_gamut_fraction,
        "max_delta_e": render.max_delta_e,
        "mostly_out": render.out_of_gamut_fraction >= OUT_OF_GAMUT_WARNING_SHARE,
        "warning_percent": round(100 * OUT_OF_GAMUT_WARNING_SHARE),
    }


def _proof(line: OrderLine) -> dict[str, Any] | None:
    """What the proof viewer needs: the reduced proof of the whole sheet, the full-resolution tiles
    marked PROOF that cover it (never the print sheet itself), its physical size, and the repeat
    tile's geometry on it."""
    if line.stage not in PROOF_VISIBLE_STAGES or not line.print_sheet:
        return None
    pattern = line.personalization.base_pattern
    size = line.product_size
    sheet_w, sheet_h = line.render_info.get("sheet_px") or size.print_pixels(pattern.dpi)
    full_w, full_h = (
        proof_sheet_size(line.render_info) if line.render_info.get("sheet_px") else (sheet_w, sheet_h)
    )
    columns, rows = proof_grid(full_w, full_h)
    tiles = [
        {
            "url": reverse("order-line-proof-tile", args=[line.order_id, line.pk, col, row]),
            "left": 100 * col * PROOF_TILE_PX / full_w,
            "top": 100 * row * PROOF_TILE_PX / full_h,
            "width": 100 * min(PROOF_TILE_PX, full_w - col * PROOF_TILE_PX) / full_w,
            "height": 100 * min(PROOF_TILE_PX, full_h - row * PROOF_TILE_PX) / full_h,
        }
        for row in range(rows)
        for col in range(columns)
    ]
    return {
        "url": reverse("order-line-proof", args=[line.order_id, line.pk]),
        "tiles": tiles,
        "sheet_w": sheet_w,
        "sheet_h": sheet_h,
        "tile_w": pattern.width_px,
        "tile_h": pattern.height_px,
        "repeat": pattern.repeat_type,
        "repeat_label": pattern.get_repeat_type_display(),
        "width_in": size.width_in,
        "height_in": size.height_in,
        "tile_w_in": pattern.repeat_width_in,
        "tile_h_in": pattern.repeat_height_in,
        "dpi": pattern.dpi,
    }


def _order_context(order: Order, user: Any) -> dict[str, Any]:
    physical = any(line.product_size.product.is_physical for line in order.lines.all())
    display = order_display(order=order)
    flow: list[str] = list(PRINT_STEPS if physical else DIGITAL_STEPS)
    position = flow.index(display.status) if display.status in flow else -1
    steps = [
        {
            "status": s,
            "label": OrderStatus(s).label,
            "done": 0 <= i <= position,
            "current": display.status == s,
        }
        for i, s in enumerate(flow)
    ]
    lines: list[dict[str, Any]] = []
    refunds = confirmations.line_refunds(
        line for line in order.lines.all() if line.stage in CANCELLABLE_STAGES
    )
    offers = swatch_offers(order) if order.buyer_id == getattr(user, "pk", None) else {}
    for line in order.lines.all():
        allowed = (
            selectors.order_line_output_access(line=line, user=user)[0] == selectors.OutputAccess.ALLOWED
        )
        proof_allowed = (
            selectors.order_line_proof_access(line=line, user=user)[0] == selectors.OutputAccess.ALLOWED
        )
        downloads = [
            {"name": name, "label": label}
            for name, (field, label) in OUTPUT_FILES.items()
            if allowed and getattr(line, field)
        ]
        job = getattr(line, "production_job", None)
        seed_previews = (
            selectors.seed_previews_for_line(line=line)
            if line.stage == LineStage.PROOF_READY and line.rerenders_used < MAX_BUYER_RERENDERS
            else []
        )
        lines.append(
            {
                "line": line,
                "stage_label": LINE_STAGE_LABELS.get(line.stage, ""),
                "working": line.stage in UNFINISHED_STAGES,
                "downloads": downloads,
                "attribution": attribution_for_line(line),
                "proof": _proof(line) if proof_allowed else None,
                "soft_proof": _soft_proof(line) if proof_allowed else None,
                "can_rerender": line.stage == LineStage.PROOF_READY
                and line.rerenders_used < MAX_BUYER_RERENDERS,
                "seed_previews": seed_previews,
                "seed_previews_pending": any(p.status != JobStatus.DONE for p in seed_previews),
                "can_cancel": line.stage in CANCELLABLE_STAGES,
                "cancel_confirm": confirmations.line_cancel(order, line, refund=refunds[line.pk])
                if line.stage in CANCELLABLE_STAGES
                else None,
                "approve_confirm": confirmations.line_approve(order, line)
                if line.stage == LineStage.PROOF_READY
                else None,
                "shipment": job if job is not None and job.shipped_at else None,
                "swatch": offers.get(line.pk),
            }
        )
    unfinished = any(item["working"] for item in lines)
    waiting = [line for line in order.lines.all() if line.stage == LineStage.PROOF_READY]
    return {
        "order": order,
        "display": display,
        "steps": steps,
        "lines": lines,
        "address": address_for_display(order.shipping_address)
        if order.buyer_id == getattr(user, "pk", None)
        else [],
        "can_approve": bool(waiting),
        "approve_all_confirm": confirmations.order_approve_all(order, waiting) if waiting else None,
        "mostly_out_of_gamut": [
            index
            for index, item in enumerate(lines, start=1)
            if item["soft_proof"] and item["soft_proof"]["mostly_out"]
        ],
        "polling": order.status in (OrderStatus.AWAITING_PAYMENT, OrderStatus.PAID, OrderStatus.RENDERING)
        or (order.status in IN_FULFILMENT_STATUSES and unfinished),
        "can_pay": order.status in (OrderStatus.DRAFT, OrderStatus.AWAITING_PAYMENT),
        "needs_address": physical and order.shipping_address is None,
        "address_form": ShippingAddressForm(prefix="ship")
        if physical and order.shipping_address is None
        else None,
        "rerender_form": RerenderForm(),
    }


@require_GET
@login_required
def order_output(request: HttpRequest, pk: int, line_pk: int, name: str) -> HttpResponseBase:
    """A print output, under the one entitlement rule (`order_line_output_access`): strangers get
    a 404, the buyer a 409 (not ready) or 410 (refunded) with the reason."""
    if name not in OUTPUT_FILES:
        raise Http404("No such file.")
    line = get_object_or_404(OrderLine.objects.select_related("order"), pk=line_pk, order_id=pk)
    access, reason = selectors.order_line_output_access(line=line, user=request.user)
    if access == selectors.OutputAccess.NOT_FOUND:
        raise Http404("No such file.")
    if access != selectors.OutputAccess.ALLOWED:
        return HttpResponse(reason, status=access.http_status, content_type="text/plain; charset=utf-8")
    field = getattr(line, OUTPUT_FILES[name][0])
    if not field:
        raise Http404("This file is not ready yet.")
    return media_file_response(
        request, field, filename=f"motif-order{pk}-line{line.pk}-{name}", as_attachment=True
    )


def attribution_for_line(line: OrderLine) -> dict[str, Any] | None:
    """The line's attribution record, if it has one yet (it is made once the outputs exist): its
    chain status and certificate links."""
    record = getattr(line, "attribution_record", None)  # a missing reverse one-to-one is an AttributeError
    if record is None:
        return None
    return {
        "record_id": record.record_id,
        "status": record.get_status_display(),
        **certificate_urls(record.record_id),
    }
