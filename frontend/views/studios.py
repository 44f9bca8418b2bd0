"""The artist's and the designer's studios: uploads, licence terms, listing and withdrawal, derivative
approvals, earnings from the royalty ledger, and payout set-up."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from PIL import Image

from frontend import confirmations
from frontend import selectors as page_selectors
from frontend.charts import cumulative, line_chart
from frontend.decorators import forbidden, role_required
from frontend.forms import (
    LicenceTermsForm,
    PatternEditForm,
    PatternUploadForm,
    StyleUploadForm,
    apply_service_errors,
)
from frontend.views.catalogue import CSS_PX_PER_INCH
from marketplace import selectors
from marketplace.errors import Conflict, NotAllowed
from marketplace.models import (
    ApprovalStatus,
    BasePattern,
    DerivativeApproval,
    InvalidTransition,
    RepeatType,
    Role,
    Style,
    User,
)
from marketplace.payments.services import payout_onboarding_start
from marketplace.royalties.selectors import artist_earnings, royalty_totals_by_order_line
from marketplace.services.approvals import approval_approve, approval_deadline, approval_decline
from marketplace.services.catalogue import pattern_create, pattern_update, style_create, style_update
from marketplace.services.licence_terms import LicenceTerms
from marketplace.size_guidance import size_warnings
from stylization.engine.edge_cuts import EdgeCuts, edge_cuts
from stylization.services import style_model_status

log = logging.getLogger(__name__)


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
                "model": style_model_status(style=style),
                "versions": versions[style.pk],
                "withdraw_confirm": confirmations.style_withdraw(style),
                "form": licence_forms.get(style.pk)
                or LicenceTermsForm(
                    initial=LicenceTermsForm.initial_from(current), prefix=f"licence-{style.pk}"
                ),
            }
        )
    ledger = artist_earnings(artist=user)
    pending = list(selectors.approval_list(artist=user).filter(status=ApprovalStatus.PENDING))
    refunds = confirmations.line_refunds(a.order_line for a in pending)
    return {
        "form": form,
        "rows": rows,
        "approvals": [
            {
                "approval": a,
                "deadline": approval_deadline(a),
                "decline_confirm": confirmations.approval_decline(a, refund=refunds[a.order_line_id]),
            }
            for a in pending
        ],
        "ledger": ledger,
        "chart": line_chart(cumulative(ledger["points"]), title="Earnings over time (USD)"),
        "statements_url": reverse("royalty-statement-csv"),
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
            return forbidden(request, str(exc))
        else:
            if style.licence_id == before:
                messages.info(request, "Those are the terms already in force; nothing changed.")
            else:
                version = style.licence.version  # type: ignore[union-attr]
                messages.success(request, f"“{style.title}” now sells under licence version {version}.")
            return redirect("frontend:artist-studio")
    context = _artist_context(user, StyleUploadForm(), {style.pk: form})
    return render(request, "frontend/studio_artist.html", context, status=400)


@require_POST
@role_required(Role.ARTIST)
def artist_listing(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a style (no new personalizations, carts or checkouts) or list it again."""
    user: User = request.user  # type: ignore[assignment]
    style = get_object_or_404(Style.objects.filter(artist=user), pk=pk)
    withdrawing = request.POST.get("active") != "1"
    if withdrawing and style.active and not confirmations.is_confirmed(request):
        return confirmations.ask_first(request, confirmations.style_withdraw(style))
    try:
        style_update(style=style, actor=user, active=not withdrawing)
    except NotAllowed as exc:
        return forbidden(request, str(exc))
    messages.success(request, f"“{style.title}” is {'listed' if style.active else 'withdrawn'}.")
    return redirect("frontend:artist-studio")


