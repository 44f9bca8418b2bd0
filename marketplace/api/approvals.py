"""The artist's approvals of derivatives: the pending list, the proof, approve and decline."""

from __future__ import annotations

from typing import Any, cast

from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.base import StrictInput, absolute_url, private_file_response
from marketplace.api.schema import file_responses
from marketplace.errors import NotAllowed
from marketplace.models import DECLINE_REASON_MAX_CHARS, ApprovalStatus, DerivativeApproval, Role, User
from marketplace.selectors import approval_list
from marketplace.services.approvals import (
    approval_approve,
    approval_deadline,
    approval_decline,
)


def _artist(request: Request) -> User:
    user = cast(User, request.user)
    if not user.has_role(Role.ARTIST):
        raise NotAllowed("Only artists approve derivatives of their styles.")
    return user


class ApprovalOut(serializers.ModelSerializer):
    order_line = serializers.IntegerField(source="order_line_id")
    style = serializers.SerializerMethodField()  # type: ignore[assignment]
    pattern = serializers.SerializerMethodField()
    product = serializers.CharField(source="order_line.product_size.product.name")
    deadline = serializers.SerializerMethodField()
    proof_url = serializers.SerializerMethodField()

    class Meta:
        model = DerivativeApproval
        fields = [
            "id",
            "order_line",
            "status",
            "style",
            "pattern",
            "product",
            "requested_at",
            "deadline",
            "decided_at",
            "reason",
            "proof_url",
        ]

    def get_style(self, approval: DerivativeApproval) -> dict[str, Any]:
        style = approval.order_line.personalization.style
        return {"id": style.pk, "title": style.title} if style else {}

    def get_pattern(self, approval: DerivativeApproval) -> dict[str, Any]:
        pattern = approval.order_line.personalization.base_pattern
        return {"id": pattern.pk, "title": pattern.title}

    def get_deadline(self, approval: DerivativeApproval) -> str:
        return approval_deadline(approval).isoformat()

    def get_proof_url(self, approval: DerivativeApproval) -> str:
        return absolute_url(self.context["request"], reverse("approval-proof", args=[approval.pk]))


class ApprovalListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ApprovalOut(many=True))
    def get(self, request: Request) -> Response:
        pending = approval_list(artist=_artist(request)).filter(status=ApprovalStatus.PENDING)
        return Response(ApprovalOut(pending, many=True, context={"request": request}).data)


class DeclineInput(StrictInput):
    reason = serializers.CharField(max_length=DECLINE_REASON_MAX_CHARS)


class ApprovalApproveView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=ApprovalOut)
    def post(self, request: Request, pk: int) -> Response:
        artist = _artist(request)
        get_object_or_404(approval_list(artist=artist), pk=pk)  # someone else's is missing, not forbidden
        approval = approval_approve(approval_id=pk, artist=artist)
        return Response(
            ApprovalOut(approval_list(artist=artist).get(pk=approval.pk), context={"request": request}).data
        )


class ApprovalDeclineView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=DeclineInput, responses=ApprovalOut)
    def post(self, request: Request, pk: int) -> Response:
        artist = _artist(request)
        get_object_or_404(approval_list(artist=artist), pk=pk)
        data = DeclineInput(data=request.data)
        data.is_valid(raise_exception=True)
        approval = approval_decline(approval_id=pk, artist=artist, reason=data.validated_data["reason"])
        return Response(
            ApprovalOut(approval_list(artist=artist).get(pk=approval.pk), context={"request": request}).data
        )


class ApprovalProofView(APIView):
    """The proof the artist decides on: the line's print sheet, for that artist only."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=file_responses("image/png"))
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        approval = get_object_or_404(approval_list(artist=_artist(request)), pk=pk)
        sheet = approval.order_line.print_sheet
        if not sheet:
            raise Http404("The proof is no longer kept.")
        return private_file_response(request, sheet, filename=f"motif-proof-{pk}.png")
