"""Sending a background job by its actor's name.

The marketplace is the lowest of the three apps: stylization and provenance import its models, so
it must not import their actors back (that was the import cycle orders → stylization → provenance →
orders). It names them instead, as Dramatiq's own callbacks do, and the broker finds the actor. A
process that has not declared an actor yet (a web worker before its first job) declares them all
once, from every app's `tasks` module."""

from __future__ import annotations

import threading
from typing import Any

import dramatiq
from django.utils.module_loading import autodiscover_modules
from dramatiq.errors import ActorNotFound

# Actors of the other apps that the marketplace sends.
STYLIZE = "stylize"
RENDER = "render"
VECTORIZE = "vectorize"
ATTRIBUTE = "attribute_order_line"
# Revoke on chain the attribution records of a listing whose infringement claim was upheld.
REVOKE_LISTING_RECORDS = "revoke_listing_records"
# The fulfilment workflow's own actors, named by the steps' callbacks (marketplace.tasks).
STEP_DONE = "order_line_step_done"
STEP_EXHAUSTED = "order_line_step_exhausted"
ADVANCE = "order_line_advance_job"
REFUND_LINE = "order_line_refund_job"
REFUND_PAYMENT = "payment_refund_job"
SEND_EMAIL = "email_send_job"

_discovery = threading.Lock()


def actor_named(name: str) -> dramatiq.Actor[Any, Any]:
    broker = dramatiq.get_broker()
    try:
        return broker.get_actor(name)
    except ActorNotFound:
        with _discovery:
            autodiscover_modules("tasks")
        return broker.get_actor(name)


def send(name: str, *args: Any) -> None:
    actor_named(name).send(*args)
