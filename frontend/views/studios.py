"""The pages. Each view parses a form, calls the same marketplace service or selector that the JSON
API calls, and renders a template; htmx asks for fragments of the same templates.

Private files (previews, print outputs) are only ever linked through permission-checked views: the
API's personalization preview views, and the order-output view here. Public pages show thumbnails.

Checkout goes through the payments app, earnings come from the royalty ledger, and verification
from provenance, and which styles preview live from stylization: the functions at the bottom of this module are the pages' only contact with them."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from decimal import Decimal
from functools import wraps
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from rest_framework.request import Request as DRFRequest
from rest_framework.throttling import ScopedRateThrottle

from frontend import cart as cart_store
from frontend import selectors as page_selectors
from frontend.charts import cumulative, line_chart
from frontend.forms import (
    BuyerCountryForm,
    CartAddForm,
    CatalogueFilterForm,
    LicenceTermsForm,
    PatternUploadForm,
    PreviewForm,
    RerenderForm,
    SignupForm,
    StyleUploadForm,
    VerifyForm,
    apply_service_errors,
)
from marketplace import selectors
from marketplace.api.throttles import TOO_MANY, LoginRateThrottle, LoginUsernameRateThrottle, page_throttled
from marketplace.errors import Conflict, NotAllowed
from marketplace.forms import ShippingAddressForm
from marketplace.licences import licence_html, licence_version_find
from marketplace.media import media_file_response
from marketplace.models import (
    IN_FULFILMENT_STATUSES,
    PROOF_VISIBLE_STAGES,
    UNFINISHED_STAGES,
    ApprovalStatus,
    BasePattern,
    DerivativeApproval,
    InvalidTransition,
    JobStatus,
    LineStage,
    Order,
    OrderLine,
    OrderStatus,
    Personalization,
    RepeatType,
    Role,
    Style,
    User,
)
from marketplace.payments.gateways import GatewayUnavailable
from marketplace.payments.services import payment_checkout_start, payout_onboarding_start
from marketplace.proofs import PROOF_TILE_PX, proof_grid, proof_sheet_size
from marketplace.royalties.selectors import artist_earnings, royalty_entries
from marketplace.services.accounts import user_register
from marketplace.services.approvals import approval_approve, approval_deadline, approval_decline
from marketplace.services.catalogue import LicenceTerms, pattern_create, style_create, style_update
from marketplace.services.fulfilment import CANCELLABLE_STAGES, MAX_BUYER_RERENDERS
from marketplace.services.orders import OrderLineRequest, order_create, order_line_check
from marketplace.services.personalizations import personalization_allowed_uses, personalization_create
from marketplace.services.shipping import address_for_display, shipping_quote
from provenance.verification import verify_file, verify_sha256

log = logging.getLogger(__name__)

PAGE_SIZE = 12
# The catalogue and the configurator draw repeats at one common scale, so tiles compare truly.
CSS_PX_PER_INCH = 40
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
OUTPUT_FILES = {
    "print.png": ("print_png", "Print PNG"),
    "print-sheet.png": ("print_sheet", "Print sheet"),
    "print.svg": ("svg", "SVG"),
}


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _visible_patterns(request: HttpRequest) -> Any:
    owner = request.user if request.user.is_authenticated else None
    return selectors.pattern_list(filters=selectors.CatalogueFilters(owner=owner))


def _visible_styles(request: HttpRequest) -> Any:
    owner = request.user if request.user.is_authenticated else None
    return selectors.style_list(filters=selectors.CatalogueFilters(owner=owner)).filter(licence__isnull=False)


def _forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "frontend/forbidden.html", {"message": message}, status=403)


# --- accounts ---------------------------------------------------------------------------------------


def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_register(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                email=form.cleaned_data["email"],
                roles=form.cleaned_data["roles"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to Motif, {user.username}.")
            return redirect(_safe_next(request) or _home_for(user))
    return render(request, "frontend/signup.html", {"form": form, "next": request.GET.get("next", "")})


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if ok else ""


def _home_for(user: User) -> str:
    if user.is_artist:
        return reverse("frontend:artist-studio")
    if user.is_designer:
        return reverse("frontend:designer-studio")
    if user.is_printer:
        return reverse("frontend:production")
    return reverse("frontend:catalogue")


class LoginView(auth_views.LoginView):
    """Sign-in shares the token endpoint's limits (per address and per username): a 429 with the
    form and the reason once they are spent."""

    template_name = "frontend/login.html"
    redirect_authenticated_user = True

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if page_throttled(request, LoginRateThrottle, LoginUsernameRateThrottle) is not None:
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, TOO_MANY)
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    """POST only (Django's LogoutView refuses GET), so a link or a prefetch cannot log anyone out."""


# --- catalogue --------------------------------------------------------------------------------------


@require_GET
def licence_page(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    """One licence version as a person reads it; public, and kept after the style is withdrawn."""
    licence = licence_version_find(style_id=pk, version=version)
    if licence is None:
        raise Http404("No such licence version.")
    return HttpResponse(licence_html(licence))


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
    pattern = get_object_or_404(_visible_patterns(request), pk=pk)
    return render(
        request,
        "frontend/pattern.html",
        {"pattern": pattern, "tile": _tile_size(pattern), "styles": _visible_styles(request)[:8]},
    )


def _tile_size(pattern: BasePattern) -> dict[str, float]:
    return {
        "w": round(float(pattern.repeat_width_in) * CSS_PX_PER_INCH, 2),
        "h": round(float(pattern.repeat_height_in) * CSS_PX_PER_INCH, 2),
        "px_per_inch": CSS_PX_PER_INCH,
    }


# --- configurator -----------------------------------------------------------------------------------


def _preview_form(
    request: HttpRequest, data: Any = None, files: Any = None, initial: Any = None
) -> PreviewForm:
    return PreviewForm(
        data, files, initial=initial, patterns=_visible_patterns(request), styles=_visible_styles(request)
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
        "patterns": form.fields["pattern"].queryset,
        "styles": form.fields["style"].queryset,
    }  # type: ignore[attr-defined]
    context.update(_live_context(context["styles"], form))
    if job is not None:
        context.update(_job_context(request, job))
    return render(request, "frontend/configure.html", context)


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
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            if _is_htmx(request):
                return render(request, "frontend/_job.html", _job_context(request, job))
            query = urlencode({"pattern": job.base_pattern_id, "style": job.style_id or "", "job": job.pk})
            return redirect(f"{reverse('frontend:configure')}?{query}")
    if _is_htmx(request):
        # htmx swaps only 2xx answers by default: the errors replace the preview panel.
        return render(request, "frontend/_job_errors.html", {"form": form})
    styles = form.fields["style"].queryset  # type: ignore[attr-defined]
    return render(
        request,
        "frontend/configure.html",
        {
            "form": form,
            "patterns": form.fields["pattern"].queryset,
            "styles": styles,  # type: ignore[attr-defined]
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
        "tile": _tile_size(job.base_pattern),
        "live": job.style_id is not None and job.style_id in _styles_previewing_live([job.style_id]),
    }
    previous = (
        selectors.personalization_list(buyer=request.user)  # type: ignore[arg-type]
        .filter(status=JobStatus.DONE, created_at__lte=job.created_at)
        .exclude(pk=job.pk)
        .first()
    )
    if context["live"] and job.status != JobStatus.DONE:
        # Live re-renders keep the last result on screen until the new one arrives (a few hundred ms).
        context.update(
            {"previous": previous, "previous_tile": _tile_size(previous.base_pattern) if previous else None}
        )
    if job.status == JobStatus.DONE:
        allowed = personalization_allowed_uses(job)
        products = list(selectors.product_list())
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
                "previous_tile": _tile_size(previous.base_pattern) if previous else None,
                "products": products,
                "sizes_json": json.dumps(sizes),
                "allowed_uses": sorted(allowed),
                "licence": licence,
                "cart_form": CartAddForm(initial={"personalization": job.pk}),
            }
        )
    return context


# --- cart and checkout ------------------------------------------------------------------------------


def _cart_shipping(lines: list[Any], country: str) -> dict[str, Any]:
    """The cart's shipping estimate to `country`: the same pricing the checkout charges."""
    physical = any(line.size.product.is_physical for line in lines)
    goods = sum((line.total for line in lines), Decimal("0"))
    if not physical:
        return {"physical": False, "amount": Decimal("0"), "total": goods, "error": ""}
    try:
        quote = shipping_quote(items=[(line.size, line.quantity) for line in lines], country=country or None)
    except ValidationError as exc:
        return {"physical": True, "amount": None, "total": None, "error": " ".join(exc.messages)}
    return {
        "physical": True,
        "amount": quote.amount,
        "total": goods + quote.amount,
        "error": "",
        "zone": quote.zone,
    }


@login_required
def cart(request: HttpRequest) -> HttpResponse:
    lines = cart_store.cart_lines(request, buyer=request.user)  # type: ignore[arg-type]
    goods = sum((line.total for line in lines), Decimal("0"))
    last = selectors.order_list(buyer=request.user).exclude(shipping_address=None).first()  # type: ignore[arg-type]
    initial = dict(last.shipping_address) if last and last.shipping_address else {}
    country = str(request.GET.get("country") or initial.get("country") or "US").upper()[:2]
    address_form = ShippingAddressForm(prefix="ship", initial={**initial, "country": country})
    context = {
        "lines": lines,
        "goods": goods,
        "shipping": _cart_shipping(lines, country),
        "country": country,
        "address_form": address_form,
        "country_form": BuyerCountryForm(prefix="buyer", initial={"country": initial.get("country", "")}),
    }
    return render(request, "frontend/cart.html", context)


@require_POST
@login_required
def cart_add(request: HttpRequest) -> HttpResponse:
    form = CartAddForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a product, a size and a quantity.")
        return redirect("frontend:configure")
    job = get_object_or_404(
        selectors.personalization_list(buyer=request.user), pk=form.cleaned_data["personalization"]
    )  # type: ignore[arg-type]
    size = cart_store.sizes_by_id().get(form.cleaned_data["size"])
    if size is None:
        raise Http404("No such product size.")
    if size.product.use not in personalization_allowed_uses(job):
        messages.error(
            request,
            f"This style's licence does not allow {size.product.use} use, which {size.product.name} needs.",
        )
        return redirect(f"{reverse('frontend:configure')}?{urlencode({'job': job.pk})}")
    try:  # a withdrawn style, or a licence term (substrate, term, ceiling), refuses the line here already
        order_line_check(
            buyer=job.buyer, line=OrderLineRequest(personalization=job, product_size=size, quantity=1)
        )
    except (ValidationError, Conflict) as exc:
        reasons = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        messages.error(request, " ".join(r.removeprefix("Line 1: ") for r in reasons))
        return redirect(f"{reverse('frontend:configure')}?{urlencode({'job': job.pk})}")
    cart_store.cart_add(
        request, personalization_id=job.pk, size_id=size.pk, quantity=form.cleaned_data["quantity"]
    )
    messages.success(request, f"Added {size} to your cart.")
    return redirect("frontend:cart")


@require_POST
@login_required
def cart_remove(request: HttpRequest, index: int) -> HttpResponse:
    cart_store.cart_remove(request, index=index)
    return redirect("frontend:cart")


def _destination_from(
    request: HttpRequest, *, physical: bool
) -> tuple[dict[str, str] | None, str | None, Any]:
    """The ship-to address (or, for digital files, the buyer's country) posted with a checkout, and
    the bound form to show again when it is incomplete."""
    if physical:
        form = ShippingAddressForm(request.POST, prefix="ship")
        return (form.cleaned_data if form.is_valid() else None), None, form
    country_form = BuyerCountryForm(request.POST, prefix="buyer")
    country = country_form.cleaned_data.get("country") if country_form.is_valid() else None
    return None, country or None, country_form


@require_POST
@login_required
def cart_checkout(request: HttpRequest) -> HttpResponse:
    lines = cart_store.cart_lines(request, buyer=request.user)  # type: ignore[arg-type]
    if not lines:
        messages.error(request, "Your cart is empty.")
        return redirect("frontend:cart")
    physical = any(line.size.product.is_physical for line in lines)
    address, country, form = _destination_from(request, physical=physical)
    if physical and address is None:
        messages.error(
            request,
            "Give the address your prints ship to: "
            + "; ".join(
                f"{form.fields[name].label if name in form.fields else name}: {' '.join(errors)}"
                for name, errors in form.errors.items()
            ),
        )
        return redirect("frontend:cart")
    try:
        order = order_create(
            buyer=request.user,  # type: ignore[arg-type]
            lines=[
                OrderLineRequest(
                    personalization=line.personalization, product_size=line.size, quantity=line.quantity
                )
                for line in lines
            ],
        )
    except (ValidationError, Conflict) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("frontend:cart")
    cart_store.cart_clear(request)
    return HttpResponseRedirect(start_checkout(request, order, shipping_address=address, country=country))


@require_POST
@login_required
def order_checkout_again(request: HttpRequest, pk: int) -> HttpResponse:
    order = _own_order(request, pk)
    physical = any(line.product_size.product.is_physical for line in order.lines.all())
    address, country, _form = _destination_from(request, physical=physical)
    return HttpResponseRedirect(
        start_checkout(
            request,
            order,
            shipping_address=address or order.shipping_address,
            country=country or order.country or None,
        )
    )


# --- orders -----------------------------------------------------------------------------------------


def _own_order(request: HttpRequest, pk: int) -> Order:
    # Another buyer's order is answered as missing, so order ids cannot be probed.
    return get_object_or_404(selectors.order_list(buyer=request.user), pk=pk)  # type: ignore[arg-type]


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _own_order(request, pk)
    template = "frontend/_order_status.html" if _is_htmx(request) else "frontend/order.html"
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
    flow: list[str] = list(PRINT_STEPS if physical else DIGITAL_STEPS)
    position = flow.index(order.status) if order.status in flow else -1
    steps = [
        {"status": s, "label": OrderStatus(s).label, "done": 0 <= i <= position, "current": order.status == s}
        for i, s in enumerate(flow)
    ]
    lines = []
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
        lines.append(
            {
                "line": line,
                "stage_label": LINE_STAGE_LABELS.get(line.stage, ""),
                "working": line.stage in UNFINISHED_STAGES,
                "downloads": downloads,
                "attribution": attribution_for_line(line),
                "proof": _proof(line) if proof_allowed else None,
                "can_rerender": line.stage == LineStage.PROOF_READY
                and line.rerenders_used < MAX_BUYER_RERENDERS,
                "can_cancel": line.stage in CANCELLABLE_STAGES,
                "shipment": job if job is not None and job.shipped_at else None,
            }
        )
    unfinished = any(item["working"] for item in lines)
    return {
        "order": order,
        "steps": steps,
        "lines": lines,
        "address": address_for_display(order.shipping_address)
        if order.buyer_id == getattr(user, "pk", None)
        else [],
        "can_approve": any(line.stage == LineStage.PROOF_READY for line in order.lines.all()),
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


# --- studios ----------------------------------------------------------------------------------------


def role_required(role: Role) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """`login_required`, then the studio's role: anyone signed in without it gets the studio's 403 page."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        @login_required
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.has_role(role):  # type: ignore[union-attr]
                if role == Role.PRINTER:
                    return _forbidden(
                        request,
                        "The production studio is for print shops that staff have approved: "
                        f"apply at {reverse('frontend:print-shop-apply')}.",
                    )
                return _forbidden(
                    request,
                    f"The {role.label.lower()} studio is for people with the {role.label.lower()} role.",
                )
            return view(request, *args, **kwargs)

        return guarded

    return decorate


@role_required(Role.ARTIST)
def artist_studio(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = StyleUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            style = style_create(
                artist=user,
                title=form.cleaned_data["title"],
                image=form.cleaned_data["image"].read(),
                terms=form.terms(),
                description=form.cleaned_data["description"],
                tags=form.tag_list(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"“{style.title}” is listed under licence version 1.")
            return redirect("frontend:artist-studio")
    return render(request, "frontend/studio_artist.html", _artist_context(user, form))


def _artist_context(
    user: User, form: StyleUploadForm, licence_forms: dict[int, LicenceTermsForm] | None = None
) -> dict[str, Any]:
    styles = list(selectors.style_list(filters=selectors.CatalogueFilters(owner=user, only_owner=True)))
    versions = page_selectors.licence_versions_for(styles=styles)
    licence_forms = licence_forms or {}
    rows = []
    for style in styles:
        current = LicenceTerms.of(style.licence) if style.licence else LicenceTerms()
        rows.append(
            {
                "style": style,
                "versions": versions[style.pk],
                "form": licence_forms.get(style.pk)
                or LicenceTermsForm(
                    initial=LicenceTermsForm.initial_from(current), prefix=f"licence-{style.pk}"
                ),
            }
        )
    ledger = artist_ledger(user)
    pending = selectors.approval_list(artist=user).filter(status=ApprovalStatus.PENDING)
    return {
        "form": form,
        "rows": rows,
        "approvals": [{"approval": a, "deadline": approval_deadline(a)} for a in pending],
        "ledger": ledger,
        "chart": line_chart(cumulative(ledger["points"]), title="Earnings over time (USD)"),
        "statements_url": royalty_statements_url(),
    }


@require_POST
@role_required(Role.ARTIST)
def artist_licence(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    style = get_object_or_404(Style.objects.filter(artist=user), pk=pk)
    form = LicenceTermsForm(request.POST, prefix=f"licence-{style.pk}")
    if form.is_valid():
        try:
            before = style.licence_id
            style = style_update(style=style, actor=user, terms=form.terms())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except NotAllowed as exc:
            return _forbidden(request, str(exc))
        else:
            if style.licence_id == before:
                messages.info(request, "Those are the terms already in force; nothing changed.")
            else:
                messages.success(
                    request, f"“{style.title}” now sells under licence version {style.licence.version}."
                )  # type: ignore[union-attr]
            return redirect("frontend:artist-studio")
    context = _artist_context(user, StyleUploadForm(), {style.pk: form})
    return render(request, "frontend/studio_artist.html", context, status=400)


@require_POST
@role_required(Role.ARTIST)
def artist_listing(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a style (no new personalizations, carts or checkouts) or list it again."""
    user: User = request.user  # type: ignore[assignment]
    style = get_object_or_404(Style.objects.filter(artist=user), pk=pk)
    try:
        style_update(style=style, actor=user, active=request.POST.get("active") == "1")
    except NotAllowed as exc:
        return _forbidden(request, str(exc))
    messages.success(request, f"“{style.title}” is {'listed' if style.active else 'withdrawn'}.")
    return redirect("frontend:artist-studio")


@require_POST
@role_required(Role.ARTIST)
def artist_approval(request: HttpRequest, pk: int) -> HttpResponse:
    """The artist approves a derivative's proof, or declines it with a reason (the buyer is refunded)."""
    user: User = request.user  # type: ignore[assignment]
    get_object_or_404(DerivativeApproval.objects.filter(artist=user), pk=pk)
    try:
        if request.POST.get("decision") == "approve":
            approval_approve(approval_id=pk, artist=user)
            messages.success(request, "Approved: the buyer now reviews the proof.")
        else:
            approval_decline(approval_id=pk, artist=user, reason=request.POST.get("reason", ""))
            messages.success(request, "Declined: the buyer is refunded and told why.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except (Conflict, InvalidTransition) as exc:
        messages.error(request, str(exc))
    return redirect(f"{reverse('frontend:artist-studio')}#approvals")


@require_POST
@role_required(Role.ARTIST)
def artist_payouts(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect(payouts_onboarding_start(request))


@role_required(Role.DESIGNER)
def designer_studio(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = PatternUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            pattern = pattern_create(
                designer=user,
                title=form.cleaned_data["title"],
                image=form.cleaned_data["image"].read(),
                repeat=form.repeat(),
                description=form.cleaned_data["description"],
                tags=form.tag_list(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"“{pattern.title}” is published.")
            return redirect("frontend:designer-studio")
    patterns = selectors.pattern_list(filters=selectors.CatalogueFilters(owner=user, only_owner=True))
    sales = list(page_selectors.sold_lines_for_designer(designer=user))
    royalties = designer_royalties(user)
    sales_rows = [{"line": line, "share": royalties.get(line.pk, Decimal("0"))} for line in sales]
    return render(
        request,
        "frontend/studio_designer.html",
        {
            "form": form,
            "patterns": patterns,
            "sales": sales_rows,
            "sales_total": sum(royalties.values(), Decimal("0")),
            "repeat_types": RepeatType.choices,
            "px_per_inch": CSS_PX_PER_INCH,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# --- verification -----------------------------------------------------------------------------------


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
        **(_certificate_urls(record_id) if record_id else {}),
    }


# --- payments, royalties and provenance, as the pages use them -------------------------------------


def start_checkout(
    request: HttpRequest,
    order: Order,
    *,
    shipping_address: dict[str, str] | None = None,
    country: str | None = None,
) -> str:
    """Where the buyer goes to pay: the gateway's checkout page (Stripe Checkout or the local test
    gateway) that the payments app opens, else the order page with the reason."""
    order_page = reverse("frontend:order", args=[order.pk])
    try:
        payment = payment_checkout_start(
            order=order,
            actor=request.user,
            shipping_address=shipping_address,
            country=country,  # type: ignore[arg-type]
        )
    except (ValidationError, Conflict, NotAllowed, GatewayUnavailable) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
        return order_page
    url = payment.checkout_url or ""
    if not url:
        return order_page
    # Gateways build absolute links from SITE_URL; a link to this site keeps the buyer on this host.
    target = urlsplit(url)
    if target.netloc in (urlsplit(settings.SITE_URL).netloc, request.get_host()):
        return target.path + (f"?{target.query}" if target.query else "")
    return url


def payouts_onboarding_start(request: HttpRequest) -> str:
    """The Stripe Connect onboarding link for the artist, or back to the studio with the reason."""
    try:
        return payout_onboarding_start(
            artist=request.user,  # type: ignore[arg-type]
            return_url=request.build_absolute_uri(reverse("frontend:artist-studio")),
        )
    except Exception as exc:  # Stripe unreachable or not configured: say so on the studio page
        log.warning("Payout onboarding could not start: %s", exc)
        messages.error(request, f"Payout set-up could not start: {exc}")
        return reverse("frontend:artist-studio")


def royalty_statements_url() -> str:
    return reverse("royalty-statement-csv")


def artist_ledger(user: User) -> dict[str, Any]:
    """Uses, earnings and balance for the artist studio, from the royalty ledger."""
    return artist_earnings(artist=user)


def designer_royalties(user: User) -> dict[int, Decimal]:
    """The designer's ledger total per order line (accruals less refunds)."""
    totals: dict[int, Decimal] = {}
    for entry in royalty_entries(payee=user):
        if entry.order_line_id is not None:
            totals[entry.order_line_id] = totals.get(entry.order_line_id, Decimal("0")) + entry.amount
    return totals


def _certificate_urls(record_id: str) -> dict[str, str]:
    return {
        "certificate_url": reverse("provenance-certificate", args=[record_id]),
        "certificate_json_url": reverse("provenance-certificate-json", args=[record_id]),
        "certificate_pdf_url": reverse("provenance-certificate-pdf", args=[record_id]),
    }


def attribution_for_line(line: OrderLine) -> dict[str, Any] | None:
    """The line's attribution record, if it has one yet (it is made once the outputs exist): its
    chain status and certificate links."""
    record = getattr(line, "attribution_record", None)  # a missing reverse one-to-one is an AttributeError
    if record is None:
        return None
    return {
        "record_id": record.record_id,
        "status": record.get_status_display(),
        **_certificate_urls(record.record_id),
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


def _styles_previewing_live(style_ids: list[int]) -> set[int]:
    from stylization.services import styles_previewing_live  # the pages' one contact with the worker app

    return styles_previewing_live(style_ids=style_ids)
