"""Rate limits for sign-in, token and registration requests, shared by the API and the pages.

DRF's throttles key on the client address (`get_ident`, which honours REST_FRAMEWORK's NUM_PROXIES,
so a forged X-Forwarded-For is never the key). Sign-in is limited twice: per address, and per
username across all addresses, so neither one address trying many names nor many addresses trying
one name gets more than a handful of guesses a minute."""

from __future__ import annotations

import unicodedata
from typing import Any

from django.http import HttpRequest
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

TOO_MANY = "Too many attempts; please wait a minute and try again."


class LoginRateThrottle(SimpleRateThrottle):
    scope = "login"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def username_key(username: object) -> str:
    return unicodedata.normalize("NFKC", str(username or "")).casefold()[:150]


def _submitted_username(request: Request) -> object:
    django_request = request._request
    if django_request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return django_request.POST.get("username")
    data: Any = request.data
    return data.get("username") if hasattr(data, "get") else None


class LoginUsernameRateThrottle(SimpleRateThrottle):
    scope = "login_username"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        name = username_key(_submitted_username(request))
        return self.cache_format % {"scope": self.scope, "ident": name} if name else None


class RegisterRateThrottle(LoginRateThrottle):
    scope = "register"


class _PageView:
    """What a throttle needs of a view, for pages that are not DRF views."""


class _PageUser(BaseAuthentication):
    """The user Django's middleware found for the page. A DRF Request with no authenticator decides
    the user is anonymous and writes that back onto the Django request (Request.user's setter), so
    a page that only wanted a throttle would render its signed-in visitor as signed out."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        user = getattr(request._request, "user", None)
        return (user, None) if user is not None and user.is_authenticated else None


def page_request(request: HttpRequest) -> Request:
    """A DRF Request over a plain Django view's request, for its throttles, that leaves the page's
    user as it is."""
    return Request(request, authenticators=[_PageUser()])


def page_throttled(request: HttpRequest, *throttles: type[SimpleRateThrottle]) -> float | None:
    """For a plain Django view: None when the request may go on, else the seconds to wait. Every
    throttle counts the request, as DRF does for an APIView."""
    drf_request = page_request(request)
    waits = []
    for throttle_class in throttles:
        throttle = throttle_class()
        if not throttle.allow_request(drf_request, _PageView()):  # type: ignore[arg-type]
            waits.append(throttle.wait() or 60.0)
    return max(waits) if waits else None
