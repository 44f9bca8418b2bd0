"""The pages of print production: the buyer's proof decisions on the order page, the print shops'
studio (`/studio/production/`), its job tickets and their print sheets, and how an account becomes a
print shop (an application, or a staff invitation link). Thin: each view calls one service of
`marketplace.services.fulfilment` or `print_shops`, or one selector."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from frontend import confirmations
from frontend.confirmations import ask_first, is_confirmed
from frontend.decorators import role_required
from frontend.forms import PrintShopApplyForm, RerenderForm, ShipForm, apply_service_errors
from frontend.job_ticket import job_barcode, job_barcode_value, sheet_pictures
from marketplace import selectors
from marketplace.dispatch import dispatch_promise
from marketplace.errors import Conflict, NotAllowed
from marketplace.media import media_file_response
from marketplace.models import CANCELLABLE_STAGES, LineStage, OrderLine, ProductionJob, ProductionStatus, Role
from marketplace.services.colour import order_line_profile_info
from marketplace.services.print_shops import (
    print_shop_apply,
    print_shop_invitation_find,
    print_shop_invite_accept,
)
from marketplace.services.production import production_job_ship, production_job_start
from marketplace.services.proofs import (
    order_line_cancel,
    order_line_proof_approve,
    order_line_proof_rerender,
    order_line_seed_previews_request,
    order_proofs_approve,
)
from marketplace.services.shipping import address_for_display

REFUSALS = (ValidationError, Conflict, NotAllowed)


def _refusal(request: HttpRequest, exc: Exception) -> None:
    messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))


def _own_line(request: HttpRequest, pk: int, line_pk: int) -> OrderLine:
    order = get_object_or_404(selectors.order_list(buyer=request.user), pk=pk)  # type: ignore[arg-type]
    return get_object_or_404(
        OrderLine.objects.select_related(
            "order", "personalization__base_pattern", "personalization__style", "product_size__product"
        ),
        pk=line_pk,
        order=order,
    )


# --- the buyer's proof ------------------------------------------------------------------------------


@require_POST
@login_required
def order_approve(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(selectors.order_list(buyer=request.user), pk=pk)  # type: ignore[arg-type]
    waiting = [line for line in order.lines.all() if line.stage == LineStage.PROOF_READY]
    if waiting and not is_confirmed(request):
        return ask_first(request, confirmations.order_approve_all(order, waiting))
    try:
        approved = order_proofs_approve(order=order, actor=request.user)  # type: ignore[arg-type]
    except REFUSALS as exc:
        _refusal(request, exc)
    else:
        messages.success(
            request,
            f"Approved {len(approved)} proof{'s' if len(approved) != 1 else ''}: sent to the print shop.",
        )
    return redirect("frontend:order", pk=pk)


@require_POST
@login_required
def order_line_approve(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    line = _own_line(request, pk, line_pk)
    if line.stage == LineStage.PROOF_READY and not is_confirmed(request):
        return ask_first(request, confirmations.line_approve(line.order, line))
    try:
        order_line_proof_approve(order_line_id=line.pk, actor=request.user)  # type: ignore[arg-type]
    except REFUSALS as exc:
        _refusal(request, exc)
    else:
        messages.success(request, "Approved: sent to the print shop.")
    return redirect("frontend:order", pk=pk)


@require_POST
@login_required
def order_line_rerender(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    line = _own_line(request, pk, line_pk)
    form = RerenderForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick one of the variations to re-render with.")
        return redirect("frontend:order", pk=pk)
    try:
        order_line_proof_rerender(order_line_id=line.pk, actor=request.user, seed=form.cleaned_data["seed"])  # type: ignore[arg-type]
    except REFUSALS as exc:
        _refusal(request, exc)
    else:
        messages.success(request, "Rendering a new proof with the variation you picked.")
    return redirect("frontend:order", pk=pk)


@require_POST
@login_required
def order_line_seed_previews(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    """Ask for a preview with each seed the free re-render offers; the order page shows them to pick from."""
    line = _own_line(request, pk, line_pk)
    try:
        order_line_seed_previews_request(order_line_id=line.pk, actor=request.user)  # type: ignore[arg-type]
    except REFUSALS as exc:
        _refusal(request, exc)
    return redirect(f"{reverse('frontend:order', args=[pk])}#seed-picker-{line.pk}")


@require_POST
@login_required
def order_line_cancel_page(request: HttpRequest, pk: int, line_pk: int) -> HttpResponse:
    line = _own_line(request, pk, line_pk)
    if line.stage in CANCELLABLE_STAGES and not is_confirmed(request):
        refund = confirmations.line_refunds([line])[line.pk]
        return ask_first(request, confirmations.line_cancel(line.order, line, refund=refund))
    try:
        order_line_cancel(
            order_line_id=line.pk,
            actor=request.user,  # type: ignore[arg-type]
            reason="Cancelled by you before printing",
        )
    except REFUSALS as exc:
        _refusal(request, exc)
    else:
        messages.success(request, "Cancelled. The refund is on its way.")
    return redirect("frontend:order", pk=pk)


# --- the print shops --------------------------------------------------------------------------------


def _visible_job(request: HttpRequest, job_pk: int) -> ProductionJob:
    job = get_object_or_404(
        ProductionJob.objects.select_related(
            "order_line__order",
            "order_line__product_size__product",
            "order_line__personalization__base_pattern",
        ),
        pk=job_pk,
    )
    if not selectors.production_job_visible(job=job, user=request.user):
        raise Http404("No such job.")  # not released to this print shop: it does not exist for it
    return job


@role_required(Role.PRINTER)
def production_studio(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or None
    if status not in (None, *ProductionStatus.values):
        status = None
    jobs = selectors.production_job_list(printer=request.user, status=status)  # type: ignore[arg-type]
    rows = [(job, selectors.production_job_started_by(job=job, user=request.user)) for job in jobs]
    return render(
        request,
        "frontend/studio_production.html",
        {"rows": rows, "status": status, "statuses": ProductionStatus.choices, "ship_form": ShipForm()},
    )


@require_GET
@role_required(Role.PRINTER)
def production_ticket(request: HttpRequest, job_pk: int) -> HttpResponse:
    job = _visible_job(request, job_pk)
    line = job.order_line
    pattern = line.personalization.base_pattern
    width_px, height_px = line.product_size.print_pixels(pattern.dpi)
    # A licence that requires attribution adds a credit strip below the repeat area: the sheet is
    # taller than the product by that much, and the printer must know it before cutting.
    strip_px = int((line.render_info or {}).get("selvedge", {}).get("strip_px", 0))
    # The buyer's name and address, and the print files, are for the shop that started the job:
    # so are the sheet's thumbnail and its true-scale crop, which are the print file in small.
    started_by_me = selectors.production_job_started_by(job=job, user=request.user)
    pictures = None
    if started_by_me and line.print_sheet:
        with line.print_sheet.open("rb") as fh:
            pictures = sheet_pictures(fh.read(), dpi=pattern.dpi)
    context = {
        "job": job,
        "line": line,
        "pattern": pattern,
        "sheet_px": (width_px, height_px + strip_px),
        "strip_px": strip_px,
        "strip_in": round(strip_px / pattern.dpi, 2),
        "repeat_height_px": height_px,
        "started_by_me": started_by_me,
        "ship_to": address_for_display(line.order.shipping_address) if started_by_me else None,
        "ship_form": ShipForm(),
        "pictures": pictures,
        "print_profile": order_line_profile_info(line=line),
        "dispatch": dispatch_promise(released_at=job.released_at),
        "barcode": job_barcode(job.pk),
        "barcode_value": job_barcode_value(job.pk),
    }
    return render(request, "frontend/production_ticket.html", context)


@require_GET
@role_required(Role.PRINTER)
def production_sheet(request: HttpRequest, job_pk: int) -> HttpResponseBase:
    job = _visible_job(request, job_pk)
    if not selectors.production_job_started_by(job=job, user=request.user):
        raise PermissionDenied("The print sheet is released to the print shop that starts this job.")
    return media_file_response(
        request, job.order_line.print_sheet, filename=f"motif-job{job.pk}-sheet.png", as_attachment=True
    )


@require_POST
@role_required(Role.PRINTER)
def production_start(request: HttpRequest, job_pk: int) -> HttpResponse:
    job = _visible_job(request, job_pk)
    try:
        production_job_start(job_id=job.pk, printer=request.user)  # type: ignore[arg-type]
    except REFUSALS as exc:
        _refusal(request, exc)
    else:
        messages.success(request, f"Job {job.pk}: printing.")
    return redirect("frontend:production-ticket", job_pk=job.pk)


@require_POST
@role_required(Role.PRINTER)
def production_ship(request: HttpRequest, job_pk: int) -> HttpResponse:
    job = _visible_job(request, job_pk)
    form = ShipForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Choose the carrier (name it if it is not listed) and give the tracking number."
        )
        return redirect("frontend:production-ticket", job_pk=job.pk)
    try:
        production_job_ship(job_id=job.pk, printer=request.user, **form.shipment())  # type: ignore[arg-type]
    except REFUSALS as exc:
        _refusal(request, exc)
    else:
        messages.success(request, f"Job {job.pk}: shipped, and the buyer has been sent the tracking number.")
    return redirect("frontend:production-ticket", job_pk=job.pk)


# --- becoming a print shop --------------------------------------------------------------------------


@login_required
def print_shop_apply_page(request: HttpRequest) -> HttpResponse:
    form = PrintShopApplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            print_shop_apply(user=request.user, name=form.cleaned_data["name"])  # type: ignore[arg-type]
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except REFUSALS as exc:
            _refusal(request, exc)
            return redirect("frontend:print-shop-apply")
        else:
            messages.success(request, "Thank you: we will look at your application and write to you.")
            return redirect("frontend:print-shop-apply")
    shop = selectors.print_shop_of(user=request.user)  # type: ignore[arg-type]
    return render(request, "frontend/print_shop_apply.html", {"form": form, "shop": shop})


@login_required
def print_shop_invitation(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        try:
            print_shop_invite_accept(token=token, user=request.user)  # type: ignore[arg-type]
        except REFUSALS as exc:
            _refusal(request, exc)
            return redirect("frontend:print-shop-invitation", token=token)
        messages.success(request, "Welcome: your print shop is approved, and its production queue is open.")
        return redirect("frontend:production")
    try:
        invitation = print_shop_invitation_find(token=token)
    except REFUSALS as exc:
        problem = " ".join(getattr(exc, "messages", None) or [str(exc)])
        context: dict[str, object] = {"invitation": None, "problem": problem}
        return render(
            request,
            "frontend/print_shop_invitation.html",
            context,
            status=409 if isinstance(exc, Conflict) else 400,
        )
    return render(request, "frontend/print_shop_invitation.html", {"invitation": invitation, "problem": ""})
