"""Thin views for print production: the buyer's proof decisions, the print shops' queue, and how an
account becomes a print shop (an application staff approve, or a staff invitation)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace import selectors
from marketplace.api.base import (
    StrictInput,
    absolute_url,
    paginated_response,
    private_file_response,
    request_user,
)
from marketplace.api.orders import OrderOut, own_order
from marketplace.api.schema import ErrorOut, file_responses, paginated
from marketplace.models import (
    CARRIER_MAX_CHARS,
    PRINT_SHOP_NAME_MAX_LENGTH,
    SEED_MAX,
    TRACKING_NUMBER_MAX_CHARS,
    OrderLine,
    PrintShop,
    ProductionJob,
    ProductionStatus,
)
from marketplace.selectors import production_job_started_by
from marketplace.services.colour import order_line_print_file
from marketplace.services.print_shops import print_shop_apply, print_shop_invite_accept
from marketplace.services.production import production_job_ship, production_job_start
from marketplace.services.proofs import (
    order_line_cancel,
    order_line_proof_approve,
    order_line_proof_rerender,
    order_proofs_approve,
)


class RerenderInput(StrictInput):
    seed = serializers.IntegerField(min_value=0, max_value=SEED_MAX)


class ShipInput(StrictInput):
    carrier = serializers.CharField(max_length=CARRIER_MAX_CHARS)
    tracking_number = serializers.CharField(max_length=TRACKING_NUMBER_MAX_CHARS)


class ProductionJobOut(serializers.ModelSerializer):
    """What a print shop needs for one job, and nothing else of the buyer: the ship-to address."""

    order = serializers.IntegerField(source="order_line.order_id")
    line = serializers.IntegerField(source="order_line_id")
    status = serializers.CharField()
    substrate = serializers.CharField(source="order_line.product_size.product.substrate")
    product = serializers.CharField(source="order_line.product_size.product.name")
    size = serializers.SerializerMethodField()
    quantity = serializers.IntegerField(source="order_line.quantity")
    dpi = serializers.IntegerField(source="order_line.personalization.base_pattern.dpi")
    # The address is the shop's once it has started the job; until then it knows the country only.
    ship_to = serializers.SerializerMethodField()
    ship_to_country = serializers.CharField(source="order_line.order.country")
    print_sheet_url = serializers.SerializerMethodField()
    ticket_url = serializers.SerializerMethodField()

    @extend_schema_field(
        inline_serializer(
            "JobSize",
            {
                "slug": serializers.CharField(),
                "name": serializers.CharField(),
                "width_in": serializers.DecimalField(6, 2),
                "height_in": serializers.DecimalField(6, 2),
                "width_px": serializers.IntegerField(),
                "height_px": serializers.IntegerField(),
            },
        )
    )
    def get_size(self, job: ProductionJob) -> dict[str, Any]:
        size = job.order_line.product_size
        width_px, height_px = size.print_pixels(job.order_line.personalization.base_pattern.dpi)
        return {
            "slug": size.slug,
            "name": size.name,
            "width_in": str(size.width_in),
            "height_in": str(size.height_in),
            "width_px": width_px,
            "height_px": height_px,
        }

    @extend_schema_field(serializers.JSONField(allow_null=True))
    def get_ship_to(self, job: ProductionJob) -> dict[str, str] | None:
        request = self.context.get("request")
        user = request.user if request is not None else AnonymousUser()
        return (
            job.order_line.order.shipping_address if production_job_started_by(job=job, user=user) else None
        )

    def get_print_sheet_url(self, job: ProductionJob) -> str:
        return absolute_url(self.context.get("request"), reverse("production-job-print-sheet", args=[job.pk]))

    def get_ticket_url(self, job: ProductionJob) -> str:
        return absolute_url(self.context.get("request"), reverse("frontend:production-ticket", args=[job.pk]))

    class Meta:
        model = ProductionJob
        fields = [
            "id",
            "order",
            "line",
            "status",
            "substrate",
            "product",
            "size",
            "quantity",
            "dpi",
            "ship_to",
            "ship_to_country",
            "print_sheet_url",
            "ticket_url",
            "released_at",
            "started_at",
            "shipped_at",
            "carrier",
            "tracking_number",
        ]


# --- print shops ------------------------------------------------------------------------------------


class PrintShopApplyInput(StrictInput):
    name = serializers.CharField(
        max_length=PRINT_SHOP_NAME_MAX_LENGTH, help_text="the print shop's trading name"
    )


class PrintShopInvitationAcceptInput(StrictInput):
    token = serializers.CharField(max_length=500, help_text="the token of the invitation link staff sent")


class PrintShopOut(serializers.ModelSerializer):
    """An account's print shop standing: only `approved` holds the printer role."""

    class Meta:
        model = PrintShop
        fields = ["name", "status", "applied_at", "decided_at"]


