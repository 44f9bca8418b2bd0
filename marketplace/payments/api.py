"""Thin views: checkout, the local gateway's confirm step and page, and the Stripe webhook."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.orders import CheckoutInput
from marketplace.api.schema import ErrorOut
from marketplace.errors import Conflict, NotAllowed
from marketplace.models import Order
from marketplace.payments.gateways import GatewayUnavailable, local_gateway_allowed
from marketplace.payments.models import Gateway, Payment, PaymentStatus
from marketplace.payments.services import payment_checkout_start, payment_local_confirm
from marketplace.payments.webhooks import WebhookRejected, webhook_event_process, webhook_event_receive
from marketplace.services.approvals import artist_approval_days
from marketplace.services.shipping import address_for_display

log = logging.getLogger(__name__)


class CheckoutOut(serializers.Serializer):
    gateway = serializers.CharField()
    checkout_url = serializers.CharField()
    payment = serializers.IntegerField()


def _unavailable(exc: GatewayUnavailable) -> Response:
    return Response({"detail": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)


class OrderCheckoutView(APIView):
    """POST /api/v1/orders/{id}/checkout/: reserve the edition uses and open a payment."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=CheckoutInput, responses=CheckoutOut)
    def post(self, request: Request, pk: int) -> Response:
        order = get_object_or_404(Order, pk=pk)
        if order.buyer_id != request.user.pk:
            raise Http404  # someone else's order does not exist for this buyer
        body = CheckoutInput(data=request.data if request.data else {})
        body.is_valid(raise_exception=True)
        try:
            payment = payment_checkout_start(
                order=order,
                actor=request.user,  # type: ignore[arg-type]
                shipping_address=body.validated_data.get("shipping_address"),
                country=body.validated_data.get("country"),
            )
        except GatewayUnavailable as exc:
            return _unavailable(exc)
        return Response(
            CheckoutOut(
                {"gateway": payment.gateway, "checkout_url": payment.checkout_url, "payment": payment.pk}
            ).data
        )


class LocalConfirmView(APIView):
    """POST /api/v1/payments/local/{payment}/confirm/ {"outcome": "succeeded" | "declined"}."""

    permission_classes = [IsAuthenticated]

    class Input(serializers.Serializer):
        outcome = serializers.ChoiceField(
            choices=[PaymentStatus.SUCCEEDED.value, PaymentStatus.DECLINED.value]
        )

    class Output(serializers.Serializer):
        payment = serializers.IntegerField(source="pk")
        status = serializers.CharField()
        order = serializers.IntegerField(source="order_id")
        order_status = serializers.CharField(source="order.status")

    @extend_schema(request=Input, responses=Output)
    def post(self, request: Request, payment_id: int) -> Response:
        data = self.Input(data=request.data)
        data.is_valid(raise_exception=True)
        # Someone else's payment is missing, not forbidden, so payment ids cannot be probed.
        payment = get_object_or_404(
            Payment.objects.select_related("order").filter(order__buyer_id=request.user.pk), pk=payment_id
        )
        try:
            payment = payment_local_confirm(
                payment=payment,
                actor=request.user,  # type: ignore[arg-type]
                outcome=data.validated_data["outcome"],
            )
        except GatewayUnavailable as exc:
            return _unavailable(exc)
        payment.order.refresh_from_db()
        return Response(self.Output(payment).data)


@login_required
@require_http_methods(["GET", "POST"])
def local_gateway_page(request: HttpRequest, payment_id: int) -> HttpResponse:
    """The local TEST gateway's page: Pay or Decline, as the order's buyer. Then to the order."""
    payment = get_object_or_404(
        Payment.objects.select_related("order").filter(order__buyer_id=request.user.pk),
        pk=payment_id,
        gateway=Gateway.LOCAL,
    )
    error = ""
    if not local_gateway_allowed():
        context = {
            "payment": payment,
            "order": payment.order,
            "lines": [],
            "refused": True,
            "error": "The local test gateway is refused when DEBUG is off.",
        }
        return render(request, "payments/local_gateway.html", context, status=503)
    if request.method == "POST":
        try:
            payment_local_confirm(
                payment=payment,
                actor=request.user,  # type: ignore[arg-type]  # the view requires a signed-in user
                outcome=request.POST.get("outcome", ""),  # type: ignore[arg-type]
            )
        except (GatewayUnavailable, Conflict, NotAllowed, ValidationError) as exc:
            error = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
        else:
            return HttpResponseRedirect(f"/orders/{payment.order_id}/")
    payment.order.refresh_from_db()
    context = {
        "payment": payment,
        "order": payment.order,
        "lines": payment.order.lines.select_related("product_size__product", "licence_version"),
        "approval_days": artist_approval_days(),
        "error": error,
        # Asked once, in the cart: the payment page shows where the order ships, and takes no address.
        "address": address_for_display(payment.order.shipping_address),
    }
    return render(request, "payments/local_gateway.html", context, status=409 if error else 200)


class WebhookOut(serializers.Serializer):
    received = serializers.BooleanField()
    duplicate = serializers.BooleanField(required=False)


class StripeWebhookView(APIView):
    """POST /api/v1/payments/stripe/webhook/: Stripe's events, signed with STRIPE_WEBHOOK_SECRET.

    Inline processing: the event row is stored once and marked processed only after its handler
    committed, so Stripe's own redelivery (with backoff, for days) is the retry. Money-moving Stripe
    calls happen later, in the `payouts` actors, keyed so a repeat cannot double them. No session
    authentication, so no CSRF: the signature check stands in for it."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request={"application/json": {"type": "object"}},
        parameters=[OpenApiParameter("Stripe-Signature", str, OpenApiParameter.HEADER, required=True)],
        responses={200: WebhookOut, 400: ErrorOut, 500: ErrorOut},
    )
    def post(self, request: Request) -> Response:
        try:
            row, fresh = webhook_event_receive(
                payload=request.body, signature=request.headers.get("Stripe-Signature")
            )
        except WebhookRejected as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        if not fresh:
            return Response({"received": True, "duplicate": True})
        try:
            webhook_event_process(event_row_id=row.pk)
        except Exception:
            log.exception(
                "Stripe event %s (%s) failed; Stripe will deliver it again.", row.stripe_event_id, row.type
            )
            return Response({"detail": "Processing failed; retry later."}, status=500)
        return Response({"received": True})


stripe_webhook = StripeWebhookView.as_view()
