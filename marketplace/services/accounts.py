from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

from marketplace.models import Role, User


def user_register(*, username: str, password: str, email: str, roles: Iterable[str]) -> User:
    roles = set(roles)
    unknown = roles - set(Role.values)
    if unknown:
        raise ValidationError({"roles": f"Unknown roles: {', '.join(sorted(unknown))}."})
    if not roles:
        raise ValidationError({"roles": "Choose at least one role."})
    user = User(username=username, email=email, **{f"is_{role}": True for role in roles})
    password_validation.validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.full_clean(exclude=["password"])
            user.save()
    except IntegrityError:
        raise ValidationError({"username": "That username is taken."}) from None
    return user


def user_token(*, user: User) -> str:
    token, _ = Token.objects.get_or_create(user=user)
    return token.key