class OrderApproveView(APIView):
    """POST /api/v1/orders/{id}/approve/: approve every proof-ready line (they go to print)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=OrderOut)
    def post(self, request: Request, pk: int) -> Response:
        order_proofs_approve(order=own_order(request, pk), actor=request_user(request))
        return Response(OrderOut(own_order(request, pk), context={"request": request}).data)


def _own_line(request: Request, pk: int, line_pk: int) -> OrderLine:
    return get_object_or_404(OrderLine, pk=line_pk, order=own_order(request, pk))


class OrderLineApproveView(APIView):
    """POST /api/v1/orders/{id}/lines/{line_id}/approve/: approve one proof (it goes to print), beside
    approving them all. Approving an approved line again changes nothing."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            200: OrderOut,
            404: OpenApiResponse(ErrorOut, description="No such line in the buyer's orders."),
            409: OpenApiResponse(ErrorOut, description="The line's proof is not waiting for approval."),
        },
    )
    def post(self, request: Request, pk: int, line_pk: int) -> Response:
        line = _own_line(request, pk, line_pk)
        order_line_proof_approve(order_line_id=line.pk, actor=request_user(request))
        return Response(OrderOut(own_order(request, pk), context={"request": request}).data)


class OrderLineRerenderView(APIView):
    """POST /api/v1/orders/{id}/lines/{line_id}/rerender/ {seed}: the one free re-render of a proof."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=RerenderInput, responses=OrderOut)
    def post(self, request: Request, pk: int, line_pk: int) -> Response:
        line = _own_line(request, pk, line_pk)
        body = RerenderInput(data=request.data)
        body.is_valid(raise_exception=True)
        order_line_proof_rerender(
            order_line_id=line.pk, actor=request_user(request), seed=body.validated_data["seed"]
        )
        return Response(OrderOut(own_order(request, pk), context={"request": request}).data)


class OrderLineCancelView(APIView):
    """POST /api/v1/orders/{id}/lines/{line_id}/cancel/: cancel a line before printing, for a full refund."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=OrderOut)
    def post(self, request: Request, pk: int, line_pk: int) -> Response:
        line = _own_line(request, pk, line_pk)
        order_line_cancel(
            order_line_id=line.pk,
            actor=request_user(request),
            reason="Cancelled by the buyer before printing",
        )
        return Response(OrderOut(own_order(request, pk), context={"request": request}).data)


class PrintShopApplyView(APIView):
    """POST /api/v1/print-shops/apply/ {name}: apply to print; staff approve the application."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=PrintShopApplyInput,
        responses={
            201: PrintShopOut,
            409: OpenApiResponse(ErrorOut, description="Staff have decided already."),
        },
    )
    def post(self, request: Request) -> Response:
        body = PrintShopApplyInput(data=request.data)
        body.is_valid(raise_exception=True)
        shop = print_shop_apply(user=request_user(request), **body.validated_data)
        return Response(PrintShopOut(shop).data, status=status.HTTP_201_CREATED)


class PrintShopInvitationAcceptView(APIView):
    """POST /api/v1/print-shops/invitations/accept/ {token}: the signed-in account becomes the invited,
    approved print shop. A link is good once, until it expires."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=PrintShopInvitationAcceptInput,
        responses={
            200: PrintShopOut,
            409: OpenApiResponse(ErrorOut, description="The link was used already."),
        },
    )
    def post(self, request: Request) -> Response:
        body = PrintShopInvitationAcceptInput(data=request.data)
        body.is_valid(raise_exception=True)
        shop = print_shop_invite_accept(user=request_user(request), **body.validated_data)
        return Response(PrintShopOut(shop).data)


