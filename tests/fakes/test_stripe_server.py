"""Tests of the fake Stripe itself, driven through the real ``stripe`` SDK."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st
from stripe._encode import _api_encode  # the SDK's own form encoder, to check decode_form against

from .stripe_server import FakeStripe, FakeStripeError, decode_form, load_fixture, sign_payload

KEY = "sk_test_motif"


@pytest.fixture
def fake() -> Iterator[FakeStripe]:
    with FakeStripe.start() as server:
        yield server
    assert server.errors == [], "the fake raised internally"


@pytest.fixture
def client(fake: FakeStripe) -> stripe.StripeClient:
    return stripe.StripeClient(
        KEY, base_addresses={"api": fake.url, "connect": fake.url, "files": fake.url}, max_network_retries=0
    )


def _session_params(**overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "mode": "payment",
        "success_url": "https://motif.test/orders/42/thanks?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://motif.test/cart",
        "client_reference_id": "order-42",
        "customer_email": "buyer@example.com",
        "metadata": {"order_id": "42"},
        "payment_intent_data": {"transfer_group": "order_42", "metadata": {"order_id": "42"}},
        "line_items": [
            {
                "quantity": 2,
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 1500,
                    "product_data": {"name": "Indigo tile, commercial licence"},
                },
            },
            {
                "quantity": 1,
                "price_data": {
                    "currency": "usd",
                    "unit_amount": 900,
                    "product_data": {"name": "Wave border"},
                },
            },
        ],
    }
    params.update(overrides)
    return params


def _raw(
    fake: FakeStripe,
    method: str,
    path: str,
    data: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any], Any]:
    body = urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(fake.url + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), exc.headers


def _onboarded_account(fake: FakeStripe, client: stripe.StripeClient) -> str:
    account = client.v1.accounts.create(
        params={
            "type": "express",
            "country": "FR",
            "email": "artist@example.com",
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"artist_id": "7"},
        }
    )
    fake.complete_onboarding(account.id)
    return account.id


def _paid_session(fake: FakeStripe, client: stripe.StripeClient, **overrides: Any) -> stripe.checkout.Session:
    session = client.v1.checkout.sessions.create(params=_session_params(**overrides))
    fake.complete_checkout(session.id)
    return client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge"]}
    )


# --------------------------------------------------------------------- form decoding


def test_decode_form_nested_brackets_and_append() -> None:
    decoded = decode_form(
        "line_items[0][price_data][product_data][name]=Tile&line_items[0][quantity]=2"
        "&expand[]=payment_intent&expand[]=line_items&metadata[order]=&mode=payment"
    )
    assert decoded == {
        "line_items": [{"price_data": {"product_data": {"name": "Tile"}}, "quantity": "2"}],
        "expand": ["payment_intent", "line_items"],
        "metadata": {"order": ""},
        "mode": "payment",
    }


_scalars = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8)
_keys = st.from_regex(r"[a-z_]{1,8}", fullmatch=True)
_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, min_size=1, max_size=3) | st.dictionaries(_keys, inner, min_size=1, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_keys, _values, max_size=4))
def test_decode_form_inverts_the_sdk_encoder(params: dict[str, Any]) -> None:
    encoded = urlencode(list(_api_encode(params)))
    assert decode_form(encoded) == params


def test_fixtures_are_vendored_with_licence() -> None:
    from .stripe_server import FIXTURES_PATH

    assert (FIXTURES_PATH.parent / "LICENSE").read_text().startswith("The MIT License")
    assert load_fixture("transfer")["object"] == "transfer"
    assert load_fixture("transfer") is not load_fixture("transfer")


# ------------------------------------------------------------------ lifecycle, auth


def test_start_stop_and_url() -> None:
    fake = FakeStripe.start()
    try:
        assert fake.url.startswith("http://127.0.0.1:")
        assert _raw(fake, "GET", "/v1/balance", headers={"Authorization": f"Bearer {KEY}"})[0] == 200
    finally:
        fake.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(fake.url + "/v1/balance", timeout=2)


def test_missing_bearer_is_401_json(fake: FakeStripe) -> None:
    status, body, _ = _raw(fake, "GET", "/v1/transfers")
    assert status == 401
    assert body["error"]["type"] == "invalid_request_error"
    assert "API key" in body["error"]["message"]


def test_non_test_key_raises_authentication_error(fake: FakeStripe) -> None:
    live = stripe.StripeClient("sk_live_nope", base_addresses=fake.base_addresses, max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError) as info:
        live.v1.transfers.list()
    assert info.value.http_status == 401


def test_configured_api_key_is_enforced() -> None:
    with FakeStripe.start(api_key="sk_test_only_this") as fake:
        assert fake.client("sk_test_only_this").v1.transfers.list().data == []
        with pytest.raises(stripe.AuthenticationError):
            fake.client("sk_test_other").v1.transfers.list()


# ----------------------------------------------------------------------- checkout


def test_checkout_session_round_trip_and_request_log(fake: FakeStripe, client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(params=_session_params())

    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert (session.status, session.payment_status, session.payment_intent) == ("open", "unpaid", None)
    assert session.amount_total == session.amount_subtotal == 2 * 1500 + 900
    assert session.currency == "usd"
    assert session.client_reference_id == "order-42"
    assert session.customer_email == "buyer@example.com"
    assert session.metadata.to_dict() == {"order_id": "42"}
    assert session.url == f"{fake.url}/checkout/pay/{session.id}"
    assert "automatic_tax" in session  # the rest of the body comes from the published fixture

    (recorded,) = fake.requests_to("POST", "/v1/checkout/sessions")
    assert recorded.status == 200
    assert recorded.api_key == KEY
    assert recorded.idempotency_key  # the SDK sends one on every POST
    assert recorded.params["line_items"][0] == {
        "quantity": "2",
        "price_data": {
            "currency": "usd",
            "unit_amount": "1500",
            "product_data": {"name": "Indigo tile, commercial licence"},
        },
    }
    assert recorded.params["payment_intent_data"] == {
        "transfer_group": "order_42",
        "metadata": {"order_id": "42"},
    }
    assert recorded.response is not None and recorded.response["id"] == session.id


def test_line_items_listing_and_expansion(fake: FakeStripe, client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(params=_session_params())
    items = client.v1.checkout.sessions.line_items.list(session.id)
    assert [(i.description, i.quantity, i.amount_total) for i in items.data] == [
        ("Indigo tile, commercial licence", 2, 3000),
        ("Wave border", 1, 900),
    ]
    expanded = client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["line_items"]})
    assert expanded.line_items.data[1].price.unit_amount == 900


def test_checkout_with_registered_price(fake: FakeStripe, client: stripe.StripeClient) -> None:
    price_id = fake.add_price(2500, "eur")
    session = client.v1.checkout.sessions.create(
        params=_session_params(line_items=[{"price": price_id, "quantity": 3}])
    )
    assert (session.amount_total, session.currency) == (7500, "eur")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.create(
            params=_session_params(line_items=[{"price": "price_nope", "quantity": 1}])
        )
    assert (info.value.http_status, info.value.code) == (400, "resource_missing")


def test_checkout_validation_errors(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.create(params=_session_params(mode=None))
    assert (info.value.param, info.value.code) == ("mode", "parameter_missing")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.create(params=_session_params(line_items=[]))
    assert info.value.param == "line_items"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.create(params=_session_params(shipping_cost="1"))  # type: ignore[arg-type]
    assert info.value.param == "shipping_cost"
    assert "Received unknown parameter: shipping_cost" in str(info.value)


def test_complete_checkout_creates_payment_intent_and_charge(
    fake: FakeStripe, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(params=_session_params())
    event = fake.complete_checkout(session.id)

    assert event["id"].startswith("evt_") and event["object"] == "event"
    assert event["type"] == "checkout.session.completed"
    assert event["livemode"] is False and event["api_version"] == stripe.api_version
    assert isinstance(event["created"], int)
    completed = event["data"]["object"]
    assert (completed["id"], completed["status"], completed["payment_status"]) == (
        session.id,
        "complete",
        "paid",
    )
    assert completed["payment_intent"].startswith("pi_")  # unexpanded in events, like Stripe

    fetched = client.v1.checkout.sessions.retrieve(
        session.id, params={"expand": ["payment_intent.latest_charge"]}
    )
    pi = fetched.payment_intent
    assert isinstance(pi, stripe.PaymentIntent)
    assert (pi.status, pi.amount, pi.amount_received, pi.transfer_group) == (
        "succeeded",
        3900,
        3900,
        "order_42",
    )
    assert pi.metadata.to_dict() == {"order_id": "42"}
    charge = pi.latest_charge
    assert isinstance(charge, stripe.Charge)
    assert (charge.status, charge.paid, charge.amount, charge.payment_intent) == (
        "succeeded",
        True,
        3900,
        pi.id,
    )
    assert charge.transfer_group == "order_42"

    # Round trips by id, and the fee the platform pays (2.9% + 30c) on its balance.
    assert client.v1.payment_intents.retrieve(pi.id).latest_charge == charge.id
    txn = fake.get(client.v1.charges.retrieve(charge.id).balance_transaction)
    assert (txn["amount"], txn["fee"], txn["net"]) == (3900, 143, 3757)
    assert fake.balance_of() == 3757
    assert client.v1.events.retrieve(event["id"]).type == "checkout.session.completed"


def test_complete_checkout_twice_is_refused(fake: FakeStripe, client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(params=_session_params())
    fake.complete_checkout(session.id)
    with pytest.raises(FakeStripeError):
        fake.complete_checkout(session.id)


def test_async_payment_completes_unpaid_then_settles(fake: FakeStripe, client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(params=_session_params())
    completed = fake.complete_checkout(session.id, paid=False)["data"]["object"]
    assert (completed["status"], completed["payment_status"]) == ("complete", "unpaid")
    assert fake.balance_of() == 0
    event = fake.succeed_async_payment(session.id)
    assert event["type"] == "checkout.session.async_payment_succeeded"
    assert event["data"]["object"]["payment_status"] == "paid"
    assert client.v1.payment_intents.retrieve(completed["payment_intent"]).status == "succeeded"


def test_expire_over_http_and_via_control(fake: FakeStripe, client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(params=_session_params())
    expired = client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired"
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.expire(session.id)
    assert info.value.http_status == 400
    (event,) = fake.events_of_type("checkout.session.expired")
    assert (
        event["request"]["idempotency_key"]
        == fake.requests_to("POST", f"/v1/checkout/sessions/{session.id}/expire")[0].idempotency_key
    )

    other = client.v1.checkout.sessions.create(params=_session_params())
    event = fake.expire_checkout(other.id)
    assert event["type"] == "checkout.session.expired"
    assert client.v1.checkout.sessions.retrieve(other.id).status == "expired"
    with pytest.raises(FakeStripeError):
        fake.complete_checkout(other.id)


def test_failed_payment_keeps_session_open_and_reuses_payment_intent(
    fake: FakeStripe, client: stripe.StripeClient
) -> None:
    session = client.v1.checkout.sessions.create(params=_session_params())
    event = fake.fail_payment(session.id)
    assert event["type"] == "payment_intent.payment_failed"
    pi = event["data"]["object"]
    assert pi["status"] == "requires_payment_method"
    assert pi["last_payment_error"]["code"] == "card_declined"
    assert client.v1.charges.retrieve(pi["latest_charge"]).status == "failed"
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"

    completed = fake.complete_checkout(session.id)["data"]["object"]
    assert completed["payment_intent"] == pi["id"]
    assert client.v1.payment_intents.retrieve(pi["id"]).status == "succeeded"


# --------------------------------------------------------------- errors, idempotency


def test_unknown_ids_map_to_invalid_request_404(client: stripe.StripeClient) -> None:
    for call in (
        lambda: client.v1.checkout.sessions.retrieve("cs_test_nope"),
        lambda: client.v1.payment_intents.retrieve("pi_nope"),
        lambda: client.v1.charges.retrieve("ch_nope"),
        lambda: client.v1.refunds.retrieve("re_nope"),
        lambda: client.v1.accounts.retrieve("acct_nope"),
        lambda: client.v1.transfers.retrieve("tr_nope"),
        lambda: client.v1.events.retrieve("evt_nope"),
    ):
        with pytest.raises(stripe.InvalidRequestError) as info:
            call()
        assert (info.value.http_status, info.value.code) == (404, "resource_missing")
        assert info.value.json_body["error"]["type"] == "invalid_request_error"


def test_unrecognized_url_is_404(fake: FakeStripe) -> None:
    status, body, _ = _raw(fake, "GET", "/v1/nothing_here", headers={"Authorization": f"Bearer {KEY}"})
    assert status == 404
    assert body["error"]["message"].startswith("Unrecognized request URL (GET: /v1/nothing_here)")


def test_idempotent_replay_returns_same_object_and_creates_nothing(
    fake: FakeStripe, client: stripe.StripeClient
) -> None:
    options = {"idempotency_key": "order-42-checkout"}
    first = client.v1.checkout.sessions.create(params=_session_params(), options=options)
    second = client.v1.checkout.sessions.create(params=_session_params(), options=options)
    assert second.id == first.id
    assert second.last_response.headers.get("Idempotent-Replayed") == "true"
    assert len([o for o in fake._objects.values() if o["object"] == "checkout.session"]) == 1
    log = fake.requests_to("POST", "/v1/checkout/sessions")
    assert [r.replayed for r in log] == [False, True]
    assert {r.idempotency_key for r in log} == {"order-42-checkout"}


def test_idempotency_key_reuse_with_other_params_is_refused(client: stripe.StripeClient) -> None:
    options = {"idempotency_key": "k1"}
    client.v1.checkout.sessions.create(params=_session_params(), options=options)
    with pytest.raises(stripe.IdempotencyError):
        client.v1.checkout.sessions.create(
            params=_session_params(client_reference_id="other"), options=options
        )


def test_idempotency_is_scoped_by_stripe_account(fake: FakeStripe, client: stripe.StripeClient) -> None:
    a = client.v1.checkout.sessions.create(params=_session_params(), options={"idempotency_key": "k"})
    b = client.v1.checkout.sessions.create(
        params=_session_params(), options={"idempotency_key": "k", "stripe_account": "acct_x"}
    )
    assert a.id != b.id
    assert fake.requests[-1].stripe_account == "acct_x"


def test_failed_requests_are_not_replayed(fake: FakeStripe, client: stripe.StripeClient) -> None:
    account = client.v1.accounts.create(params={"type": "express", "country": "US"})
    params = {"amount": 500, "currency": "usd", "destination": account.id}
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.create(params=params, options={"idempotency_key": "payout-1"})
    fake.complete_onboarding(account.id)
    transfer = client.v1.transfers.create(params=params, options={"idempotency_key": "payout-1"})
    assert transfer.amount == 500


def test_concurrent_requests(fake: FakeStripe, client: stripe.StripeClient) -> None:
    ids: list[str] = []

    def worker() -> None:
        ids.append(client.v1.checkout.sessions.create(params=_session_params()).id)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 8


# -------------------------------------------------------------------------- refunds


def test_refunds_partial_then_rest(fake: FakeStripe, client: stripe.StripeClient) -> None:
    session = _paid_session(fake, client)
    pi = session.payment_intent
    partial = client.v1.refunds.create(
        params={"payment_intent": pi.id, "amount": 900, "reason": "requested_by_customer"}
    )
    assert (partial.amount, partial.charge, partial.status) == (900, pi.latest_charge.id, "succeeded")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(params={"charge": pi.latest_charge.id, "amount": 5000})
    assert info.value.code == "amount_too_large"
    rest = client.v1.refunds.create(params={"charge": pi.latest_charge.id})
    assert rest.amount == 3000
    assert client.v1.refunds.retrieve(rest.id).payment_intent == pi.id
    charge = client.v1.charges.retrieve(pi.latest_charge.id)
    assert (charge.amount_refunded, charge.refunded) == (3900, True)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(params={"charge": charge.id})
    assert info.value.code == "charge_already_refunded"
    assert fake.balance_of() == 3757 - 3900  # Stripe keeps its fee on refunds
    assert [e["data"]["object"]["amount_refunded"] for e in fake.events_of_type("charge.refunded")] == [
        900,
        3900,
    ]


def test_refund_control_returns_charge_refunded_event(fake: FakeStripe, client: stripe.StripeClient) -> None:
    charge_id = _paid_session(fake, client).payment_intent.latest_charge.id
    event = fake.refund_charge(charge_id, amount=1000)
    assert event["type"] == "charge.refunded"
    assert event["data"]["object"]["amount_refunded"] == 1000
    assert event["data"]["previous_attributes"] == {"amount_refunded": 0, "refunded": False}
    refund_id = event["data"]["object"]["refunds"]["data"][0]["id"]
    assert client.v1.refunds.retrieve(refund_id).amount == 1000


def test_refund_requires_a_target(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create(params={"amount": 100})
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.refunds.create(params={"charge": "ch_nope"})
    assert (info.value.http_status, info.value.param) == (400, "charge")


# ------------------------------------------------------------------------- connect


def test_express_account_and_onboarding(fake: FakeStripe, client: stripe.StripeClient) -> None:
    account = client.v1.accounts.create(
        params={
            "type": "express",
            "country": "FR",
            "email": "artist@example.com",
            "capabilities": {"transfers": {"requested": True}, "card_payments": {"requested": True}},
            "metadata": {"artist_id": "7"},
        }
    )
    assert account.id.startswith("acct_")
    assert (account.type, account.country, account.default_currency) == ("express", "FR", "eur")
    assert (account.charges_enabled, account.payouts_enabled, account.details_submitted) == (
        False,
        False,
        False,
    )
    assert account.capabilities.to_dict() == {"transfers": "inactive", "card_payments": "inactive"}

    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": "https://motif.test/connect/refresh",
            "return_url": "https://motif.test/connect/done",
        }
    )
    assert link.object == "account_link"
    assert link.url.startswith(f"{fake.url}/connect/onboarding/{account.id}/")
    assert link.expires_at > time.time()

    event = fake.complete_onboarding(account.id)
    assert event["type"] == "account.updated" and event["account"] == account.id
    assert event["data"]["previous_attributes"]["payouts_enabled"] is False
    fetched = client.v1.accounts.retrieve(account.id)
    assert (fetched.charges_enabled, fetched.payouts_enabled, fetched.details_submitted) == (True, True, True)
    assert fetched.capabilities.transfers == "active"
    assert fetched.requirements.currently_due == []
    assert fetched.metadata.artist_id == "7"


def test_account_link_validation(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.account_links.create(
            params={
                "account": "acct_nope",
                "type": "account_onboarding",
                "refresh_url": "https://x/r",
                "return_url": "https://x/d",
            }
        )
    assert (info.value.http_status, info.value.param) == (400, "account")


def test_hosted_onboarding_page_completes_and_redirects(
    fake: FakeStripe, client: stripe.StripeClient
) -> None:
    account = client.v1.accounts.create(params={"type": "express", "country": "US"})
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "type": "account_onboarding",
            "refresh_url": "https://motif.test/r",
            "return_url": "https://motif.test/done",
        }
    )
    with urllib.request.urlopen(link.url) as page:
        assert b"Complete onboarding" in page.read()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as info:
        opener.open(urllib.request.Request(link.url + "/complete", data=b"", method="POST"))
    assert (info.value.code, info.value.headers["Location"]) == (303, "https://motif.test/done")
    assert client.v1.accounts.retrieve(account.id).payouts_enabled is True


def test_hosted_checkout_page_pays_and_redirects(fake: FakeStripe, client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(params=_session_params())

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as info:
        opener.open(urllib.request.Request(session.url + "/pay", data=b"", method="POST"))
    assert info.value.headers["Location"] == f"https://motif.test/orders/42/thanks?session_id={session.id}"
    assert fake.events_of_type("checkout.session.completed")[0]["data"]["object"]["id"] == session.id


def test_transfers_refused_until_destination_is_enabled(
    fake: FakeStripe, client: stripe.StripeClient
) -> None:
    account = client.v1.accounts.create(
        params={"type": "express", "country": "US", "capabilities": {"transfers": {"requested": True}}}
    )
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.transfers.create(params={"amount": 100, "currency": "usd", "destination": account.id})
    assert (info.value.http_status, info.value.code) == (400, "insufficient_capabilities_for_transfer")
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.transfers.create(params={"amount": 100, "currency": "usd", "destination": "acct_nope"})
    assert info.value.param == "destination"
    fake.complete_onboarding(account.id)
    for bad in (0, -5):
        with pytest.raises(stripe.InvalidRequestError) as info:
            client.v1.transfers.create(params={"amount": bad, "currency": "usd", "destination": account.id})
        assert info.value.param == "amount"
    fake.update_account(account.id, payouts_enabled=False)
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.create(params={"amount": 100, "currency": "usd", "destination": account.id})
    assert fake.transfers_for("anything") == []


def test_separate_charges_and_transfers(fake: FakeStripe, client: stripe.StripeClient) -> None:
    artist_a, artist_b = _onboarded_account(fake, client), _onboarded_account(fake, client)
    charge = _paid_session(fake, client).payment_intent.latest_charge
    common = {"currency": "usd", "transfer_group": "order_42", "source_transaction": charge.id}
    t1 = client.v1.transfers.create(
        params={**common, "amount": 2100, "destination": artist_a, "metadata": {"line": "1"}}
    )
    t2 = client.v1.transfers.create(params={**common, "amount": 630, "destination": artist_b})
    assert (t1.amount, t1.destination, t1.transfer_group, t1.source_transaction) == (
        2100,
        artist_a,
        "order_42",
        charge.id,
    )
    assert t1.metadata.line == "1" and t1.reversed is False
    assert client.v1.transfers.retrieve(t1.id).amount_reversed == 0

    # The charge can't fund more than what is left of it.
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.transfers.create(params={**common, "amount": 3900 - 2730 + 1, "destination": artist_a})
    assert info.value.param == "amount"

    listed = client.v1.transfers.list(params={"transfer_group": "order_42"})
    assert [t.id for t in listed.data] == [t2.id, t1.id]  # newest first, like Stripe
    assert [t["id"] for t in fake.transfers_for("order_42")] == [t1.id, t2.id]
    assert client.v1.transfers.list(params={"transfer_group": "other"}).data == []
    assert (fake.balance_of(artist_a), fake.balance_of(artist_b)) == (2100, 630)
    assert fake.balance_of() == 3757 - 2730
    assert client.v1.balance.retrieve(options={"stripe_account": artist_a}).available[0].amount == 2100
    assert [e["data"]["object"]["id"] for e in fake.events_of_type("transfer.created")] == [t1.id, t2.id]


def test_transfer_list_pagination(fake: FakeStripe, client: stripe.StripeClient) -> None:
    artist = _onboarded_account(fake, client)
    made = [
        client.v1.transfers.create(
            params={"amount": n, "currency": "usd", "destination": artist, "transfer_group": "g"}
        ).id
        for n in range(1, 6)
    ]
    page = client.v1.transfers.list(params={"transfer_group": "g", "limit": 2})
    assert page.has_more and [t.id for t in page.data] == made[::-1][:2]
    assert [t.id for t in page.auto_paging_iter()] == made[::-1]


def test_reversals(fake: FakeStripe, client: stripe.StripeClient) -> None:
    artist = _onboarded_account(fake, client)
    transfer = client.v1.transfers.create(
        params={"amount": 1000, "currency": "usd", "destination": artist, "transfer_group": "order_9"}
    )
    partial = client.v1.transfers.reversals.create(
        transfer.id, params={"amount": 300, "metadata": {"why": "refund"}}
    )
    assert (partial.object, partial.amount, partial.transfer) == ("transfer_reversal", 300, transfer.id)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 701})
    assert info.value.param == "amount"

    event = fake.reverse_transfer(transfer.id)  # the rest
    assert event["type"] == "transfer.reversed"
    assert (event["data"]["object"]["amount_reversed"], event["data"]["object"]["reversed"]) == (1000, True)
    assert event["data"]["previous_attributes"] == {"amount_reversed": 300, "reversed": False}
    reversals = client.v1.transfers.reversals.list(transfer.id)
    assert [r.amount for r in reversals.data] == [700, 300]
    fetched = client.v1.transfers.retrieve(transfer.id)
    assert (fetched.amount_reversed, fetched.reversed) == (1000, True)
    assert fake.balance_of(artist) == 0
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.reversals.create(transfer.id)
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.transfers.reversals.create("tr_nope")
    assert info.value.http_status == 404


# ------------------------------------------------------------------ events, webhooks


def test_generated_events_are_retrievable_and_listable(fake: FakeStripe, client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(params=_session_params())
    completed = fake.complete_checkout(session.id)
    artist = _onboarded_account(fake, client)
    event = client.v1.events.retrieve(completed["id"])
    assert isinstance(event, stripe.Event)
    assert (event.type, event.data.object.id, event.livemode) == (
        "checkout.session.completed",
        session.id,
        False,
    )
    listed = client.v1.events.list(params={"type": "account.updated"})
    assert [e.data.object.id for e in listed.data] == [artist]


def test_expand_rejects_unexpandable_fields(client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(params=_session_params())
    with pytest.raises(stripe.InvalidRequestError) as info:
        client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["mode"]})
    assert "cannot be expanded" in str(info.value)
    # A null expandable stays null, as on Stripe.
    assert (
        client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["payment_intent"]}).payment_intent
        is None
    )


def test_raw_expand_bracket_append_form(fake: FakeStripe, client: stripe.StripeClient) -> None:
    session = _paid_session(fake, client)
    status, body, _ = _raw(
        fake,
        "GET",
        f"/v1/checkout/sessions/{session.id}?expand[]=payment_intent",
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert status == 200 and body["payment_intent"]["object"] == "payment_intent"


def test_sign_payload_verifies_with_the_real_sdk(fake: FakeStripe, client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(params=_session_params())
    secret = "whsec_test_secret"
    payload, header = fake.webhook_payload(fake.complete_checkout(session.id), secret)
    event = stripe.Webhook.construct_event(payload, header, secret)
    assert event.type == "checkout.session.completed" and event.data.object.id == session.id

    ts = 1_700_000_000
    assert sign_payload(b"{}", secret, ts) == (
        f"t={ts},v1=" + __import__("hmac").new(secret.encode(), f"{ts}.{{}}".encode(), "sha256").hexdigest()
    )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload + b" ", header, secret)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, sign_payload(payload, "whsec_other"), secret)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(
            payload, sign_payload(payload, secret, int(time.time()) - 3600), secret
        )
