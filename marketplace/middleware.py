"""The origin of the request being served, for the absolute links that services build (checkout and
onboarding return links). Links follow the address the visitor used, so a server on another address
(`make run ADDR=…`, a test server, a second host name) hands out links to itself; SITE_URL is only
the fallback outside a request (workers, commands). The host is one ALLOWED_HOSTS already admitted."""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

request_origin: ContextVar[str | None] = ContextVar("request_origin", default=None)


class RequestOriginMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request_origin.set(f"{request.scheme}://{request.get_host()}")
        try:
            return self.get_response(request)
        finally:
            request_origin.reset(token)
