"""An order line as its buyer sees it, and its files and proof."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace import selectors
from marketplace.api.base import absolute_url, private_file_response, request_user
from marketplace.api.schema import file_responses
from marketplace.media import PRIVATE
from marketplace.models import (
    FILES_DELIVERED_STAGES,
    OUTPUT_FILE_KINDS,
    OUTPUT_FILE_NAMES,
    LineStage,
    OrderLine,
)
from marketplace.proofs import PROOF_TILE_PX, proof_grid, proof_preview_png, proof_sheet_size, proof_tile_png
from marketplace.selectors import OutputAccess, order_line_output_access, order_line_proof_access
from marketplace.services.proofs import MAX_BUYER_RERENDERS


class OutputRefusedOut(serializers.Serializer):
    """Why the buyer cannot download a line's file (409 not ready, 410 refunded or failed)."""

    detail = serializers.CharField()
    stage = serializers.CharField()


LEGACY_RENDER_STATUS: dict[str, str] = {
    LineStage.QUEUED: "queued",
    LineStage.RENDERING: "running",
    LineStage.RENDERED: "running",
    LineStage.VECTORIZED: "running",
    LineStage.ATTRIBUTED: "running",
    **{stage: "done" for stage in FILES_DELIVERED_STAGES},
    LineStage.FAILED: "failed",
}


class ProofTilesOut(serializers.Serializer):
    url = serializers.CharField(help_text="a tile's URL once {col} and {row} are filled in")
    tile_px = serializers.IntegerField()
    columns = serializers.IntegerField()
    rows = serializers.IntegerField()
    sheet_w = serializers.IntegerField()
    sheet_h = serializers.IntegerField()


class OrderLineOut(serializers.ModelSerializer):
    product = serializers.CharField(source="product_size.product.slug")
    size = serializers.CharField(source="product_size.slug")
    licence_version = serializers.IntegerField(
        source="licence_version.version", allow_null=True, default=None
    )
    licence_url = serializers.SerializerMethodField()
    files = serializers.SerializerMethodField()
    provenance_record = serializers.SerializerMethodField()
    progress = serializers.IntegerField(source="render_progress", read_only=True)
    # Kept for clients of the first API: the stage, in the old four words.
    render_status = serializers.SerializerMethodField()
    render_error = serializers.CharField(source="failure_reason", read_only=True)
    proof_url = serializers.SerializerMethodField()
    proof_tiles = serializers.SerializerMethodField()
    rerenders_left = serializers.SerializerMethodField()
    seed = serializers.IntegerField(read_only=True)
    swatch_of = serializers.IntegerField(
        source="swatch_of_id",
        read_only=True,
        allow_null=True,
        help_text="For a swatch: the line whose approved proof it is cut from.",
    )

    def _proof_allowed(self, line: OrderLine) -> bool:
        request = self.context.get("request")
        user = request.user if request is not None else AnonymousUser()
        return order_line_proof_access(line=line, user=user)[0] == OutputAccess.ALLOWED

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_proof_url(self, line: OrderLine) -> str | None:
        """The proof of a physical line, once it is ready (it stays for the buyer after approval):
        the whole print sheet reduced and marked PROOF. The sheet itself goes to the print shop."""
        if not self._proof_allowed(line):
            return None
        return absolute_url(
            self.context.get("request"), reverse("order-line-proof", args=[line.order_id, line.pk])
        )

    @extend_schema_field(ProofTilesOut(allow_null=True))
    def get_proof_tiles(self, line: OrderLine) -> dict[str, Any] | None:
        """The proof at print resolution, as a grid of tiles marked PROOF: replace {col} and {row}."""
        if not self._proof_allowed(line):
            return None
        sheet_w, sheet_h = proof_sheet_size(line.render_info)
        columns, rows = proof_grid(sheet_w, sheet_h)
        first = absolute_url(
            self.context.get("request"), reverse("order-line-proof-tile", args=[line.order_id, line.pk, 0, 0])
        )
        return {
            "url": first[: first.rindex("/0/0/")] + "/{col}/{row}/",
            "tile_px": PROOF_TILE_PX,
            "columns": columns,
            "rows": rows,
            "sheet_w": sheet_w,
            "sheet_h": sheet_h,
        }

    def get_rerenders_left(self, line: OrderLine) -> int:
        return max(0, MAX_BUYER_RERENDERS - line.rerenders_used) if line.stage == LineStage.PROOF_READY else 0

    def get_licence_url(self, line: OrderLine) -> str | None:
        """The exact licence version the line was sold under, as a person reads it."""
        licence = line.licence_version
        if licence is None:
            return None
        return absolute_url(
            self.context.get("request"), reverse("frontend:licence", args=[licence.style_id, licence.version])
        )

    def get_render_status(self, line: OrderLine) -> str:
        return LEGACY_RENDER_STATUS.get(line.stage, "")

    def get_files(self, line: OrderLine) -> dict[str, str | None]:
        """Download links, present once the line's files may be downloaded (the entitlement rule)."""
        request = self.context.get("request")
        user = request.user if request is not None else AnonymousUser()
        allowed = order_line_output_access(line=line, user=user)[0] == OutputAccess.ALLOWED
        return {
            kind: absolute_url(request, reverse("order-line-file", args=[line.order_id, line.pk, kind]))
            if allowed and getattr(line, kind)
            else None
            for kind in OUTPUT_FILE_KINDS
        }

    def get_provenance_record(self, line: OrderLine) -> dict[str, str] | None:
        record = getattr(line, "attribution_record", None)
        if record is None:
            return None
        return {"record_id": record.record_id, "status": record.status, "revoked": record.revoked}

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "personalization",
            "product",
            "size",
            "quantity",
            "unit_price",
            "line_total",
            "licence_use",
            "licence_version",
            "licence_url",
            "style_fee",
            "artist_royalty_percent",
            "designer_royalty_percent",
            "stage",
            "progress",
            "failure_reason",
            "render_status",
            "render_progress",
            "render_error",
            "files",
            "provenance_record",
            "shipping_amount",
            "seed",
            "proof_url",
            "proof_tiles",
            "swatch_of",
            "rerenders_left",
            "approved_at",
            "auto_approved",
        ]


