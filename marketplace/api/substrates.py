"""Substrates and their ICC profiles, and a personalization's soft proof on one of them."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace import selectors
from marketplace.api.personalizations import own_personalization
from marketplace.models import Substrate
from marketplace.services.colour import PRINTED_SUBSTRATES, personalization_soft_proof


class ProfileOut(serializers.Serializer):
    name = serializers.CharField()
    sha256 = serializers.CharField()


class SubstrateOut(serializers.Serializer):
    substrate = serializers.CharField()
    name = serializers.CharField()
    profile = ProfileOut()


class SubstrateListView(APIView):
    """Each printed substrate and the ICC output profile its proofs and print files are made with."""

    permission_classes = [AllowAny]

    @extend_schema(responses=SubstrateOut(many=True))
    def get(self, request: Request) -> Response:
        installed = {row.substrate: row for row in selectors.substrate_profile_list()}
        body = [
            {
                "substrate": substrate,
                "name": Substrate(substrate).label,
                "profile": {"name": installed[substrate].name, "sha256": installed[substrate].sha256},
            }
            for substrate in PRINTED_SUBSTRATES
            if substrate in installed
        ]
        return Response(SubstrateOut(body, many=True).data)


class SoftProofQuery(serializers.Serializer):
    substrate = serializers.CharField(max_length=50)
    gamut = serializers.BooleanField(required=False, default=False)


class PersonalizationSoftProofView(APIView):
    """The preview as it prints on a substrate: a PNG, with its out-of-gamut share and worst ΔE2000
    in headers. `gamut=true` paints the colours the printer cannot reach magenta."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "substrate",
                str,
                required=True,
                description="A substrate (fabric, wallpaper, gift_wrap) or a product's slug.",
            ),
            OpenApiParameter("gamut", bool, required=False),
        ],
        responses={
            (200, "image/png"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="X-Out-Of-Gamut: the share of pixels out of gamut (0-1); "
                "X-Max-Delta-E: the worst ΔE2000.",
            )
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        personalization = own_personalization(request, pk)
        query = SoftProofQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        proof = personalization_soft_proof(
            personalization=personalization, substrate=query.validated_data["substrate"]
        )
        render = proof.render
        image = render.gamut_warning_image if query.validated_data["gamut"] else render.image
        with image.open("rb") as fh:
            response = HttpResponse(fh.read(), content_type="image/png")
        response["X-Out-Of-Gamut"] = f"{render.out_of_gamut_fraction:.4f}"
        response["X-Max-Delta-E"] = f"{render.max_delta_e:.2f}"
        response["X-Substrate"] = proof.substrate
        response["X-ICC-Profile"] = " ".join(proof.profile_name.split())
        response["Cache-Control"] = "private, max-age=3600"
        return response
