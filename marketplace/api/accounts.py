"""Accounts: register, sign in for a token, and who am I."""

from __future__ import annotations

from django.contrib.auth import authenticate
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.api.base import StrictInput
from marketplace.api.throttles import LoginRateThrottle, LoginUsernameRateThrottle, RegisterRateThrottle
from marketplace.models import SELF_CHOSEN_ROLES
from marketplace.services.accounts import GRANTED_ROLE_REFUSAL, USERNAME_RULE, user_register, user_token


class RegisterInput(StrictInput):
    username = serializers.CharField(min_length=3, max_length=150, help_text=USERNAME_RULE)
    password = serializers.CharField(write_only=True, max_length=128)
    email = serializers.EmailField(max_length=254)
    roles = serializers.ListField(
        child=serializers.ChoiceField(
            choices=[(role.value, role.label) for role in SELF_CHOSEN_ROLES],
            error_messages={"invalid_choice": GRANTED_ROLE_REFUSAL.format(roles='"{input}"')},
        ),
        min_length=1,
        max_length=len(SELF_CHOSEN_ROLES),
        help_text="any of buyer, artist, designer, verifier; staff grant the printer role to approved print shops",
    )


class TokenInput(StrictInput):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128)


class TokenOut(serializers.Serializer):
    token = serializers.CharField()


class RegisterOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    public_id = serializers.UUIDField()
    roles = serializers.ListField(child=serializers.CharField())
    token = serializers.CharField()


class UserOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    public_id = serializers.UUIDField()
    roles = serializers.ListField(child=serializers.CharField())


class PersonOut(serializers.Serializer):
    public_id = serializers.UUIDField()
    username = serializers.CharField()


class RegisterView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [RegisterRateThrottle]

    @extend_schema(request=RegisterInput, responses={201: RegisterOut})
    def post(self, request: Request) -> Response:
        data = RegisterInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_register(**data.validated_data)
        body = dict(UserOut(user).data, token=user_token(user=user))
        return Response(body, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [LoginRateThrottle, LoginUsernameRateThrottle]

    @extend_schema(request=TokenInput, responses={200: TokenOut})
    def post(self, request: Request) -> Response:
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request, **data.validated_data)
        if user is None:
            return Response({"detail": "Wrong username or password."}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"token": user_token(user=user)})


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=UserOut)
    def get(self, request: Request) -> Response:
        return Response(UserOut(request.user).data)
