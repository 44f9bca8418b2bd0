"""A stateful fake of the Stripe v1 API, served over HTTP on loopback.

Why a real HTTP server rather than mocking the SDK: the product talks to Stripe
through the real ``stripe`` SDK, so the fake must exercise the SDK's own request
encoding, header handling, error mapping and response hydration. Pointing a real
``stripe.StripeClient`` at this server tests all of that, offline.

Scope: Checkout (payment mode) + Connect with separate charges and transfers.

Usage::

    with FakeStripe.start() as fake:
        client = fake.client()          # or stripe.StripeClient(key, base_addresses=...)
        session = client.v1.checkout.sessions.create(params={...})
        event = fake.complete_checkout(session.id)

Response bodies are built from Stripe's published fixtures
(``stripe_fixtures/fixtures3.json``, MIT, see LICENSE there): the fixture object of
the resource is deep-copied and its fields overwritten from the request, so the
responses carry every field the SDK and product code may read.

Deliberate simplifications (documented so tests don't rely on them by accident):

* All objects live in one global store; ``Stripe-Account`` is recorded and scopes
  idempotency keys, but does not partition objects.
* Funds are available immediately (no pending balance, no payout schedule).
* Card fees follow US standard pricing (2.9% + 30c) on the charge's balance
  transaction; refunds, transfers and reversals carry no fee.
* Only 2xx responses are remembered for idempotent replay. Stripe does not save
  results of requests that fail validation, and every 4xx this fake returns is a
  validation failure, so a retry after fixing the cause is allowed, like Stripe.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import html
import json
import re
import secrets
import string
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import stripe
from stripe._base_address import BaseAddresses  # TypedDict the SDK's constructor expects

__all__ = [
    "FakeStripe",
    "FakeStripeError",
    "RecordedRequest",
    "decode_form",
    "load_fixture",
    "sign_payload",
]

FIXTURES_PATH = Path(__file__).parent / "stripe_fixtures" / "fixtures3.json"

JSON = dict[str, Any]

# Stripe's US standard card pricing; used for the charge's balance transaction so
# that fee/net arithmetic in product code is exercised with non-trivial numbers.
CARD_FEE_BPS = 290
CARD_FEE_FIXED = 30

# How long Stripe keeps objects in these states (seconds).
CHECKOUT_SESSION_TTL = 24 * 3600
ACCOUNT_LINK_TTL = 300

_ID_ALPHABET = string.ascii_letters + string.digits
_COUNTRY_CURRENCY = {"US": "usd", "GB": "gbp", "CA": "cad", "AU": "aud", "JP": "jpy", "CH": "chf"}
_EUROZONE = {
    "AT",
    "BE",
    "CY",
    "DE",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PT",
    "SI",
    "SK",
}


# --------------------------------------------------------------------------- fixtures


@cache
def _fixture_resources() -> Mapping[str, JSON]:
    with FIXTURES_PATH.open(encoding="utf-8") as fh:
        return json.load(fh)["resources"]  # type: ignore[no-any-return]


def load_fixture(resource: str) -> JSON:
    """A fresh deep copy of the published example object for ``resource``."""
    return copy.deepcopy(_fixture_resources()[resource])


# ----------------------------------------------------------------------- form decoding

_KEY_RE = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def decode_form(pairs: str | list[tuple[str, str]]) -> JSON:
    """Decode Stripe's nested bracket form encoding into dicts and lists.

    ``a[b][0][c]=x&tags[]=y`` -> ``{"a": {"b": [{"c": "x"}]}, "tags": ["y"]}``.
    The SDK always indexes arrays (``expand[0]``); ``[]`` (append) is accepted too,
    because that is how hand-written requests and Stripe's own docs spell it.
    Values stay strings, as on the wire; handlers coerce the fields they read.
    """
    if isinstance(pairs, str):
        pairs = parse_qsl(pairs, keep_blank_values=True)
    root: JSON = {}
    for raw_key, value in pairs:
        m = _KEY_RE.match(raw_key)
        if not m:
            raise FakeStripeError(400, f"Invalid parameter name: {raw_key}", param=raw_key)
        parts = [m.group(1), *re.findall(r"\[([^\[\]]*)\]", m.group(2))]
        node = root
        for i, part in enumerate(parts):
            if part == "":
                # ``[]`` appends: give it the next free index of this container.
                part = str(len(node))
            last = i == len(parts) - 1
            if last:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    raise FakeStripeError(400, f"Invalid parameter structure at {raw_key}", param=raw_key)
                node = child
    return _listify(root)


def _listify(node: Any) -> Any:
    """Turn dicts keyed exactly ``"0".."n-1"`` into lists, recursively."""
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        indices = sorted(int(k) for k in converted)
        if indices == list(range(len(indices))):
            return [converted[str(i)] for i in indices]
    return converted


# ------------------------------------------------------------------------------ errors


class FakeStripeError(Exception):
    """A Stripe API error; rendered as Stripe's error JSON with ``status``.

    Raised by domain operations. Over HTTP the SDK turns it into its real exception
    (400/404 -> InvalidRequestError, 401 -> AuthenticationError, ...); from the
    test-control methods it propagates as is.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param

    def body(self) -> JSON:
        error: JSON = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        return {"error": error}


# The address a customer enters on the hosted Checkout page when a test gives none.
FAKE_SHIPPING_DETAILS: JSON = {
    "name": "Jenny Rosen",
    "address": {
        "line1": "510 Townsend St",
        "line2": None,
        "city": "San Francisco",
        "state": "CA",
        "postal_code": "94103",
        "country": "US",
    },
}


def _missing(param: str) -> FakeStripeError:
    return FakeStripeError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)


def _no_such(kind: str, obj_id: str, *, param: str | None = None) -> FakeStripeError:
    # Stripe answers 404 for an unknown id in the URL, 400 for one in the params.
    status = 400 if param else 404
    return FakeStripeError(
        status, f"No such {kind}: '{obj_id}'", code="resource_missing", param=param or "id"
    )


# ------------------------------------------------------------------------ request log


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it (after decoding) and how it answered."""

    method: str
    path: str
    params: JSON
    headers: Mapping[str, str]
    status: int
    response: JSON | None
    replayed: bool = False

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")

    @property
    def stripe_account(self) -> str | None:
        return self.headers.get("stripe-account")

    @property
    def api_key(self) -> str | None:
        auth = self.headers.get("authorization", "")
        return auth[len("Bearer ") :] if auth.startswith("Bearer ") else None


@dataclass
class _Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of_json(cls, status: int, payload: JSON, headers: dict[str, str] | None = None) -> _Response:
        return cls(status, json.dumps(payload, indent=2).encode(), headers=headers or {})


# -------------------------------------------------------------- param coercion helpers


def _new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def _int(params: JSON, name: str, *, required: bool = False, minimum: int | None = None) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise _missing(name)
        return None
    try:
        value = int(str(raw))
    except ValueError:
        raise FakeStripeError(400, f"Invalid integer: {raw}", param=name) from None
    if minimum is not None and value < minimum:
        raise FakeStripeError(400, f"This value must be greater than or equal to {minimum}.", param=name)
    return value


def _str(
    params: JSON, name: str, *, required: bool = False, choices: tuple[str, ...] | None = None
) -> str | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise _missing(name)
        return None
    if not isinstance(raw, str):
        raise FakeStripeError(400, f"Invalid string: {name} must be a string", param=name)
    if choices is not None and raw not in choices:
        raise FakeStripeError(400, f"Invalid {name}: must be one of {', '.join(choices)}", param=name)
    return raw


def _shipping(raw: Any, *, param: str) -> JSON | None:
    """A PaymentIntent's `shipping` as Stripe takes it: a name and an address with at least line1."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("address"), dict):
        raise FakeStripeError(400, "Invalid object", param=param)
    if not _str(raw, "name"):
        raise _missing(f"{param}[name]")
    address = raw["address"]
    if not _str(address, "line1"):
        raise _missing(f"{param}[address][line1]")
    parts = ("line1", "line2", "city", "state", "postal_code", "country")
    return {
        "name": raw["name"],
        "address": {part: address.get(part) for part in parts},
        "carrier": None,
        "phone": None,
        "tracking_number": None,
    }


