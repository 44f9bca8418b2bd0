"""Orders: create, list, check out and cancel."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace import selectors
from marketplace.api.base import StrictInput, VisibleRelatedField, paginated_response, request_user
from marketplace.api.order_lines import OrderLineOut
from marketplace.api.schema import paginated
from marketplace.models import ADDRESS_FIELDS, QUANTITY_RANGE, Order, Personalization, Product
from marketplace.order_display import order_display
from marketplace.services.orders import OrderLineRequest, order_cancel, order_create


class OrderLineInput(StrictInput):
    personalization = VisibleRelatedField(
        queryset=Personalization.objects.all(), owner_field="buyer", listed_only=False
    )
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    size = serializers.CharField(max_length=50)
    quantity = serializers.IntegerField(min_value=QUANTITY_RANGE[0], max_value=QUANTITY_RANGE[1])

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        size_key = attrs.pop("size")
        product = attrs.pop("product")
        sizes = product.sizes.all()
        size = next((s for s in sizes if s.slug == size_key or str(s.pk) == size_key), None)
        if size is None:
            choices = ", ".join(s.slug for s in sizes)
            raise serializers.ValidationError({"size": [f"{product.name} comes in: {choices}."]})
        attrs["product_size"] = size
        return attrs


class OrderCreateInput(StrictInput):
    lines = OrderLineInput(many=True, allow_empty=False)


class ShippingAddressIO(StrictInput):
    name = serializers.CharField(max_length=ADDRESS_FIELDS["name"])
    line1 = serializers.CharField(max_length=ADDRESS_FIELDS["line1"])
    line2 = serializers.CharField(
        max_length=ADDRESS_FIELDS["line2"], required=False, allow_blank=True, default=""
    )
    city = serializers.CharField(max_length=ADDRESS_FIELDS["city"])
    # Whether the country needs one, and which, is the shipping service's rule (400 naming
    # `shipping_address.state` when it is missing or not the country's).
    state = serializers.CharField(
        max_length=ADDRESS_FIELDS["state"],
        required=False,
        allow_blank=True,
        default="",
        help_text="State, province or region: its code or name, such as CA or California. Required where "
        "the country's postal service needs one (US, CA, AU, JP, IN, MX, BR and others).",
    )
    postal_code = serializers.CharField(max_length=ADDRESS_FIELDS["postal_code"])
    country = serializers.CharField(
        min_length=ADDRESS_FIELDS["country"],
        max_length=ADDRESS_FIELDS["country"],
        help_text="ISO 3166-1 alpha-2, such as GB or US.",
    )


class CheckoutInput(StrictInput):
    shipping_address = ShippingAddressIO(
        required=False, help_text="Required when any line is a printed (physical) product."
    )
    country = serializers.CharField(
        min_length=2,
        max_length=2,
        required=False,
        help_text="The buyer's country, for an order of digital files only.",
    )


class ShipmentOut(serializers.Serializer):
    line = serializers.IntegerField(source="order_line_id")
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    shipped_at = serializers.DateTimeField()
    tracking_url = serializers.URLField(
        read_only=True,
        allow_null=True,
        help_text="The carrier's tracking page; null for an unlisted carrier.",
    )


class OrderOut(serializers.ModelSerializer):
    lines = OrderLineOut(many=True)
    shipping_address = serializers.SerializerMethodField()
    shipments = serializers.SerializerMethodField()
    status_display = serializers.SerializerMethodField(
        help_text='The status in words, from the lines as they are now: "In production: rendering" '
        "while the first line renders, though `status` may still say paid."
    )

    def get_status_display(self, order: Order) -> str:
        return order_display(order=order).label

    @extend_schema_field(serializers.JSONField(allow_null=True))
    def get_shipping_address(self, order: Order) -> dict[str, str] | None:
        request = self.context.get("request")
        # The address is the buyer's own data: only they see it here.
        if request is None or request.user.pk != order.buyer_id:
            return None
        return order.shipping_address

    @extend_schema_field(ShipmentOut(many=True))
    def get_shipments(self, order: Order) -> list[dict[str, Any]]:
        jobs = [line.production_job for line in order.lines.all() if hasattr(line, "production_job")]
        return ShipmentOut([job for job in jobs if job.shipped_at is not None], many=True).data  # type: ignore[return-value]

    class Meta:
        model = Order
        fields = [
            "id",
            "status",
            "status_display",
            "currency",
            "subtotal",
            "discount",
            "shipping_amount",
            "tax_amount",
            "total",
            "refunded_amount",
            "shipping_address",
            "country",
            "shipments",
            "lines",
            "created_at",
            "checkout_at",
            "paid_at",
            "ready_at",
            "fulfilled_at",
        ]


def own_order(request: Request, pk: int) -> Order:
    return get_object_or_404(selectors.order_list(buyer=request_user(request)), pk=pk)


class OrderListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=paginated(OrderOut), operation_id="v1_orders_list")
    def get(self, request: Request) -> Response:
        return paginated_response(self, request, selectors.order_list(buyer=request_user(request)), OrderOut)

    @extend_schema(request=OrderCreateInput, responses={201: OrderOut})
    def post(self, request: Request) -> Response:
        data = OrderCreateInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        lines = [OrderLineRequest(**line) for line in data.validated_data["lines"]]
        order = order_create(buyer=request_user(request), lines=lines)
        order = own_order(request, order.pk)
        return Response(OrderOut(order, context={"request": request}).data, status=status.HTTP_201_CREATED)


class OrderDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=OrderOut)
    def get(self, request: Request, pk: int) -> Response:
        return Response(OrderOut(own_order(request, pk), context={"request": request}).data)


class OrderCancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=OrderOut)
    def post(self, request: Request, pk: int) -> Response:
        order = order_cancel(order=own_order(request, pk), actor=request_user(request))
        return Response(OrderOut(own_order(request, order.pk), context={"request": request}).data)
