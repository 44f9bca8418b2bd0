"""What guards a page: the studios' role check, and the 403 page it answers with."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse

from marketplace.models import Role


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return render(request, "frontend/forbidden.html", {"message": message}, status=403)


def role_required(role: Role) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """`login_required`, then the studio's role: anyone signed in without it gets the studio's 403 page."""

    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        @login_required
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.has_role(role):  # type: ignore[union-attr]
                if role == Role.PRINTER:
                    return forbidden(
                        request,
                        "The production studio is for print shops that staff have approved: "
                        f"apply at {reverse('frontend:print-shop-apply')}.",
                    )
                return forbidden(
                    request,
                    f"The {role.label.lower()} studio is for people with the {role.label.lower()} role.",
                )
            return view(request, *args, **kwargs)

        return guarded

    return decorate
