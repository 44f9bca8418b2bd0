"""Fixtures the marketplace's workflow tests share."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest

from tests.conftest import PURCHASE_QUEUES, embedded_worker


@pytest.fixture
def local_gateway(settings: Any) -> None:
    """Payments on the local test gateway (no Stripe key; it is refused unless DEBUG is on)."""
    settings.STRIPE_SECRET_KEY = ""
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def production_worker(transactional_db: None) -> Iterator[dramatiq.Worker]:
    """The embedded worker on the queues of a purchase, from payment to the chain."""
    with embedded_worker(PURCHASE_QUEUES) as running:
        yield running