class IsPrinter(BasePermission):
    message = "The production queue is for approved print shops: apply at /api/v1/print-shops/apply/."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_printer)  # type: ignore[union-attr]


def _visible_job(request: Request, pk: int) -> ProductionJob:
    job = get_object_or_404(ProductionJob.objects.select_related("order_line"), pk=pk)
    if not selectors.production_job_visible(job=job, user=request_user(request)):
        raise Http404("No such job.")  # a job not released to this print shop does not exist for it
    return job


def _job_out(request: Request, job_id: int) -> Response:
    job = selectors.production_job_list(printer=request_user(request)).get(pk=job_id)
    return Response(ProductionJobOut(job, context={"request": request}).data)


class ProductionJobListView(APIView):
    permission_classes = [IsAuthenticated, IsPrinter]

    class Filters(serializers.Serializer):
        status = serializers.ChoiceField(choices=ProductionStatus.choices, required=False)

    @extend_schema(
        parameters=[OpenApiParameter("status", enum=ProductionStatus.values, required=False)],
        responses=paginated(ProductionJobOut),
        operation_id="v1_production_jobs_list",
    )
    def get(self, request: Request) -> Response:
        filters = self.Filters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        jobs = selectors.production_job_list(
            printer=request_user(request), status=filters.validated_data.get("status")
        )
        return paginated_response(self, request, jobs, ProductionJobOut)


class ProductionJobDetailView(APIView):
    permission_classes = [IsAuthenticated, IsPrinter]

    @extend_schema(responses=ProductionJobOut)
    def get(self, request: Request, pk: int) -> Response:
        return _job_out(request, _visible_job(request, pk).pk)


class ProductionJobStartView(APIView):
    permission_classes = [IsAuthenticated, IsPrinter]

    @extend_schema(request=None, responses=ProductionJobOut)
    def post(self, request: Request, pk: int) -> Response:
        job = production_job_start(job_id=_visible_job(request, pk).pk, printer=request_user(request))
        return _job_out(request, job.pk)


class ProductionJobShipView(APIView):
    permission_classes = [IsAuthenticated, IsPrinter]

    @extend_schema(request=ShipInput, responses=ProductionJobOut)
    def post(self, request: Request, pk: int) -> Response:
        job = _visible_job(request, pk)
        body = ShipInput(data=request.data)
        body.is_valid(raise_exception=True)
        job = production_job_ship(job_id=job.pk, printer=request_user(request), **body.validated_data)
        return _job_out(request, job.pk)


class ProductionJobPrintSheetView(APIView):
    """The job's print sheet: at the product's physical size and the pattern's DPI."""

    permission_classes = [IsAuthenticated, IsPrinter]

    @extend_schema(responses=file_responses("image/png"))
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        job = _visible_job(request, pk)
        if not selectors.production_job_started_by(job=job, user=request_user(request)):
            raise PermissionDenied("The print sheet is released to the print shop that starts this job.")
        line = job.order_line
        return private_file_response(
            request, line.print_sheet, filename=f"motif-job{job.pk}-order{line.order_id}-sheet.png"
        )


class ProductionJobPrintFileView(APIView):
    """The job's print file for its substrate: the print sheet converted into the substrate's ICC
    output profile (a CMYK TIFF for a CMYK profile) with that profile embedded, at the sheet's DPI."""

    permission_classes = [IsAuthenticated, IsPrinter]

    @extend_schema(responses=file_responses("image/tiff", "image/png"))
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        job = _visible_job(request, pk)
        if not selectors.production_job_started_by(job=job, user=request_user(request)):
            raise PermissionDenied("The print file is released to the print shop that starts this job.")
        line = job.order_line
        if not line.print_sheet:
            raise Http404("This job's print sheet is not made yet.")
        with line.print_sheet.open("rb") as fh:
            made = order_line_print_file(line=line, sheet=fh.read())
        response = HttpResponse(made.data, content_type=made.media_type)
        name = f"motif-job{job.pk}-order{line.order_id}-print.{made.extension}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        response["X-ICC-Profile"] = " ".join(made.profile.name.split())
        return response