@require_POST
@role_required(Role.ARTIST)
def artist_approval(request: HttpRequest, pk: int) -> HttpResponse:
    """The artist approves a derivative's proof, or declines it with a reason (the buyer is refunded)."""
    user: User = request.user  # type: ignore[assignment]
    approval = get_object_or_404(
        DerivativeApproval.objects.filter(artist=user).select_related(
            "order_line__order",
            "order_line__personalization__base_pattern",
            "order_line__personalization__style",
            "order_line__product_size__product",
        ),
        pk=pk,
    )
    declining = request.POST.get("decision") != "approve"
    if (
        declining
        and approval.status == ApprovalStatus.PENDING
        and request.POST.get("reason", "").strip()
        and not confirmations.is_confirmed(request)
    ):
        refund = confirmations.line_refunds([approval.order_line])[approval.order_line_id]
        return confirmations.ask_first(request, confirmations.approval_decline(approval, refund=refund))
    try:
        if not declining:
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
    """Off to the Stripe Connect onboarding link, or back to the studio with the reason."""
    try:
        url = payout_onboarding_start(
            artist=request.user,  # type: ignore[arg-type]
            return_url=request.build_absolute_uri(reverse("frontend:artist-studio")),
        )
    except Exception as exc:  # Stripe unreachable or not configured: say so on the studio page
        log.warning("Payout onboarding could not start: %s", exc)
        messages.error(request, f"Payout set-up could not start: {exc}")
        url = reverse("frontend:artist-studio")
    return HttpResponseRedirect(url)


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
            cuts = pattern_edge_cuts(pattern)
            if cuts.warns:
                messages.warning(request, edge_cut_warning(cuts))
            for warning in size_warnings(pattern=pattern, sizes=selectors.product_sizes_active()):
                messages.warning(request, warning.message)
            return redirect("frontend:designer-studio")
    patterns = selectors.pattern_list(filters=selectors.CatalogueFilters(owner=user, only_owner=True))
    sales = list(page_selectors.sold_lines_for_designer(designer=user))
    royalties = royalty_totals_by_order_line(payee=user)
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


def pattern_edge_cuts(pattern: BasePattern) -> EdgeCuts:
    with pattern.image.open("rb") as stored:
        return edge_cuts(Image.open(stored).convert("RGB"), pattern.repeat_type)


def edge_cut_warning(cuts: EdgeCuts) -> str:
    return (
        f"The repeat check found motifs cut by the tile's edge: {cuts.border_fraction:.0%} of the edge's pixels "
        f"are motif pixels that do not continue into the next tile (inside the tile, {cuts.interior_fraction:.0%} "
        "of neighbours differ). The seam will show in print: re-export the tile at its exact repeat."
    )


@role_required(Role.DESIGNER)
def designer_pattern(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a published pattern's details and repeat, as an artist edits a style."""
    user: User = request.user  # type: ignore[assignment]
    pattern = get_object_or_404(BasePattern.objects.filter(designer=user), pk=pk)
    initial = {
        "title": pattern.title,
        "repeat_type": pattern.repeat_type,
        "dpi": pattern.dpi,
        "royalty_percent": pattern.royalty_percent,
        "description": pattern.description,
        "tags": ", ".join(pattern.tags.values_list("name", flat=True)),
    }
    form = PatternEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            pattern_update(
                pattern=pattern,
                actor=user,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                tags=form.tag_list(),
                repeat=form.repeat(),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except NotAllowed as exc:
            return forbidden(request, str(exc))
        else:
            messages.success(request, f"“{pattern.title}” is saved.")
            return redirect("frontend:designer-pattern", pk=pattern.pk)
        pattern.refresh_from_db()
    cuts = pattern_edge_cuts(pattern)
    return render(
        request,
        "frontend/studio_pattern.html",
        {
            "pattern": pattern,
            "form": form,
            "cuts": cuts,
            "cut_warning": edge_cut_warning(cuts) if cuts.warns else "",
            "repeat_types": RepeatType.choices,
            "px_per_inch": CSS_PX_PER_INCH,
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@require_POST
@role_required(Role.DESIGNER)
def designer_listing(request: HttpRequest, pk: int) -> HttpResponse:
    """Withdraw a pattern (it leaves the catalogue; paid orders are still made) or list it again."""
    user: User = request.user  # type: ignore[assignment]
    pattern = get_object_or_404(BasePattern.objects.filter(designer=user), pk=pk)
    try:
        pattern_update(pattern=pattern, actor=user, active=request.POST.get("active") == "1")
    except NotAllowed as exc:
        return forbidden(request, str(exc))
    messages.success(request, f"“{pattern.title}” is {'listed' if pattern.active else 'withdrawn'}.")
    return redirect("frontend:designer-studio")
