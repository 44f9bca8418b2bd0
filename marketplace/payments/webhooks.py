"""Stripe webhooks: an event is verified and stored once (`webhook_event_receive`), then handled
(`webhook_event_process`). The event's payload is only trusted for the object's id: every handler
re-fetches the object from Stripe and acts on its state now, so events may arrive late, twice or
out of order. Each handler ends in idempotent services; the payment services never import this
module."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from marketplace.payments.gateways import stripe_client, stripe_metadata
from marketplace.payments.models import Payment, PaymentStatus, WebhookEvent
from marketplace.payments.refunds import payment_refunds_sync
from marketplace.payments.selectors import payment_find_stripe
from marketplace.payments.services import payment_abandon, payment_decline_record, payment_succeed
from marketplace.royalties.onboarding import payee_account_sync
from marketplace.royalties.reversals import royalty_transfer_reversals_sync
from marketplace.services.orders import order_address_from_gateway

log = logging.getLogger(__name__)


def _object_id(payload: dict[str, Any]) -> str:
    return str(payload["data"]["object"]["id"])


def _succeed_from_charge(payment: Payment, charge: Any) -> None:
    if charge.status == "succeeded" and charge.paid:
        payment_succeed(
            payment=payment,
            charge_id=charge.id,
            payment_intent_id=str(charge.payment_intent or ""),
            amount_cents=charge.amount,
            currency=charge.currency,
        )


def _session_settled(payload: dict[str, Any]) -> None:
    """checkout.session.completed / async_payment_succeeded: paid only if Stripe says so now."""
    client = stripe_client()
    session = client.v1.checkout.sessions.retrieve(_object_id(payload))
    payment = payment_find_stripe(
        session_id=session.id, metadata_payment=stripe_metadata(session).get("payment", "")
    )
    if payment is None:
        log.warning("Checkout session %s belongs to no payment.", session.id)
        return
    _record_collected_address(payment, session)
    if session.payment_status != "paid" or not session.payment_intent:
        return  # a delayed method: async_payment_succeeded will follow
    intent = client.v1.payment_intents.retrieve(str(session.payment_intent))
    if intent.status != "succeeded" or not intent.latest_charge:
        return
    charge = client.v1.charges.retrieve(str(intent.latest_charge))
    _succeed_from_charge(payment, charge)


def _record_collected_address(payment: Any, session: Any) -> None:
    """The address the buyer confirmed on Stripe Checkout replaces the one given at checkout (only a
    session that collected one: those opened before the address was asked once, in the cart)."""
    collected = getattr(session, "collected_information", None) or {}
    details = (collected.get("shipping_details") if hasattr(collected, "get") else None) or getattr(
        session, "shipping_details", None
    )
    if not details or not details.get("address"):
        return
    address = details["address"]
    order_address_from_gateway(
        order_id=payment.order_id,
        address={
            "name": details.get("name") or "",
            "line1": address.get("line1") or "",
            "line2": address.get("line2") or "",
            "city": address.get("city") or "",
            "state": address.get("state") or "",
            "postal_code": address.get("postal_code") or "",
            "country": address.get("country") or "",
        },
    )


def _session_expired(payload: dict[str, Any]) -> None:
    session = stripe_client().v1.checkout.sessions.retrieve(_object_id(payload))
    payment = payment_find_stripe(session_id=session.id)
    if payment is not None and session.status == "expired":
        payment_abandon(payment=payment, status=PaymentStatus.EXPIRED)


def _payment_failed(payload: dict[str, Any]) -> None:
    intent = stripe_client().v1.payment_intents.retrieve(_object_id(payload))
    payment = payment_find_stripe(
        payment_intent_id=intent.id, metadata_payment=stripe_metadata(intent).get("payment", "")
    )
    if payment is None or intent.status == "succeeded":
        return
    error = intent.last_payment_error
    payment_decline_record(payment=payment, message=str(error.message if error else "The payment failed."))


def _charge_refunded(payload: dict[str, Any]) -> None:
    client = stripe_client()
    charge = client.v1.charges.retrieve(_object_id(payload), params={"expand": ["refunds"]})
    payment = payment_find_stripe(
        charge_id=charge.id,
        payment_intent_id=str(charge.payment_intent or ""),
        metadata_payment=stripe_metadata(charge).get("payment", ""),
    )
    if payment is None:
        log.warning("Refunded charge %s belongs to no payment.", charge.id)
        return
    # The refund may be delivered before the completion: the charge itself proves the payment.
    _succeed_from_charge(payment, charge)
    refunds = charge.refunds.data if charge.refunds else []
    payment_refunds_sync(payment=payment, stripe_refunds=list(refunds))


def _account_updated(payload: dict[str, Any]) -> None:
    account = stripe_client().v1.accounts.retrieve(payload.get("account") or _object_id(payload))
    payee_account_sync(stripe_account=account)


def _transfer_reversed(payload: dict[str, Any]) -> None:
    client = stripe_client()
    transfer = client.v1.transfers.retrieve(_object_id(payload))
    reversals = client.v1.transfers.reversals.list(transfer.id, params={"limit": 100})
    royalty_transfer_reversals_sync(stripe_transfer_id=transfer.id, reversals=list(reversals.data))


HANDLERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "checkout.session.completed": _session_settled,
    "checkout.session.async_payment_succeeded": _session_settled,
    "checkout.session.expired": _session_expired,
    "payment_intent.payment_failed": _payment_failed,
    "charge.refunded": _charge_refunded,
    "account.updated": _account_updated,
    "transfer.reversed": _transfer_reversed,
}


def handle_event(*, event_type: str, payload: dict[str, Any]) -> None:
    handler = HANDLERS.get(event_type)
    if handler is not None:
        handler(payload)


class WebhookRejected(Exception):
    """Unsigned, mis-signed, stale or malformed: 400, and nothing is stored."""


def webhook_event_receive(*, payload: bytes, signature: str | None) -> tuple[WebhookEvent, bool]:
    """Verify the Stripe-Signature over the raw body and store the event once (by its id).
    Returns the row and whether it still needs processing."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise WebhookRejected("Webhooks are not configured (STRIPE_WEBHOOK_SECRET is empty).")
    if not signature:
        raise WebhookRejected("Missing Stripe-Signature header.")
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, secret, tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_S
        )
    except stripe.SignatureVerificationError as exc:
        raise WebhookRejected(f"Bad signature: {exc.user_message or exc}") from exc
    except (ValueError, TypeError, AttributeError, KeyError) as exc:  # not JSON, or not an object
        raise WebhookRejected("Malformed JSON payload.") from exc
    del event  # verified; keep the body exactly as Stripe sent it (the SDK turns some fields into Decimals)
    body = json.loads(payload)
    if not isinstance(body, dict):
        raise WebhookRejected("Not a Stripe event.")
    event_id, event_type = body.get("id"), body.get("type")
    data = body.get("data")
    if not isinstance(event_id, str) or not isinstance(event_type, str) or not isinstance(data, dict):
        raise WebhookRejected("Not a Stripe event.")
    if not isinstance(data.get("object"), dict) or not isinstance(data["object"].get("id"), str):
        raise WebhookRejected("The event has no object id.")
    with transaction.atomic():
        row, _ = WebhookEvent.objects.get_or_create(
            stripe_event_id=event_id, defaults={"type": event_type, "payload": body}
        )
    return row, row.processed_at is None


def webhook_event_process(*, event_row_id: int) -> WebhookEvent:
    """Run the event's handler; mark it processed only after the handler committed."""
    row = WebhookEvent.objects.get(pk=event_row_id)
    if row.processed_at is not None:
        return row
    WebhookEvent.objects.filter(pk=row.pk).update(attempts=row.attempts + 1)
    try:
        handle_event(event_type=row.type, payload=row.payload)
    except Exception as exc:
        WebhookEvent.objects.filter(pk=row.pk).update(last_error=f"{type(exc).__name__}: {exc}"[:4000])
        raise
    WebhookEvent.objects.filter(pk=row.pk, processed_at=None).update(
        processed_at=timezone.now(), last_error=""
    )
    row.refresh_from_db()
    return row
