"""Thin views for print production: the buyer's proof decisions, the print shops' queue, and how an
account becomes a print shop (an application staff approve, or a staff invitation)."""

from __future__ import annotations

from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace import selectors
from marketplace.api import serializers as s
from marketplace.api.schema import ErrorOut, file_responses, paginated
from marketplace.api.views import _own_order, _paginated, _private_file, _user
from marketplace.models import OrderLine, ProductionJob, ProductionStatus, Role
from marketplace.services.fulfilment import (
    order_line_cancel,
    order_line_proof_rerender,
    order_proofs_approve,
    production_job_ship,
    production_job_start,
)
from marketplace.services.print_shops import print_shop_apply, print_shop_invite_accept
from marketplace.services.swatches import order_line_swatch_order


class OrderApproveView(APIView):
    """POST /api/v1/orders/{id}/approve/: approve every proof-ready line (they go to print)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=s.OrderOut)
    def post(self, request: Request, pk: int) -> Response:
        order_proofs_approve(order=_own_order(request, pk), actor=_user(request))
        return Response(s.OrderOut(_own_order(request, pk), context={"request": request}).data)


def _own_line(request: Request, pk: int, line_pk: int) -> OrderLine:
    return get_object_or_404(OrderLine, pk=line_pk, order=_own_order(request, pk))


class OrderLineRerenderView(APIView):
    """POST /api/v1/orders/{id}/lines/{line_id}/rerender/ {seed}: the one free re-render of a proof."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.RerenderInput, responses=s.OrderOut)
    def post(self, request: Request, pk: int, line_pk: int) -> Response:
        line = _own_line(request, pk, line_pk)
        body = s.RerenderInput(data=request.data)
        body.is_valid(raise_exception=True)
        order_line_proof_rerender(
            order_line_id=line.pk, actor=_user(request), seed=body.validated_data["seed"]
        )
        return Response(s.OrderOut(_own_order(request, pk), context={"request": request}).data)


class OrderLineCancelView(APIView):
    """POST /api/v1/orders/{id}/lines/{line_id}/cancel/: cancel a line before printing, for a full refund."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=s.OrderOut)
    def post(self, request: Request, pk: int, line_pk: int) -> Response:
        line = _own_line(request, pk, line_pk)
        order_line_cancel(
            order_line_id=line.pk, actor=_user(request), reason="Cancelled by the buyer before printing"
        )
        return Response(s.OrderOut(_own_order(request, pk), context={"request": request}).data)


class OrderLineSwatchView(APIView):
    """POST /api/v1/orders/{id}/lines/{line_id}/swatch/: order a swatch of the line's approved proof, cut
    from its print sheet. 201 with the new draft order (checked out like any other); 200 with that same
    order while it is unpaid; 409 once a swatch of the proof is paid for, or when the proof is not approved."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            201: s.OrderOut,
            200: s.OrderOut,
            400: ErrorOut,
            404: OpenApiResponse(ErrorOut, description="No such line among your orders."),
            409: ErrorOut,
        },
    )
    def post(self, request: Request, pk: int, line_pk: int) -> Response:
        line = _own_line(request, pk, line_pk)
        swatch = order_line_swatch_order(line=line, actor=_user(request))
        return Response(
            s.OrderOut(_own_order(request, swatch.order.pk), context={"request": request}).data,
            status=status.HTTP_201_CREATED if swatch.created else status.HTTP_200_OK,
        )


