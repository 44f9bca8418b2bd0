"""Infringement reports."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from marketplace.api.base import StrictInput, request_user
from marketplace.models import InfringementReport, ReportTarget
from marketplace.services.reports import report_file


class ReportCreateInput(StrictInput):
    target = serializers.ChoiceField(choices=ReportTarget.choices)
    id = serializers.IntegerField(min_value=1, help_text="the style's or the base pattern's id")
    claim = serializers.CharField(
        max_length=5000, help_text="whose work it is, and how the listing infringes it"
    )
    evidence_url = serializers.URLField(max_length=500)


class ReportOut(serializers.ModelSerializer):
    id = serializers.IntegerField()
    listing = serializers.SerializerMethodField()

    class Meta:
        model = InfringementReport
        fields = ["id", "target", "listing", "claim", "evidence_url", "status", "created_at"]

    def get_listing(self, report: InfringementReport) -> int:
        return report.listing.pk


class ReportCreateView(APIView):
    """Anyone with an account may report a listing; staff decide in the admin."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "report"

    @extend_schema(request=ReportCreateInput, responses={201: ReportOut})
    def post(self, request: Request) -> Response:
        data = ReportCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        report = report_file(
            reporter=request_user(request),
            target=values["target"],
            listing_id=values["id"],
            claim=values["claim"],
            evidence_url=values["evidence_url"],
        )
        return Response(ReportOut(report).data, status=status.HTTP_201_CREATED)
