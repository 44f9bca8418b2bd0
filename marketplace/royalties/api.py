"""Thin views: Connect onboarding for payees, and their royalty statement (JSON and monthly CSV)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

from django.http import HttpResponse, HttpResponseRedirect
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.errors import NotAllowed
from marketplace.models import User
from marketplace.payments.gateways import GatewayUnavailable
from marketplace.royalties import selectors
from marketplace.royalties.models import RoyaltyEntry
from marketplace.royalties.onboarding import payee_account_refresh, payee_onboarding_link

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
# Statements exist from the year the ledger could first hold an entry to a year far enough ahead;
# outside that a month is a 400 (year 0 and 9999-12's following month are not dates).
STATEMENT_YEARS = range(1970, 2101)


def _payee(request: Request) -> User:
    user = request.user
    if not (user.is_artist or user.is_designer):  # type: ignore[union-attr]
        raise NotAllowed("Royalties are for artists and designers.")
    return user  # type: ignore[return-value]


def _unavailable(exc: GatewayUnavailable) -> Response:
    return Response({"detail": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)


class PayoutStatusOut(serializers.Serializer):
    stripe_account = serializers.BooleanField()
    payouts_enabled = serializers.BooleanField()


class OnboardingView(APIView):
    """POST /api/v1/payouts/onboarding/: an Account Link into Stripe's Express onboarding."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None, responses={200: {"type": "object", "properties": {"url": {"type": "string"}}}}
    )
    def post(self, request: Request) -> Response:
        try:
            url = payee_onboarding_link(user=_payee(request))
        except GatewayUnavailable as exc:
            return _unavailable(exc)
        return Response({"url": url})


class OnboardingRefreshView(APIView):
    """Stripe sends the payee here when their link expired: make a new one and go back."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={302: None})
    def get(self, request: Request) -> HttpResponse | Response:
        try:
            return HttpResponseRedirect(payee_onboarding_link(user=_payee(request)))
        except GatewayUnavailable as exc:
            return _unavailable(exc)


class OnboardingReturnView(APIView):
    """Stripe sends the payee here when they leave onboarding: re-check the account now (the
    account.updated webhook does the same, whichever comes first)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=PayoutStatusOut)
    def get(self, request: Request) -> Response:
        payee = _payee(request)
        try:
            account = payee_account_refresh(user=payee)
        except GatewayUnavailable as exc:
            return _unavailable(exc)
        return Response(
            PayoutStatusOut(
                {
                    "stripe_account": bool(account and account.stripe_account_id),
                    "payouts_enabled": bool(account and account.payouts_enabled),
                }
            ).data
        )


class EntryOut(serializers.ModelSerializer):
    class Meta:
        model = RoyaltyEntry
        fields = ["id", "created_at", "kind", "order", "order_line", "amount", "currency", "description"]


class EntryPagination(PageNumberPagination):
    page_size = 50


class RoyaltyStatementView(APIView):
    """GET /api/v1/royalties/: the signed-in payee's position and ledger entries (newest first)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: {"type": "object"}})
    def get(self, request: Request) -> Response:
        payee = _payee(request)
        position = selectors.payee_position(payee=payee)
        paginator = EntryPagination()
        page = paginator.paginate_queryset(selectors.royalty_entries(payee=payee), request, view=self)
        body = paginator.get_paginated_response(EntryOut(page, many=True).data).data
        body.update(
            {
                "currency": position.currency,
                "balance": str(position.earned - position.paid),
                "earned": str(position.earned),
                "paid": str(position.paid),
                "pending": str(position.pending),
                "held": str(position.held),
                "carried": str(position.carried),
                "payouts_enabled": position.payouts_enabled,
            }
        )
        return Response(body)


class RoyaltyStatementCsvView(APIView):
    """GET /api/v1/royalties/statement.csv?month=YYYY-MM: that month's entries and transfers."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[OpenApiParameter("month", str, required=True, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")],
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request: Request) -> HttpResponse | Response:
        payee = _payee(request)
        match = MONTH.match(request.query_params.get("month", ""))
        if match is None or int(match.group(1)) not in STATEMENT_YEARS:
            return Response(
                {
                    "month": [
                        f"Give the month as YYYY-MM, from {STATEMENT_YEARS[0]}-01 to {STATEMENT_YEARS[-1]}-12."
                    ]
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        month = dt.date(int(match.group(1)), int(match.group(2)), 1)
        entries, transfers = selectors.royalty_month(payee=payee, month=month)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            ["date", "type", "order", "order_line", "description", "amount", "currency", "stripe_id"]
        )
        total = Decimal("0")
        for e in entries:
            total += e.amount
            writer.writerow(
                [
                    e.created_at.isoformat(),
                    e.kind,
                    e.order_id,
                    e.order_line_id or "",
                    e.description,
                    f"{e.amount:.5f}",
                    e.currency,
                    "",
                ]
            )
        for t in transfers:
            writer.writerow(
                [
                    t.created_at.isoformat(),
                    f"transfer ({t.status})",
                    t.order_id,
                    "",
                    "Royalty transfer",
                    f"{t.amount:.2f}",
                    t.currency,
                    t.stripe_transfer_id or "",
                ]
            )
            for r in t.reversals.all():
                writer.writerow(
                    [
                        r.created_at.isoformat(),
                        "transfer reversal",
                        t.order_id,
                        "",
                        "Reversed",
                        f"{-r.amount:.2f}",
                        t.currency,
                        r.stripe_reversal_id or "",
                    ]
                )
        writer.writerow([])
        writer.writerow(["", "ledger total", "", "", f"Entries in {month:%Y-%m}", f"{total:.5f}", "", ""])
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="royalties-{month:%Y-%m}.csv"'
        return response