class PrintShopApplyView(APIView):
    """POST /api/v1/print-shops/apply/ {name}: apply to print; staff approve the application."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.PrintShopApplyInput,
        responses={
            201: s.PrintShopOut,
            409: OpenApiResponse(ErrorOut, description="Staff have decided already."),
        },
    )
    def post(self, request: Request) -> Response:
        body = s.PrintShopApplyInput(data=request.data)
        body.is_valid(raise_exception=True)
        shop = print_shop_apply(user=_user(request), **body.validated_data)
        return Response(s.PrintShopOut(shop).data, status=status.HTTP_201_CREATED)


class PrintShopInvitationAcceptView(APIView):
    """POST /api/v1/print-shops/invitations/accept/ {token}: the signed-in account becomes the invited,
    approved print shop. A link is good once, until it expires."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=s.PrintShopInvitationAcceptInput,
        responses={
            200: s.PrintShopOut,
            409: OpenApiResponse(ErrorOut, description="The link was used already."),
        },
    )
    def post(self, request: Request) -> Response:
        body = s.PrintShopInvitationAcceptInput(data=request.data)
        body.is_valid(raise_exception=True)
        shop = print_shop_invite_accept(user=_user(request), **body.validated_data)
        return Response(s.PrintShopOut(shop).data)


class IsPrinter(BasePermission):
    message = "The production queue is for approved print shops: apply at /api/v1/print-shops/apply/."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.has_role(Role.PRINTER))  # type: ignore[union-attr]


def _visible_job(request: Request, pk: int) -> ProductionJob:
    job = get_object_or_404(ProductionJob.objects.select_related("order_line"), pk=pk)
    if not selectors.production_job_visible(job=job, user=_user(request)):
        raise Http404("No such job.")  # a job not released to this print shop does not exist for it
    return job


def _job_out(request: Request, job_id: int) -> Response:
    job = selectors.production_job_list(printer=_user(request)).get(pk=job_id)
    return Response(s.ProductionJobOut(job, context={"request": request}).data)


class ProductionJobListView(APIView):
    permission_classes = [IsAuthenticated, IsPrinter]

    class Filters(serializers.Serializer):
        status = serializers.ChoiceField(choices=ProductionStatus.choices, required=False)

    @extend_schema(
        parameters=[OpenApiParameter("status", enum=ProductionStatus.values, required=False)],
        responses=paginated(s.ProductionJobOut),
        operation_id="v1_production_jobs_list",
    )
    def get(self, request: Request) -> Response:
        filters = self.Filters(data=request.query_params)
        filters.is_valid(raise_exception=True)
        jobs = selectors.production_job_list(
            printer=_user(request), status=filters.validated_data.get("status")
        )
        return _paginated(self, request, jobs, s.ProductionJobOut)


class ProductionJobDetailView(APIView):
    permission_classes = [IsAuthenticated, IsPrinter]

    @extend_schema(responses=s.ProductionJobOut)
    def get(self, request: Request, pk: int) -> Response:
        return _job_out(request, _visible_job(request, pk).pk)


class ProductionJobStartView(APIView):
    permission_classes = [IsAuthenticated, IsPrinter]

    @extend_schema(request=None, responses=s.ProductionJobOut)
    def post(self, request: Request, pk: int) -> Response:
        job = production_job_start(job_id=_visible_job(request, pk).pk, printer=_user(request))
        return _job_out(request, job.pk)


class ProductionJobShipView(APIView):
    permission_classes = [IsAuthenticated, IsPrinter]

    @extend_schema(request=s.ShipInput, responses=s.ProductionJobOut)
    def post(self, request: Request, pk: int) -> Response:
        job = _visible_job(request, pk)
        body = s.ShipInput(data=request.data)
        body.is_valid(raise_exception=True)
        job = production_job_ship(job_id=job.pk, printer=_user(request), **body.validated_data)
        return _job_out(request, job.pk)


class ProductionJobPrintSheetView(APIView):
    """The job's print sheet: at the product's physical size and the pattern's DPI."""

    permission_classes = [IsAuthenticated, IsPrinter]

    @extend_schema(responses=file_responses("image/png"))
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        job = _visible_job(request, pk)
        if not selectors.production_job_started_by(job=job, user=_user(request)):
            raise PermissionDenied("The print sheet is released to the print shop that starts this job.")
        line = job.order_line
        return _private_file(
            request, line.print_sheet, filename=f"motif-job{job.pk}-order{line.order_id}-sheet.png"
        )
