from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

from marketplace.models import SELF_CHOSEN_ROLES, Role, User

# After NFKC: ASCII letters, digits and . @ + - _ only, so no two names look alike (no homoglyphs).
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9.@+_-]{3,150}$")
USERNAME_RULE = "3 to 150 characters: letters A–Z, digits and . @ + - _ only."
GRANTED_ROLE_REFUSAL = (
    "The {roles} role is granted by staff, not chosen at sign-up: sign up as a buyer, then apply as a print "
    "shop (POST /api/v1/print-shops/apply/ or /print-shops/apply/)."
)


def username_normalize(username: str) -> str:
    """The stored form of a username: NFKC (full-width "Ａｄａ" becomes "Ada"), and ASCII only.
    Uniqueness ignores case (a database constraint on LOWER(username))."""
    name = unicodedata.normalize("NFKC", username).strip()
    if not USERNAME_PATTERN.fullmatch(name):
        raise ValidationError({"username": f"Choose another username: {USERNAME_RULE}"})
    return name


def user_register(*, username: str, password: str, email: str, roles: Iterable[str]) -> User:
    username = username_normalize(username)
    roles = set(roles)
    unknown = roles - set(Role.values)
    if unknown:
        raise ValidationError({"roles": f"Unknown roles: {', '.join(sorted(unknown))}."})
    granted = roles - set(SELF_CHOSEN_ROLES)
    if granted:
        # A print shop sees buyers' addresses and ships their orders: staff grant that role.
        raise ValidationError({"roles": GRANTED_ROLE_REFUSAL.format(roles=", ".join(sorted(granted)))})
    if not roles:
        raise ValidationError({"roles": "Choose at least one role."})
    user = User(username=username, email=email, **{f"is_{role}": True for role in roles})
    password_validation.validate_password(password, user)
    user.set_password(password)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": "A user with that username already exists."})
    try:
        with transaction.atomic():
            user.full_clean(exclude=["password"], validate_constraints=False)
            user.save()
    except IntegrityError:
        raise ValidationError({"username": "That username is taken."}) from None
    return user


def user_token(*, user: User) -> str:
    token, _ = Token.objects.get_or_create(user=user)
    return token.key
