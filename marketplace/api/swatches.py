"""A swatch of an approved proof: ordered from the line whose proof it is cut from."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.base import request_user
from marketplace.api.orders import OrderOut, own_order
from marketplace.api.schema import ErrorOut
from marketplace.models import OrderLine
from marketplace.services.swatches import order_line_swatch_order


class OrderLineSwatchView(APIView):
    """POST /api/v1/orders/{id}/lines/{line_id}/swatch/: order a swatch of the line's approved proof, cut
    from its print sheet. 201 with the new draft order (checked out like any other); 200 with that same
    order while it is unpaid; 409 once a swatch of the proof is paid for, or when the proof is not
    approved; 400 for a swatch, or a line whose product sells no swatch."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            201: OrderOut,
            200: OrderOut,
            400: ErrorOut,
            404: OpenApiResponse(ErrorOut, description="No such line among your orders."),
            409: ErrorOut,
        },
    )
    def post(self, request: Request, pk: int, line_pk: int) -> Response:
        line = get_object_or_404(OrderLine, pk=line_pk, order=own_order(request, pk))
        swatch = order_line_swatch_order(line=line, actor=request_user(request))
        return Response(
            OrderOut(own_order(request, swatch.order.pk), context={"request": request}).data,
            status=status.HTTP_201_CREATED if swatch.created else status.HTTP_200_OK,
        )
