"""Which gateway takes payments, and the one place the Stripe SDK client is built.

`stripe` when STRIPE_SECRET_KEY is set; otherwise the `local` test gateway, which is refused when
DEBUG is off so a misconfigured production site can never "sell" through a test page."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import stripe
from django.conf import settings

from marketplace.payments.models import Gateway

# The SDK retries network failures and 5xx itself; every POST carries our idempotency key, so a
# retried request can never create a second object.
STRIPE_NETWORK_RETRIES = 2


class GatewayUnavailable(Exception):
    """No usable payment gateway in this configuration (503)."""


def payment_gateway() -> Gateway:
    if settings.STRIPE_SECRET_KEY:
        return Gateway.STRIPE
    if not settings.DEBUG:
        raise GatewayUnavailable(
            "Payments are not configured: the local test gateway is refused when DEBUG is off. "
            "Set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET."
        )
    return Gateway.LOCAL


def local_gateway_allowed() -> bool:
    return bool(settings.DEBUG)


@lru_cache(maxsize=4)
def _client(api_key: str, api_base: str, connect_base: str) -> stripe.StripeClient:
    base_addresses: dict[str, str] = {}
    if api_base:
        base_addresses["api"] = api_base
        base_addresses["files"] = api_base
    if connect_base or api_base:
        base_addresses["connect"] = connect_base or api_base
    return stripe.StripeClient(
        api_key,
        base_addresses=base_addresses,  # type: ignore[arg-type]
        max_network_retries=STRIPE_NETWORK_RETRIES,
    )


def stripe_client() -> stripe.StripeClient:
    """The SDK client for the configured key and (for stripe-mock or the test fake) base addresses."""
    if not settings.STRIPE_SECRET_KEY:
        raise GatewayUnavailable("Stripe is not configured: set STRIPE_SECRET_KEY.")
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE, settings.STRIPE_CONNECT_BASE)


def site_url(path: str) -> str:
    """An absolute link to this site: on the request's own origin while serving one, else SITE_URL."""
    from marketplace.middleware import request_origin

    return (request_origin.get() or settings.SITE_URL).rstrip("/") + path


def stripe_dict(obj: Any) -> dict[str, Any]:
    """A Stripe SDK object (or an already plain dict) as a plain, nested dict."""
    return dict(obj.to_dict()) if hasattr(obj, "to_dict") else dict(obj)


def stripe_metadata(obj: Any) -> dict[str, str]:
    """A Stripe object's metadata as a plain dict (absent or null reads as empty)."""
    raw = getattr(obj, "metadata", None) or {}
    if hasattr(raw, "to_dict"):  # the SDK's objects are not dicts
        raw = raw.to_dict()
    return {str(key): str(value) for key, value in raw.items()}