class OrderLineFileView(APIView):
    """A digital line's print PNG, print sheet or SVG, for the order's buyer (a physical line's buyer
    views its proof instead: `OrderLineProofView`)."""

    permission_classes = [IsAuthenticated]
    names = OUTPUT_FILE_NAMES

    @extend_schema(
        responses={
            **file_responses("image/png", "image/svg+xml"),
            403: OpenApiResponse(
                OutputRefusedOut,
                description="A physical line: its buyer views the proof, the print shop gets the files.",
            ),
            409: OpenApiResponse(OutputRefusedOut, description="The line's files are not ready yet."),
            410: OpenApiResponse(
                OutputRefusedOut, description="The order was refunded or cancelled, or the line failed."
            ),
        }
    )
    def get(self, request: Request, pk: int, line_pk: int, kind: str) -> HttpResponseBase:
        if kind not in self.names:
            raise Http404("No such file.")
        line = get_object_or_404(OrderLine.objects.select_related("order"), pk=line_pk, order_id=pk)
        access, reason = selectors.order_line_output_access(line=line, user=request_user(request))
        if access == selectors.OutputAccess.NOT_FOUND:
            raise Http404("No such file.")
        if access != selectors.OutputAccess.ALLOWED:
            return Response({"detail": reason, "stage": line.stage}, status=access.http_status)
        return private_file_response(
            request, getattr(line, kind), filename=f"motif-order{pk}-line{line_pk}-{self.names[kind]}"
        )


def _proof_response(request: Request, pk: int, line_pk: int, make: Any) -> HttpResponseBase:
    line = get_object_or_404(
        OrderLine.objects.select_related("order", "product_size__product"), pk=line_pk, order_id=pk
    )
    access, reason = selectors.order_line_proof_access(line=line, user=request_user(request))
    if access == selectors.OutputAccess.NOT_FOUND:
        raise Http404("No such proof.")
    if access != selectors.OutputAccess.ALLOWED:
        return Response({"detail": reason, "stage": line.stage}, status=access.http_status)
    with line.print_sheet.open("rb") as fh:
        image = make(fh.read())
    if image is None:
        raise Http404("No such tile.")
    response = HttpResponse(image, content_type="image/png")
    response["Cache-Control"] = PRIVATE
    return response


PROOF_RESPONSES = {
    (200, "image/png"): OpenApiTypes.BINARY,
    409: OpenApiResponse(OutputRefusedOut, description="The proof is not ready yet."),
    410: OpenApiResponse(
        OutputRefusedOut, description="The order was refunded or cancelled, or the line failed."
    ),
}


class OrderLineProofView(APIView):
    """A physical line's proof: the whole print sheet, reduced and marked PROOF, for its buyer."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PROOF_RESPONSES)
    def get(self, request: Request, pk: int, line_pk: int) -> HttpResponseBase:
        return _proof_response(request, pk, line_pk, proof_preview_png)


class OrderLineProofTileView(APIView):
    """One full-resolution tile of a physical line's proof, marked PROOF: the proof viewer's zoom."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=PROOF_RESPONSES)
    def get(self, request: Request, pk: int, line_pk: int, col: int, row: int) -> HttpResponseBase:
        return _proof_response(request, pk, line_pk, lambda sheet: proof_tile_png(sheet, col=col, row=row))