def _metadata(params: JSON, name: str = "metadata", current: JSON | None = None) -> JSON:
    """Apply Stripe's metadata rules: <=50 keys, key <=40 chars, value <=500; "" unsets."""
    result = dict(current or {})
    raw = params.get(name)
    if raw is None:
        return result
    if raw == "":
        return {}
    if not isinstance(raw, dict):
        raise FakeStripeError(400, "Invalid object", param=name)
    for key, value in raw.items():
        if not isinstance(value, str):
            raise FakeStripeError(400, "Metadata values must be strings.", param=f"{name}[{key}]")
        if len(key) > 40:
            raise FakeStripeError(400, "Metadata keys can have up to 40 characters.", param=f"{name}[{key}]")
        if len(value) > 500:
            raise FakeStripeError(
                400, "Metadata values can have up to 500 characters.", param=f"{name}[{key}]"
            )
        if value == "":
            result.pop(key, None)
        else:
            result[key] = value
    if len(result) > 50:
        raise FakeStripeError(400, "Metadata can have up to 50 keys.", param=name)
    return result


def _expand_list(params: JSON) -> list[str]:
    raw = params.get("expand", [])
    return [raw] if isinstance(raw, str) else list(raw)


def _allowed_params(class_name: str, module: Any = None) -> frozenset[str] | None:
    """Top-level params Stripe accepts on an endpoint, taken from the SDK's own
    typed params; lets the fake answer "Received unknown parameter" like Stripe."""
    params_cls = getattr(module or stripe.params, class_name, None)
    if params_cls is None:
        return None
    request_options = {
        "api_key",
        "content_type",
        "headers",
        "idempotency_key",
        "max_network_retries",
        "stripe_account",
        "stripe_context",
        "stripe_version",
    }
    return frozenset(params_cls.__annotations__) - request_options


# ------------------------------------------------------------------------------- fake


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: str
    allowed: frozenset[str] | None


def _route(method: str, path: str, handler: str, params_class: str, module: Any = None) -> _Route:
    regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"
    return _Route(method, re.compile(regex), handler, _allowed_params(params_class, module))


class FakeStripe:
    """The fake Stripe: an HTTP server plus the state behind it and test controls."""

    PLATFORM_ACCOUNT_ID = "acct_fakeplatform000000"

    ROUTES: tuple[_Route, ...] = (
        _route(
            "POST",
            "/v1/checkout/sessions",
            "_h_create_session",
            "SessionCreateParams",
            stripe.params.checkout,
        ),
        _route(
            "GET",
            "/v1/checkout/sessions/{id}",
            "_h_get_session",
            "SessionRetrieveParams",
            stripe.params.checkout,
        ),
        _route(
            "GET",
            "/v1/checkout/sessions/{id}/line_items",
            "_h_list_line_items",
            "SessionLineItemListParams",
            stripe.params.checkout,
        ),
        _route(
            "POST",
            "/v1/checkout/sessions/{id}/expire",
            "_h_expire_session",
            "SessionExpireParams",
            stripe.params.checkout,
        ),
        _route("GET", "/v1/payment_intents/{id}", "_h_get_object", "PaymentIntentRetrieveParams"),
        _route("GET", "/v1/charges/{id}", "_h_get_object", "ChargeRetrieveParams"),
        _route("POST", "/v1/refunds", "_h_create_refund", "RefundCreateParams"),
        _route("GET", "/v1/refunds/{id}", "_h_get_object", "RefundRetrieveParams"),
        _route("POST", "/v1/accounts", "_h_create_account", "AccountCreateParams"),
        _route("GET", "/v1/accounts/{id}", "_h_get_object", "AccountRetrieveParams"),
        _route("POST", "/v1/account_links", "_h_create_account_link", "AccountLinkCreateParams"),
        _route("POST", "/v1/transfers", "_h_create_transfer", "TransferCreateParams"),
        _route("GET", "/v1/transfers", "_h_list_transfers", "TransferListParams"),
        _route("GET", "/v1/transfers/{id}", "_h_get_object", "TransferRetrieveParams"),
        _route("POST", "/v1/transfers/{id}/reversals", "_h_create_reversal", "TransferReversalCreateParams"),
        _route("GET", "/v1/transfers/{id}/reversals", "_h_list_reversals", "TransferReversalListParams"),
        _route("GET", "/v1/events/{id}", "_h_get_object", "EventRetrieveParams"),
        _route("GET", "/v1/events", "_h_list_events", "EventListParams"),
        _route("GET", "/v1/balance", "_h_get_balance", "BalanceRetrieveParams"),
    )

    # Which object types a GET /v1/<collection>/{id} may return, and how Stripe names
    # them in "No such ..." messages.
    _COLLECTION_TYPES: Mapping[str, tuple[str, str]] = {
        "payment_intents": ("payment_intent", "payment_intent"),
        "charges": ("charge", "charge"),
        "refunds": ("refund", "refund"),
        "accounts": ("account", "account"),
        "transfers": ("transfer", "transfer"),
        "events": ("event", "event"),
    }

    def __init__(self, *, api_key: str | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        """``api_key``: if given, only that key is accepted; otherwise any ``sk_test_``/
        ``rk_test_`` key is (test-mode keys only, so a live key can never leak in)."""
        self.api_key = api_key
        self._lock = threading.RLock()  # one lock: requests and test controls are serialised
        self._objects: dict[str, JSON] = {}  # id -> canonical object (expandable fields hold ids)
        self._line_items: dict[str, list[JSON]] = {}  # checkout session id -> line items
        self._pi_data: dict[str, JSON] = {}  # checkout session id -> payment_intent_data params
        self._prices: dict[str, JSON] = {}
        self._links: dict[str, JSON] = {}  # account link token -> link + account/return urls
        self._balances: dict[tuple[str, str], int] = {}  # (account, currency) -> amount
        self._idempotency: dict[tuple[str, str, str], tuple[str, _Response]] = {}
        self.events: list[JSON] = []
        self.requests: list[RecordedRequest] = []
        self.errors: list[BaseException] = []  # unexpected exceptions inside the fake (bugs)
        self._outages: list[list[Any]] = []  # [path prefix, requests left, status]: injected 5xx
        self._current_request: JSON | None = None  # event.request of events made by a request
        self._current_account: str | None = None  # Stripe-Account of the request being handled
        self._host = host
        self._server = ThreadingHTTPServer((host, port), _RequestHandler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None

    # ----------------------------------------------------------------- lifecycle

    @classmethod
    def start(cls, **kwargs: Any) -> FakeStripe:
        """Construct and serve in a background thread; pair with :meth:`stop`."""
        fake = cls(**kwargs)
        fake._serve()
        return fake

    def _serve(self) -> None:
        if self._thread is None:
            # Short poll interval: stop() waits for it, and tests start many servers.
            self._thread = threading.Thread(
                target=self._server.serve_forever, args=(0.05,), name="fake-stripe", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeStripe:
        self._serve()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._server.server_port}"

    @property
    def base_addresses(self) -> BaseAddresses:
        """For ``stripe.StripeClient(key, base_addresses=...)``: every host is this server."""
        return {"api": self.url, "connect": self.url, "files": self.url}

    def client(self, api_key: str = "sk_test_fake", **kwargs: Any) -> stripe.StripeClient:
        """A real SDK client pointed at this server (no retries, so failures are visible)."""
        kwargs.setdefault("max_network_retries", 0)
        return stripe.StripeClient(api_key, base_addresses=self.base_addresses, **kwargs)

    # ----------------------------------------------------------------- inspection

    def get(self, obj_id: str) -> JSON:
        """A copy of the current state of any object the fake holds."""
        with self._lock:
            return copy.deepcopy(self._require(obj_id))

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def events_of_type(self, event_type: str) -> list[JSON]:
        with self._lock:
            return [copy.deepcopy(e) for e in self.events if e["type"] == event_type]

    def transfers_for(self, group: str) -> list[JSON]:
        """Transfers in ``transfer_group``, oldest first."""
        with self._lock:
            return [
                copy.deepcopy(o)
                for o in self._objects.values()
                if o["object"] == "transfer" and o["transfer_group"] == group
            ]

    def balance_of(self, account_id: str | None = None, currency: str = "usd") -> int:
        """Available balance in minor units; ``None`` means the platform account."""
        with self._lock:
            return self._balances.get((account_id or self.PLATFORM_ACCOUNT_ID, currency), 0)

    # ------------------------------------------------------------ test controls

    def add_price(
        self, unit_amount: int, currency: str = "usd", *, product_name: str = "Pattern licence"
    ) -> str:
        """Register a one-time Price so ``line_items[][price]=price_...`` works."""
        with self._lock:
            price = load_fixture("price")
            price.update(
                id=_new_id("price_"),
                unit_amount=unit_amount,
                unit_amount_decimal=str(unit_amount),
                currency=currency,
                type="one_time",
                recurring=None,
                created=int(time.time()),
                product=_new_id("prod_", 14),
                nickname=product_name,
                transform_quantity=None,
            )
            self._prices[price["id"]] = price
            return str(price["id"])

    def complete_checkout(
        self, session_id: str, *, paid: bool = True, shipping_details: JSON | None = None
    ) -> JSON:
        """The customer pays: creates PaymentIntent + Charge, completes the session.

        ``paid=False`` models a delayed payment method (e.g. bank debit): the session
        completes with ``payment_status="unpaid"`` and a processing PaymentIntent;
        finish it with :meth:`succeed_async_payment`.
        """
        with self._lock:
            session = self._require(session_id, "checkout.session")
            if session["status"] != "open":
                raise FakeStripeError(400, f"Checkout session {session_id} is {session['status']}, not open.")
            pi = self._payment_intent_for(session)
            charge = self._new_charge(pi, session, outcome="succeeded" if paid else "pending")
            pi.update(
                status="succeeded" if paid else "processing",
                latest_charge=charge["id"],
                amount_received=pi["amount"] if paid else 0,
                last_payment_error=None,
            )
            session.update(
                status="complete",
                payment_status="paid" if paid else "unpaid",
                payment_intent=pi["id"],
                customer_details=self._customer_details(session),
            )
            if session["shipping_address_collection"]:
                # What the customer typed on the hosted page (`shipping_details` stands in for it).
                details = shipping_details or FAKE_SHIPPING_DETAILS
                country = details["address"]["country"]
                if country not in session["shipping_address_collection"]["allowed_countries"]:
                    raise FakeStripeError(400, f"Checkout does not ship to {country} for this session.")
                session["collected_information"] = {"shipping_details": copy.deepcopy(details)}
            return self._emit("checkout.session.completed", session)

    def succeed_async_payment(self, session_id: str) -> JSON:
        """Settle a session completed with ``paid=False``."""
        with self._lock:
            session = self._require(session_id, "checkout.session")
            pi = self._require(session["payment_intent"] or "", "payment_intent")
            if pi["status"] != "processing":
                raise FakeStripeError(400, f"PaymentIntent {pi['id']} is {pi['status']}, not processing.")
            charge = self._require(pi["latest_charge"], "charge")
            self._settle_charge(charge)
            pi.update(status="succeeded", amount_received=pi["amount"])
            session["payment_status"] = "paid"
            return self._emit("checkout.session.async_payment_succeeded", session)

    def fail_payment(self, session_id: str) -> JSON:
        """A payment attempt is declined; the session stays open (customer may retry)."""
        with self._lock:
            session = self._require(session_id, "checkout.session")
            if session["status"] == "expired":
                raise FakeStripeError(400, f"Checkout session {session_id} is expired.")
            pi = self._payment_intent_for(session)
            charge = self._new_charge(pi, session, outcome="failed")
            pi.update(
                status="requires_payment_method",
                latest_charge=charge["id"],
                amount_received=0,
                last_payment_error={
                    "type": "card_error",
                    "code": "card_declined",
                    "decline_code": "generic_decline",
                    "message": "Your card was declined.",
                    "charge": charge["id"],
                    "doc_url": None,
                    "param": None,
                    "payment_method": None,
                },
            )
            session["payment_intent"] = pi["id"]
            return self._emit("payment_intent.payment_failed", pi)

    def expire_checkout(self, session_id: str) -> JSON:
        """The session times out (or is expired) -> ``checkout.session.expired``."""
        with self._lock:
            session = self._expire_session(session_id)
            return self._last_event_for(session["id"], "checkout.session.expired")

    def refund_charge(self, charge_id: str, amount: int | None = None) -> JSON:
        """Refund (from the Dashboard, say) -> ``charge.refunded``; creates the Refund."""
        with self._lock:
            self._create_refund(
                {"charge": charge_id, **({"amount": str(amount)} if amount is not None else {})}
            )
            return self._last_event_for(charge_id, "charge.refunded")

    def complete_onboarding(self, account_id: str) -> JSON:
        """The connected account finishes onboarding -> ``account.updated``."""
        with self._lock:
            account = self._require(account_id, "account")
            requirements = {
                **account["requirements"],
                "currently_due": [],
                "eventually_due": [],
                "past_due": [],
                "disabled_reason": None,
                "current_deadline": None,
            }
            capabilities = {name: "active" for name in (account["capabilities"] or {"transfers": "active"})}
            return self._update_account(
                account,
                charges_enabled=True,
                payouts_enabled=True,
                details_submitted=True,
                requirements=requirements,
                capabilities=capabilities,
            )

    def update_account(self, account_id: str, **changes: Any) -> JSON:
        """Change any account fields (e.g. ``payouts_enabled=False``) -> ``account.updated``."""
        with self._lock:
            return self._update_account(self._require(account_id, "account"), **changes)

    def reverse_transfer(self, transfer_id: str, amount: int | None = None) -> JSON:
        """Reverse (part of) a transfer -> ``transfer.reversed``."""
        with self._lock:
            params = {"amount": str(amount)} if amount is not None else {}
            self._create_reversal(transfer_id, params)
            return self._last_event_for(transfer_id, "transfer.reversed")

    # --------------------------------------------------------------- webhooks

    def webhook_payload(self, event: JSON, secret: str, timestamp: int | None = None) -> tuple[bytes, str]:
        """(body, Stripe-Signature header) for delivering ``event`` to a webhook view."""
        body = json.dumps(event, indent=2).encode()
        return body, sign_payload(body, secret, timestamp)

    def deliver_webhook(self, event: JSON, url: str, secret: str) -> tuple[int, bytes]:
        """POST ``event`` signed to ``url`` like Stripe does; returns (status, body)."""
        body, signature = self.webhook_payload(event, secret)
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": signature,
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    # ------------------------------------------------------------------- store

    def _put(self, obj: JSON) -> JSON:
        self._objects[obj["id"]] = obj
        return obj

    def _require(self, obj_id: str, object_type: str | None = None, *, param: str | None = None) -> JSON:
        obj = self._objects.get(obj_id)
        if obj is None or (object_type is not None and obj["object"] != object_type):
            raise _no_such((object_type or "object").replace("_", " ").replace(".", " "), obj_id, param=param)
        return obj

    def _credit(self, account_id: str, currency: str, amount: int) -> None:
        key = (account_id, currency)
        self._balances[key] = self._balances.get(key, 0) + amount

    def _balance_transaction(self, source: JSON, amount: int, txn_type: str, fee: int = 0) -> str:
        txn = load_fixture("balance_transaction")
        now = int(time.time())
        txn.update(
            id=_new_id("txn_"),
            amount=amount,
            currency=source["currency"],
            fee=fee,
            net=amount - fee,
            fee_details=[
                {
                    "amount": fee,
                    "application": None,
                    "currency": source["currency"],
                    "description": "Stripe processing fees",
                    "type": "stripe_fee",
                }
            ]
            if fee
            else [],
            type=txn_type,
            reporting_category=txn_type,
            source=source["id"],
            status="available",
            created=now,
            available_on=now,
            description=source.get("description"),
        )
        return str(self._put(txn)["id"])

    def _emit(self, event_type: str, obj: JSON, previous_attributes: JSON | None = None) -> JSON:
        """Snapshot ``obj`` into a v1 event (unexpanded, like Stripe's webhooks)."""
        event = load_fixture("event")
        event.update(
            id=_new_id("evt_"),
            type=event_type,
            created=int(time.time()),
            livemode=False,
            api_version=stripe.api_version,
            pending_webhooks=0,
            request=self._current_request or {"id": None, "idempotency_key": None},
            data={"object": copy.deepcopy(obj)},
        )
        if previous_attributes is not None:
            event["data"]["previous_attributes"] = previous_attributes
        if obj["object"] == "account":
            event["account"] = obj["id"]  # Connect events name the connected account
        self.events.append(self._put(event))
        return copy.deepcopy(event)

    def _last_event_for(self, obj_id: str, event_type: str) -> JSON:
        for event in reversed(self.events):
            if event["type"] == event_type and event["data"]["object"]["id"] == obj_id:
                return copy.deepcopy(event)
        raise AssertionError(f"no {event_type} event for {obj_id}")  # pragma: no cover - fake bug

    def _render(self, obj: JSON, expand: list[str]) -> JSON:
        """A response copy of ``obj`` with ``expand`` paths replaced by objects."""
        out = copy.deepcopy(obj)
        for path in expand:
            self._expand_path(out, path.split("."), path)
        return out

    def _expand_path(self, node: Any, parts: list[str], full: str) -> None:
        if not parts or not isinstance(node, dict):
            return
        head, rest = parts[0], parts[1:]
        if head == "data" and node.get("object") == "list":
            for item in node["data"]:
                self._expand_path(item, rest, full)
            return
        if head == "line_items" and node.get("object") == "checkout.session":
            # line_items is not stored on the session; Stripe includes it only on request.
            node[head] = self._line_items_list(node["id"], {})
        elif isinstance(node.get(head), str) and node[head] in self._objects:
            node[head] = copy.deepcopy(self._objects[node[head]])
        elif node.get(head) is None and head in node:
            return
        elif not isinstance(node.get(head), dict):
            raise FakeStripeError(400, f"This property cannot be expanded ({full}).", param="expand")
        self._expand_path(node[head], rest, full)

    def _list(self, objects: list[JSON], params: JSON, url: str) -> JSON:
        """Stripe list object: newest first, ``limit`` (1-100), cursor pagination."""
        limit = _int(params, "limit", minimum=1) or 10
        if limit > 100:
            raise FakeStripeError(400, "This value must be less than or equal to 100.", param="limit")
        ordered = list(reversed(objects))
        ids = [o["id"] for o in ordered]
        if after := params.get("starting_after"):
            if after not in ids:
                raise _no_such("object", after, param="starting_after")
            ordered = ordered[ids.index(after) + 1 :]
        elif before := params.get("ending_before"):
            if before not in ids:
                raise _no_such("object", before, param="ending_before")
            ordered = ordered[: ids.index(before)][-limit:]
        page = ordered[:limit]
        return {
            "object": "list",
            "data": [copy.deepcopy(o) for o in page],
            "has_more": len(ordered) > limit,
            "url": url,
        }

    # ---------------------------------------------------------- domain: checkout

    def _create_session(self, params: JSON) -> JSON:
        mode = _str(params, "mode", required=True, choices=("payment", "setup", "subscription"))
        if mode != "payment":
            raise FakeStripeError(400, f"The fake only supports mode=payment, got {mode}.", param="mode")
        ui_mode = _str(params, "ui_mode", choices=("hosted", "embedded", "custom")) or "hosted"
        success_url = _str(params, "success_url")
        if ui_mode == "hosted" and not success_url:
            raise _missing("success_url")
        raw_items = params.get("line_items")
        if not isinstance(raw_items, list) or not raw_items:
            raise FakeStripeError(400, "line_items is required in payment mode.", param="line_items")
        items = [self._line_item(raw, i) for i, raw in enumerate(raw_items)]
        currencies = {item["currency"] for item in items}
        if len(currencies) > 1:
            raise FakeStripeError(400, "All line_items must use the same currency.", param="line_items")
        client_reference_id = _str(params, "client_reference_id")
        if client_reference_id and len(client_reference_id) > 200:
            raise FakeStripeError(
                400, "client_reference_id must be at most 200 characters.", param="client_reference_id"
            )
        pi_data = params.get("payment_intent_data") or {}
        if not isinstance(pi_data, dict):
            raise FakeStripeError(400, "Invalid object", param="payment_intent_data")
        _metadata(pi_data, "metadata")  # validate early, like Stripe
        _shipping(pi_data.get("shipping"), param="payment_intent_data[shipping]")
        now = int(time.time())
        expires_at = _int(params, "expires_at") or now + CHECKOUT_SESSION_TTL
        subtotal = sum(item["amount_total"] for item in items)
        collection = self._shipping_address_collection(params)
        shipping_cost = self._shipping_cost(params, items[0]["currency"])
        total = subtotal + (shipping_cost["amount_total"] if shipping_cost else 0)
        session = load_fixture("checkout.session")
        session_id = _new_id("cs_test_a1", 56)
        session.update(
            id=session_id,
            created=now,
            expires_at=expires_at,
            livemode=False,
            mode=mode,
            ui_mode=ui_mode,
            status="open",
            payment_status="unpaid",
            payment_intent=None,
            url=f"{self.url}/checkout/pay/{session_id}" if ui_mode == "hosted" else None,
            client_secret=None if ui_mode == "hosted" else f"{session_id}_secret_{_new_id('', 16)}",
            success_url=success_url,
            cancel_url=_str(params, "cancel_url"),
            return_url=_str(params, "return_url"),
            client_reference_id=client_reference_id,
            customer=_str(params, "customer"),
            customer_email=_str(params, "customer_email"),
            customer_details=None,
            metadata=_metadata(params),
            currency=items[0]["currency"],
            amount_subtotal=subtotal,
            amount_total=total,
            locale=_str(params, "locale"),
            total_details={
                "amount_discount": 0,
                "amount_shipping": shipping_cost["amount_total"] if shipping_cost else 0,
                "amount_tax": 0,
            },
            shipping_cost=shipping_cost,
            shipping_address_collection=collection,
            shipping_options=[
                {
                    "shipping_amount": shipping_cost["amount_total"],
                    "shipping_rate": shipping_cost["shipping_rate"],
                }
            ]
            if shipping_cost
            else [],
            custom_fields=[],
            after_expiration=None,
            recovered_from=None,
            collected_information=None,
            discounts=[],
            payment_method_types=params.get("payment_method_types") or ["card"],
            submit_type=_str(params, "submit_type"),
            invoice=None,
            subscription=None,
            setup_intent=None,
        )
        self._line_items[session_id] = items
        self._pi_data[session_id] = pi_data
        return self._put(session)

    def _shipping_address_collection(self, params: JSON) -> JSON | None:
        raw = params.get("shipping_address_collection")
        if raw is None:
            return None
        countries = raw.get("allowed_countries") if isinstance(raw, dict) else None
        if not isinstance(countries, list) or not countries:
            raise _missing("shipping_address_collection[allowed_countries]")
        for code in countries:
            if not isinstance(code, str) or len(code) != 2 or not code.isupper():
                raise FakeStripeError(
                    400,
                    f"Invalid country code: {code}",
                    param="shipping_address_collection[allowed_countries]",
                )
        return {"allowed_countries": list(countries)}

    def _shipping_cost(self, params: JSON, currency: str) -> JSON | None:
        """The first of `shipping_options` (Checkout preselects it): a fixed amount in the session's currency."""
        options = params.get("shipping_options")
        if not options:
            return None
        if not isinstance(options, list) or not isinstance(options[0], dict):
            raise FakeStripeError(400, "Invalid array", param="shipping_options")
        data = options[0].get("shipping_rate_data")
        fixed = data.get("fixed_amount") if isinstance(data, dict) else None
        if not isinstance(fixed, dict):
            raise _missing("shipping_options[0][shipping_rate_data][fixed_amount]")
        amount = _int(fixed, "amount", required=True, minimum=0)
        if str(fixed.get("currency", "")).lower() != currency:
            raise FakeStripeError(
                400,
                "The shipping rate's currency must match the line items'.",
                param="shipping_options[0][shipping_rate_data][fixed_amount][currency]",
            )
        rate_id = _new_id("shr_")
        return {"amount_subtotal": amount, "amount_tax": 0, "amount_total": amount, "shipping_rate": rate_id}

    def _line_item(self, raw: Any, index: int) -> JSON:
        param = f"line_items[{index}]"
        if not isinstance(raw, dict):
            raise FakeStripeError(400, "Invalid object", param=param)
        quantity = _int(raw, "quantity", minimum=1)
        if quantity is None:
            raise _missing(f"{param}[quantity]")
        if price_id := _str(raw, "price"):
            if price_id not in self._prices:
                raise _no_such("price", price_id, param=f"{param}[price]")
            price = copy.deepcopy(self._prices[price_id])
            description = price["nickname"] or "Item"
        else:
            price_data = raw.get("price_data")
            if not isinstance(price_data, dict):
                raise FakeStripeError(400, "You must specify either `price` or `price_data`.", param=param)
            currency = _str(price_data, "currency", required=True)
            unit_amount = _int(price_data, "unit_amount", minimum=0)
            if unit_amount is None:
                raise _missing(f"{param}[price_data][unit_amount]")
            product_data = price_data.get("product_data") or {}
            product = _str(price_data, "product")
            if not product and not _str(product_data, "name"):
                raise _missing(f"{param}[price_data][product_data][name]")
            description = product_data.get("name") or "Item"
            price = load_fixture("price")
            price.update(
                id=_new_id("price_"),
                currency=str(currency).lower(),
                unit_amount=unit_amount,
                unit_amount_decimal=str(unit_amount),
                type="one_time",
                recurring=None,
                product=product or _new_id("prod_", 14),
                created=int(time.time()),
                transform_quantity=None,
                metadata={},
                nickname=None,
            )
        amount = price["unit_amount"] * quantity
        item = load_fixture("item")
        item.update(
            id=_new_id("li_"),
            price=price,
            quantity=quantity,
            currency=price["currency"],
            description=description,
            amount_subtotal=amount,
            amount_total=amount,
            amount_discount=0,
            amount_tax=0,
            metadata=_metadata(raw),
            adjustable_quantity=None,
        )
        return item

    def _line_items_list(self, session_id: str, params: JSON) -> JSON:
        return self._list(
            list(reversed(self._line_items[session_id])),
            params,
            f"/v1/checkout/sessions/{session_id}/line_items",
        )

    def _customer_details(self, session: JSON) -> JSON:
        details = load_fixture("checkout.session")["customer_details"]
        details["email"] = session["customer_email"] or "customer@example.com"
        return details  # type: ignore[no-any-return]

    def _expire_session(self, session_id: str) -> JSON:
        session = self._require(session_id, "checkout.session")
        if session["status"] != "open":
            raise FakeStripeError(
                400, 'Only Checkout Sessions with a status in ["open"] can be expired.', param="session"
            )
        session["status"] = "expired"
        if session["payment_intent"]:
            pi = self._objects[session["payment_intent"]]
            pi.update(status="canceled", canceled_at=int(time.time()), cancellation_reason="abandoned")
        self._emit("checkout.session.expired", session)
        return session

    def _payment_intent_for(self, session: JSON) -> JSON:
        """The session's PaymentIntent, created on the first payment attempt (as in
        current API versions, where an open session has ``payment_intent: null``)."""
        if session["payment_intent"]:
            return self._objects[session["payment_intent"]]
        data = self._pi_data.get(session["id"], {})
        pi = load_fixture("payment_intent")
        pi_id = _new_id("pi_")
        transfer_data = data.get("transfer_data") or None
        if transfer_data:
            transfer_data = {
                "destination": transfer_data.get("destination"),
                **({"amount": int(transfer_data["amount"])} if "amount" in transfer_data else {}),
            }
        pi.update(
            id=pi_id,
            amount=session["amount_total"],
            currency=session["currency"],
            amount_received=0,
            amount_capturable=0,
            status="requires_payment_method",
            created=int(time.time()),
            client_secret=f"{pi_id}_secret_{_new_id('', 25)}",
            canceled_at=None,
            cancellation_reason=None,
            last_payment_error=None,
            latest_charge=None,
            next_action=None,
            processing=None,
            transfer_group=data.get("transfer_group"),
            metadata=_metadata(data),
            description=data.get("description"),
            on_behalf_of=data.get("on_behalf_of"),
            application_fee_amount=_int(data, "application_fee_amount"),
            transfer_data=transfer_data,
            receipt_email=data.get("receipt_email") or session["customer_email"],
            shipping=_shipping(data.get("shipping"), param="payment_intent_data[shipping]"),
            payment_method=None,
            customer=session["customer"],
            livemode=False,
            source=None,
        )
        session["payment_intent"] = pi_id
        return self._put(pi)

    def _new_charge(self, pi: JSON, session: JSON, *, outcome: str) -> JSON:
        charge = load_fixture("charge")
        charge_id = _new_id("ch_")
        failed = outcome == "failed"
        charge.update(
            id=charge_id,
            amount=pi["amount"],
            currency=pi["currency"],
            created=int(time.time()),
            amount_captured=0,
            amount_refunded=0,
            refunded=False,
            captured=not failed,
            paid=False,
            status=outcome,
            payment_intent=pi["id"],
            balance_transaction=None,
            customer=pi["customer"],
            description=pi["description"],
            metadata=copy.deepcopy(pi["metadata"]),
            transfer_group=pi["transfer_group"],
            transfer_data=pi["transfer_data"],
            source=None,
            on_behalf_of=pi["on_behalf_of"],
            application_fee_amount=pi["application_fee_amount"],
            payment_method=_new_id("pm_"),
            receipt_email=pi["receipt_email"],
            receipt_url=f"{self.url}/receipts/{charge_id}",
            failure_code="card_declined" if failed else None,
            failure_message="Your card was declined." if failed else None,
            outcome={
                "advice_code": None,
                "network_advice_code": None,
                "network_decline_code": None,
                "network_status": "declined_by_network" if failed else "approved_by_network",
                "reason": "generic_decline" if failed else None,
                "risk_level": "normal",
                "seller_message": "The bank did not return any further details with this decline."
                if failed
                else "Payment complete.",
                "type": "issuer_declined" if failed else "authorized",
            },
            refunds={
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/charges/{charge_id}/refunds",
            },
        )
        charge["billing_details"]["email"] = session["customer_email"]
        self._put(charge)
        if outcome == "succeeded":
            self._settle_charge(charge)
        return charge

    def _settle_charge(self, charge: JSON) -> None:
        fee = round(charge["amount"] * CARD_FEE_BPS / 10_000) + CARD_FEE_FIXED
        charge.update(
            status="succeeded",
            paid=True,
            amount_captured=charge["amount"],
            balance_transaction=self._balance_transaction(charge, charge["amount"], "charge", fee),
        )
        self._credit(self.PLATFORM_ACCOUNT_ID, charge["currency"], charge["amount"] - fee)

    # ------------------------------------------------------------ domain: refunds

    def _create_refund(self, params: JSON) -> JSON:
        charge_id = _str(params, "charge")
        pi_id = _str(params, "payment_intent")
        if not charge_id and not pi_id:
            raise FakeStripeError(
                400,
                "One of the following params should be provided for this request: payment_intent or charge.",
            )
        if pi_id:
            pi = self._require(pi_id, "payment_intent", param="payment_intent")
            if not pi["latest_charge"] or pi["status"] != "succeeded":
                raise FakeStripeError(
                    400,
                    f"PaymentIntent {pi_id} does not have a successful charge to refund.",
                    param="payment_intent",
                )
            if charge_id and charge_id != pi["latest_charge"]:
                raise FakeStripeError(400, "charge does not belong to payment_intent.", param="charge")
            charge_id = pi["latest_charge"]
        assert charge_id is not None
        charge = self._require(charge_id, "charge", param="charge")
        if charge["status"] != "succeeded":
            raise FakeStripeError(
                400, f"Charge {charge_id} has not succeeded and cannot be refunded.", param="charge"
            )
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining == 0:
            raise FakeStripeError(
                400, f"Charge {charge_id} has already been refunded.", code="charge_already_refunded"
            )
        amount = _int(params, "amount", minimum=1)
        if amount is None:
            amount = remaining
        if amount > remaining:
            raise FakeStripeError(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
                code="amount_too_large",
                param="amount",
            )
        refund = load_fixture("refund")
        refund.update(
            id=_new_id("re_"),
            amount=amount,
            charge=charge_id,
            payment_intent=charge["payment_intent"],
            currency=charge["currency"],
            created=int(time.time()),
            status="succeeded",
            reason=_str(params, "reason", choices=("duplicate", "fraudulent", "requested_by_customer")),
            metadata=_metadata(params),
            payment_method=charge["payment_method"],
        )
        refund["balance_transaction"] = self._balance_transaction(refund, -amount, "refund")
        self._put(refund)
        self._credit(self.PLATFORM_ACCOUNT_ID, charge["currency"], -amount)
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        charge["refunds"]["data"].insert(0, copy.deepcopy(refund))
        self._emit("charge.refunded", charge, previous)
        return refund

    # ----------------------------------------------------------- domain: accounts

    def _create_account(self, params: JSON) -> JSON:
        account_type = _str(params, "type", choices=("express", "standard", "custom"))
        controller = params.get("controller")
        if not account_type and not controller:
            raise FakeStripeError(400, "You must provide either `type` or `controller`.", param="type")
        country = (_str(params, "country") or "US").upper()
        raw_caps = params.get("capabilities") or {}
        if not isinstance(raw_caps, dict):
            raise FakeStripeError(400, "Invalid object", param="capabilities")
        capabilities = {
            name: "inactive"
            for name, spec in raw_caps.items()
            if isinstance(spec, dict) and spec.get("requested") == "true"
        }
        account = load_fixture("account")
        account_id = _new_id("acct_", 16)
        default_currency = _str(params, "default_currency") or _COUNTRY_CURRENCY.get(
            country, "eur" if country in _EUROZONE else "usd"
        )
        account.update(
            id=account_id,
            type=account_type or "none",
            country=country,
            email=_str(params, "email"),
            created=int(time.time()),
            capabilities=capabilities,
            metadata=_metadata(params),
            business_type=_str(params, "business_type"),
            default_currency=default_currency,
            charges_enabled=False,
            payouts_enabled=False,
            details_submitted=False,
            external_accounts={
                "object": "list",
                "data": [],
                "has_more": False,
                "url": f"/v1/accounts/{account_id}/external_accounts",
            },
        )
        if isinstance(params.get("business_profile"), dict):
            account["business_profile"].update(params["business_profile"])
        if account_type in ("express", "custom"):
            account["controller"] = {
                "type": "application",
                "is_controller": True,
                "stripe_dashboard": {"type": account_type if account_type == "express" else "none"},
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
                "requirement_collection": "stripe",
            }
        elif isinstance(controller, dict):
            account["controller"] = {"type": "application", "is_controller": True, **controller}
        return self._put(account)

    def _update_account(self, account: JSON, **changes: Any) -> JSON:
        previous = {key: copy.deepcopy(account.get(key)) for key in changes}
        account.update(changes)
        return self._emit("account.updated", account, previous)

    def _create_account_link(self, params: JSON) -> JSON:
        account_id = _str(params, "account", required=True)
        assert account_id is not None
        self._require(account_id, "account", param="account")
        link_type = _str(params, "type", required=True, choices=("account_onboarding", "account_update"))
        refresh_url = _str(params, "refresh_url", required=True)
        return_url = _str(params, "return_url", required=True)
        now = int(time.time())
        token = _new_id("", 12)
        link = load_fixture("account_link")
        link.update(
            created=now,
            expires_at=now + ACCOUNT_LINK_TTL,
            url=f"{self.url}/connect/onboarding/{account_id}/{token}",
        )
        self._links[token] = {
            "account": account_id,
            "type": link_type,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "expires_at": link["expires_at"],
        }
        return link

    # ---------------------------------------------------------- domain: transfers

    def _create_transfer(self, params: JSON) -> JSON:
        amount = _int(params, "amount", required=True, minimum=1)
        currency = (_str(params, "currency", required=True) or "").lower()
        destination = _str(params, "destination", required=True)
        assert amount is not None and destination is not None
        account = self._objects.get(destination)
        if account is None or account["object"] != "account":
            raise FakeStripeError(
                400, f"No such destination: '{destination}'", code="resource_missing", param="destination"
            )
        if (
            not (account["charges_enabled"] and account["payouts_enabled"])
            or account["capabilities"].get("transfers", "active") != "active"
        ):
            raise FakeStripeError(
                400,
                "Your destination account needs to have at least one of the following capabilities "
                "enabled: transfers, crypto_transfers, legacy_payments",
                code="insufficient_capabilities_for_transfer",
                param="destination",
            )
        source_transaction = _str(params, "source_transaction")
        if source_transaction:
            self._check_source_transaction(source_transaction, amount, currency)
        transfer = load_fixture("transfer")
        transfer_id = _new_id("tr_")
        transfer.update(
            id=transfer_id,
            amount=amount,
            amount_reversed=0,
            currency=currency,
            destination=destination,
            destination_payment=_new_id("py_"),
            created=int(time.time()),
            description=_str(params, "description"),
            metadata=_metadata(params),
            reversed=False,
            source_transaction=source_transaction,
            transfer_group=_str(params, "transfer_group"),
            source_type=_str(params, "source_type") or "card",
            reversals={
                "object": "list",
                "data": [],
                "has_more": False,
                "total_count": 0,
                "url": f"/v1/transfers/{transfer_id}/reversals",
            },
        )
        transfer["balance_transaction"] = self._balance_transaction(transfer, -amount, "transfer")
        self._put(transfer)
        self._credit(self.PLATFORM_ACCOUNT_ID, currency, -amount)
        self._credit(destination, currency, amount)
        self._emit("transfer.created", transfer)
        return transfer

    def _check_source_transaction(self, charge_id: str, amount: int, currency: str) -> None:
        """A transfer tied to a charge may not move more than is left of that charge
        (amount - refunded - already transferred net of reversals), in its currency."""
        charge = self._require(charge_id, "charge", param="source_transaction")
        if charge["status"] != "succeeded":
            raise FakeStripeError(400, f"Charge {charge_id} has not succeeded.", param="source_transaction")
        if charge["currency"] != currency:
            raise FakeStripeError(
                400,
                f"currency must match the source_transaction's currency ({charge['currency']}).",
                param="currency",
            )
        already = sum(
            t["amount"] - t["amount_reversed"]
            for t in self._objects.values()
            if t["object"] == "transfer" and t["source_transaction"] == charge_id
        )
        available = charge["amount"] - charge["amount_refunded"] - already
        if amount > available:
            raise FakeStripeError(
                400,
                f"Transfer amount ({amount}) exceeds the amount available from "
                f"source_transaction {charge_id} ({available}).",
                param="amount",
            )

    def _create_reversal(self, transfer_id: str, params: JSON) -> JSON:
        transfer = self._require(transfer_id, "transfer")
        remaining = transfer["amount"] - transfer["amount_reversed"]
        if remaining == 0:
            raise FakeStripeError(400, f"Transfer {transfer_id} has already been fully reversed.")
        amount = _int(params, "amount", minimum=1)
        if amount is None:
            amount = remaining
        if amount > remaining:
            raise FakeStripeError(
                400,
                f"Amount ({amount}) is greater than the remaining unreversed amount on the "
                f"transfer ({remaining}).",
                param="amount",
            )
        reversal = load_fixture("transfer_reversal")
        reversal.update(
            id=_new_id("trr_"),
            amount=amount,
            currency=transfer["currency"],
            transfer=transfer_id,
            created=int(time.time()),
            metadata=_metadata(params),
            destination_payment_refund=_new_id("pyr_"),
        )
        reversal["balance_transaction"] = self._balance_transaction(reversal, amount, "transfer_reversal")
        self._put(reversal)
        self._credit(self.PLATFORM_ACCOUNT_ID, transfer["currency"], amount)
        self._credit(transfer["destination"], transfer["currency"], -amount)
        previous = {"amount_reversed": transfer["amount_reversed"], "reversed": transfer["reversed"]}
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        transfer["reversals"]["data"].insert(0, copy.deepcopy(reversal))
        transfer["reversals"]["total_count"] = len(transfer["reversals"]["data"])
        self._emit("transfer.reversed", transfer, previous)
        return reversal

    # ------------------------------------------------------------ HTTP handlers
    # Each takes the decoded params plus path ids and returns the response object.

    def _h_create_session(self, params: JSON) -> JSON:
        return self._render(self._create_session(params), _expand_list(params))

    def _h_get_session(self, params: JSON, id: str) -> JSON:
        return self._render(self._require(id, "checkout.session"), _expand_list(params))

    def _h_list_line_items(self, params: JSON, id: str) -> JSON:
        self._require(id, "checkout.session")
        return self._line_items_list(id, params)

    def _h_expire_session(self, params: JSON, id: str) -> JSON:
        return self._render(self._expire_session(id), _expand_list(params))

    def _h_get_object(self, params: JSON, id: str, *, collection: str) -> JSON:
        object_type, noun = self._COLLECTION_TYPES[collection]
        obj = self._objects.get(id)
        if obj is None or obj["object"] != object_type:
            raise _no_such(noun, id)
        return self._render(obj, _expand_list(params))

    def _h_create_refund(self, params: JSON) -> JSON:
        return self._render(self._create_refund(params), _expand_list(params))

    def _h_create_account(self, params: JSON) -> JSON:
        return self._render(self._create_account(params), _expand_list(params))

    def _h_create_account_link(self, params: JSON) -> JSON:
        return self._create_account_link(params)

    def _h_create_transfer(self, params: JSON) -> JSON:
        return self._render(self._create_transfer(params), _expand_list(params))

    def _h_list_transfers(self, params: JSON) -> JSON:
        group, destination = params.get("transfer_group"), params.get("destination")
        transfers = [
            o
            for o in self._objects.values()
            if o["object"] == "transfer"
            and (group is None or o["transfer_group"] == group)
            and (destination is None or o["destination"] == destination)
        ]
        return self._render(self._list(transfers, params, "/v1/transfers"), _expand_list(params))

    def _h_create_reversal(self, params: JSON, id: str) -> JSON:
        return self._render(self._create_reversal(id, params), _expand_list(params))

    def _h_list_reversals(self, params: JSON, id: str) -> JSON:
        self._require(id, "transfer")
        reversals = [
            o for o in self._objects.values() if o["object"] == "transfer_reversal" and o["transfer"] == id
        ]
        return self._list(reversals, params, f"/v1/transfers/{id}/reversals")

    def _h_list_events(self, params: JSON) -> JSON:
        types = params.get("types") or ([params["type"]] if params.get("type") else None)
        events = [e for e in self.events if types is None or e["type"] in types]
        return self._list(events, params, "/v1/events")

    def _h_get_balance(self, params: JSON) -> JSON:
        account = self._current_account or self.PLATFORM_ACCOUNT_ID
        balance = load_fixture("balance")
        amounts = [(cur, amt) for (acct, cur), amt in sorted(self._balances.items()) if acct == account]
        amounts = amounts or [("usd", 0)]
        balance["available"] = [
            {"amount": amt, "currency": cur, "source_types": {"card": amt}} for cur, amt in amounts
        ]
        balance["pending"] = [
            {"amount": 0, "currency": cur, "source_types": {"card": 0}} for cur, _ in amounts
        ]
        return balance

    def outage(self, path_prefix: str, *, requests: int, status: int = 503) -> None:
        """Fault injection: the next `requests` API calls under `path_prefix` answer `status` with
        Stripe's api_error body, before anything is done (as when Stripe is down)."""
        with self._lock:
            self._outages.append([path_prefix, requests, status])

    def outage_end(self, path_prefix: str) -> None:
        """Stripe is back: calls under `path_prefix` are answered again."""
        with self._lock:
            self._outages = [outage for outage in self._outages if outage[0] != path_prefix]

    def _injected_outage(self, path: str) -> _Response | None:
        with self._lock:
            for outage in self._outages:
                if path.startswith(outage[0]) and outage[1] > 0:
                    outage[1] -= 1
                    return _Response.of_json(
                        outage[2],
                        {"error": {"type": "api_error", "message": "Injected outage (fake Stripe)."}},
                    )
        return None

    # ------------------------------------------------------------- HTTP plumbing

    def handle(self, method: str, raw_path: str, body: bytes, headers: Mapping[str, str]) -> _Response:
        """Answer one HTTP request (called from the server threads)."""
        split = urlsplit(raw_path)
        path = split.path.rstrip("/") or "/"
        lowered = {k.lower(): v for k, v in headers.items()}
        params: JSON = {}
        response: _Response
        replayed = False
        try:
            pairs = parse_qsl(split.query, keep_blank_values=True)
            if method == "POST":
                pairs += parse_qsl(body.decode("utf-8"), keep_blank_values=True)
            params = decode_form(pairs)
            if path.startswith(("/checkout/pay/", "/connect/onboarding/", "/receipts/")):
                response = self._hosted_page(method, path)
            else:
                self._authenticate(lowered)
                injected = self._injected_outage(path)
                if injected is not None:
                    response = injected
                else:
                    response, replayed = self._api(method, path, params, lowered)
        except FakeStripeError as exc:
            response = _Response.of_json(exc.status, exc.body())
        except Exception as exc:  # a bug in the fake: answer like Stripe's 500, keep it for the test
            self.errors.append(exc)
            response = _Response.of_json(500, {"error": {"type": "api_error", "message": f"fake: {exc!r}"}})
        response.headers.setdefault("Request-Id", _new_id("req_", 14))
        try:
            payload = json.loads(response.body) if response.content_type == "application/json" else None
        except ValueError:  # pragma: no cover - the fake always answers JSON
            payload = None
        with self._lock:
            self.requests.append(
                RecordedRequest(method, path, params, lowered, response.status, payload, replayed)
            )
        return response

    def _authenticate(self, headers: Mapping[str, str]) -> None:
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer ") or not auth[len("Bearer ") :].strip():
            raise FakeStripeError(
                401,
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY').",
            )
        key = auth[len("Bearer ") :].strip()
        valid = key == self.api_key if self.api_key else key.startswith(("sk_test_", "rk_test_"))
        if not valid:
            raise FakeStripeError(
                401, f"Invalid API Key provided: {key[:8]}{'*' * max(0, len(key) - 12)}{key[-4:]}"
            )

    def _api(
        self, method: str, path: str, params: JSON, headers: Mapping[str, str]
    ) -> tuple[_Response, bool]:
        route, ids = self._match(method, path)
        key = headers.get("idempotency-key") if method == "POST" else None
        scope = (headers["authorization"], headers.get("stripe-account", ""), key or "")
        fingerprint = json.dumps([method, path, params], sort_keys=True)
        with self._lock:
            if key and scope in self._idempotency:
                seen_fingerprint, cached = self._idempotency[scope]
                if seen_fingerprint != fingerprint:
                    raise FakeStripeError(
                        400,
                        "Keys for idempotent requests can only be used with the same parameters they were "
                        f"first used with. Try using a key other than '{key}' if you meant to execute a "
                        "different request.",
                        type="idempotency_error",
                    )
                replay = _Response(
                    cached.status, cached.body, headers={**cached.headers, "Idempotent-Replayed": "true"}
                )
                return replay, True
            if route.allowed is not None:
                for name in params:
                    if name not in route.allowed:
                        raise FakeStripeError(400, f"Received unknown parameter: {name}", param=name)
            request_id = _new_id("req_", 14)
            self._current_request = {"id": request_id, "idempotency_key": key} if method == "POST" else None
            self._current_account = headers.get("stripe-account")
            try:
                handler = getattr(self, route.handler)
                extra = {"collection": path.split("/")[2]} if route.handler == "_h_get_object" else {}
                payload = handler(params, *ids, **extra)
            finally:
                self._current_request = None
                self._current_account = None
            out_headers = {"Request-Id": request_id, "Stripe-Version": stripe.api_version}
            if key:
                out_headers["Idempotency-Key"] = key
            response = _Response.of_json(200, payload, out_headers)
            if key:
                self._idempotency[scope] = (fingerprint, response)
            return response, False

    def _match(self, method: str, path: str) -> tuple[_Route, tuple[str, ...]]:
        for route in self.ROUTES:
            if route.method == method and (m := route.pattern.match(path)):
                return route, tuple(m.groups())
        raise FakeStripeError(
            404,
            f"Unrecognized request URL ({method}: {path}). Please see "
            "https://stripe.com/docs or we can help at https://support.stripe.com/.",
        )

    # ------------------------------------------------------------ hosted pages
    # Minimal stand-ins for Stripe-hosted Checkout and Connect onboarding, so a
    # browser-driven test can follow ``session.url`` / ``account_link.url``.

    def _hosted_page(self, method: str, path: str) -> _Response:
        parts = path.strip("/").split("/")
        with self._lock:
            if parts[:2] == ["checkout", "pay"] and len(parts) in (3, 4):
                return self._checkout_page(method, parts[2], parts[3] if len(parts) == 4 else None)
            if parts[:2] == ["connect", "onboarding"] and len(parts) in (4, 5):
                return self._onboarding_page(
                    method, parts[2], parts[3], parts[4] if len(parts) == 5 else None
                )
            if parts[0] == "receipts":
                return _html(200, "Receipt", f"<p>Receipt for {html.escape(parts[-1])}</p>")
        return _html(404, "Not found", "<p>Not found</p>")

    def _checkout_page(self, method: str, session_id: str, action: str | None) -> _Response:
        session = self._objects.get(session_id)
        if session is None or session["object"] != "checkout.session":
            return _html(404, "Not found", "<p>No such checkout session</p>")
        if method == "POST" and action in ("pay", "decline", "cancel"):
            if action == "pay":
                self.complete_checkout(session_id)
                return _redirect(session["success_url"].replace("{CHECKOUT_SESSION_ID}", session_id))
            if action == "decline":
                self.fail_payment(session_id)
                return _redirect(session["url"])
            return _redirect(session["cancel_url"] or session["success_url"])
        total = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
        items = "".join(
            f"<li>{html.escape(str(i['description']))} x {i['quantity']}</li>"
            for i in self._line_items[session_id]
        )
        body = f"<h1>Pay {total}</h1><ul>{items}</ul><p id='status'>{session['status']}</p>" + "".join(
            f"<form method='post' action='/checkout/pay/{session_id}/{a}'>"
            f"<button name='{a}' type='submit'>{label}</button></form>"
            for a, label in (("pay", "Pay"), ("decline", "Decline card"), ("cancel", "Cancel"))
        )
        return _html(200, "Fake Stripe Checkout", body)

    def _onboarding_page(self, method: str, account_id: str, token: str, action: str | None) -> _Response:
        link = self._links.get(token)
        if link is None or link["account"] != account_id:
            return _html(404, "Not found", "<p>No such account link</p>")
        if link["expires_at"] < time.time():
            return _redirect(link["refresh_url"])  # Stripe sends expired links to refresh_url
        if method == "POST" and action == "complete":
            self.complete_onboarding(account_id)
            return _redirect(link["return_url"])
        body = (
            f"<h1>Onboard {html.escape(account_id)}</h1><form method='post' "
            f"action='/connect/onboarding/{account_id}/{token}/complete'>"
            "<button type='submit'>Complete onboarding</button></form>"
        )
        return _html(200, "Fake Stripe Connect onboarding", body)


def _html(status: int, title: str, body: str) -> _Response:
    page = f"<!doctype html><html><head><title>{title}</title></head><body>{body}</body></html>"
    return _Response(status, page.encode(), content_type="text/html; charset=utf-8")


def _redirect(location: str) -> _Response:
    return _Response(303, b"", content_type="text/plain", headers={"Location": location})


class _RequestHandler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive: the SDK's requests session reuses connections.
    protocol_version = "HTTP/1.1"

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake: FakeStripe = self.server.fake  # type: ignore[attr-defined]
        response = fake.handle(self.command, self.path, body, dict(self.headers.items()))
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_DELETE = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet: the request log on FakeStripe.requests is the place to look.
        pass


# ------------------------------------------------------------------------- webhooks


def sign_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header Stripe would send for ``payload``:
    ``t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<payload>" keyed by secret>``."""
    ts = int(time.time()) if timestamp is None else timestamp
    signed = f"{ts}.".encode() + payload
    digest = hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"
