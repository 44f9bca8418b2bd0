"""Shared fixtures: people by role, images made on the fly, listings, and an in-process worker."""

from __future__ import annotations

import contextlib
import io
import itertools
import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import dramatiq
import numpy as np
import pytest
from PIL import Image
from rest_framework.test import APIClient

from marketplace.models import BasePattern, Product, ProductSize, Style, User
from marketplace.services.accounts import user_register
from marketplace.services.catalogue import PatternRepeat, pattern_create, style_create
from marketplace.services.licence_terms import LicenceTerms

PASSWORD = "a-long-test-password"
IN_CI = os.environ.get("CI") == "true"


# A ship-to address for checkouts of printed products (US: the default "United States" zone).
SHIP_TO = {
    "name": "Bea Buyer",
    "line1": "1 Test Street",
    "line2": "",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}


# Outside tests/stylization (where the engine's own schedules are what is tested) a render only has
# to be a real render: the workflow, payment, provenance and page tests run a tenth of its iterations.
WORKFLOW_SCHEDULE = (6, 4, 2)


@pytest.fixture(autouse=True)
def workflow_render_schedule(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if "stylization" in request.path.parts:
        return
    from stylization.engine import engine as engine_module

    monkeypatch.setattr(engine_module, "PREVIEW_SCHEDULE", WORKFLOW_SCHEDULE)
    monkeypatch.setattr(engine_module, "GLOBAL_SCHEDULE", WORKFLOW_SCHEDULE)


def skip_or_fail(reason: str) -> None:
    """Optional tools (Chromium, anvil, Redis) skip a test locally, but CI must have them."""
    if IN_CI:
        pytest.fail(f"CI must be able to run this test: {reason}")
    pytest.skip(reason)


def pattern_bytes(repeat_type: str, side: int, seed: int = 3) -> bytes:
    """A real seamless repeat of the given type, as designers upload them."""
    from stylization.engine import generate_pattern

    out = io.BytesIO()
    generate_pattern(repeat_type, size=side, seed=seed).save(out, format="PNG")
    return out.getvalue()


def image_bytes(width: int = 96, height: int = 96, *, fmt: str = "PNG", seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, size=(height // 8 + 1, width // 8 + 1, 3), dtype=np.uint8)
    image = Image.fromarray(pixels).resize((width, height), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _media_root(settings: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STYLIZATION_PREVIEW_SIZE = 96
    settings.STYLIZATION_CACHE_DIR = str(tmp_path_factory.mktemp("style-cache"))
    # Listing a style would queue a real training on the worker; the style-model tests turn it on.
    settings.STYLIZATION_STYLE_MODELS = False


@pytest.fixture(autouse=True)
def _shipping_rates(request: pytest.FixtureRequest) -> None:
    """The default shipping zones and rates, which a transactional test's flush takes away."""
    uses = {"db", "transactional_db", "live_server"} & set(request.fixturenames)
    if uses:
        from marketplace.services.shipping import shipping_defaults_install

        request.getfixturevalue("transactional_db" if uses - {"db"} else "db")
        shipping_defaults_install()


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    """People by role. "printer" is granted, never chosen: that account signs up as a buyer, applies as
    a print shop and is approved (as by an operator), through the same services as the site."""
    from marketplace.services.print_shops import print_shop_apply, print_shop_approve

    counter = iter(range(10_000))

    def make(*roles: str, username: str | None = None) -> User:
        name = username or f"{'-'.join(roles) or 'user'}{next(counter)}"
        chosen = [role for role in roles if role != "printer"] or ["buyer"]
        user = user_register(username=name, password=PASSWORD, email=f"{name}@example.com", roles=chosen)
        if "printer" in roles:
            print_shop_approve(shop=print_shop_apply(user=user, name=f"{name} prints"), actor=None)
            user = User.objects.get(pk=user.pk)
        return user

    return make


@pytest.fixture
def artist(make_user: Callable[..., User]) -> User:
    return make_user("artist")


@pytest.fixture
def designer(make_user: Callable[..., User]) -> User:
    return make_user("designer")


@pytest.fixture
def buyer(make_user: Callable[..., User]) -> User:
    return make_user("buyer")


@pytest.fixture
def make_style(artist: User) -> Callable[..., Style]:
    # Each style is its own artwork: two artists listing the same image is style laundering, refused.
    seeds = itertools.count(7)

    def make(owner: User | None = None, *, tags: tuple[str, ...] = ("blue",), **terms: Any) -> Style:
        defaults: dict[str, Any] = {
            "allowed_uses": ("personal", "commercial"),
            "fee_per_use": Decimal("2.00"),
            "royalty_percent": Decimal("10"),
        }
        defaults.update(terms)
        return style_create(
            artist=owner or artist,
            title="Test style",
            image=image_bytes(128, 96, fmt="JPEG", seed=next(seeds)),
            terms=LicenceTerms(**defaults),
            tags=tags,
        )

    return make


@pytest.fixture
def make_pattern(designer: User) -> Callable[..., BasePattern]:
    def make(
        owner: User | None = None, *, repeat_type: str = "basic", side: int = 96, **kw: Any
    ) -> BasePattern:
        return pattern_create(
            designer=owner or designer,
            title=kw.pop("title", "Test pattern"),
            image=pattern_bytes(repeat_type, side),
            repeat=PatternRepeat(
                repeat_type=repeat_type, dpi=72, royalty_percent=kw.pop("royalty", Decimal("5"))
            ),
            tags=kw.pop("tags", ("floral",)),
        )

    return make


@pytest.fixture
def style(make_style: Callable[..., Style]) -> Style:
    return make_style()


@pytest.fixture
def pattern(make_pattern: Callable[..., BasePattern]) -> BasePattern:
    return make_pattern()


def create_products(*, swatch_inches: int = 8) -> dict[str, ProductSize]:
    """A personal-use cotton (swatch and yard) and a commercial canvas swatch."""
    cotton = Product.objects.create(slug="cotton", name="Quilting cotton", substrate="fabric", use="personal")
    canvas = Product.objects.create(slug="canvas", name="Canvas", substrate="fabric", use="commercial")
    swatch = {
        "slug": f"swatch-{swatch_inches}x{swatch_inches}",
        "name": "Swatch",
        "width_in": swatch_inches,
        "height_in": swatch_inches,
    }
    return {
        "swatch": ProductSize.objects.create(product=cotton, price=Decimal("5.00"), **swatch),
        "yard": ProductSize.objects.create(
            product=cotton, slug="yard", name="Yard", width_in=36, height_in=42, price=Decimal("24.00")
        ),
        "commercial": ProductSize.objects.create(product=canvas, price=Decimal("7.00"), **swatch),
    }


@pytest.fixture
def products(db: None) -> dict[str, ProductSize]:
    return create_products()


@pytest.fixture
def client_for() -> Callable[[User | None], APIClient]:
    def make(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def worker(transactional_db: None) -> Iterator[dramatiq.Worker]:
    """The embedded worker (StubBroker) on threads, as `make run` runs it. Tests that use it need
    committed data, hence `transactional_db`."""
    from config.worker import start_embedded_worker

    broker = dramatiq.get_broker()
    _reset_stub_queues(broker)
    running = start_embedded_worker(threads=1, requeue=False)
    yield running
    running.stop()
    # A stopped worker leaves its middleware on the broker; drop it so workers do not pile up.
    broker.middleware[:] = [m for m in broker.middleware if getattr(m, "worker", None) is not running]
    _reset_stub_queues(broker)


# Every queue a purchase goes through, previews excepted (they would hold the one worker thread).
PURCHASE_QUEUES = frozenset({"render", "vectorize", "provenance", "fulfilment", "chain", "payouts", "email"})


@contextlib.contextmanager
def embedded_worker(queues: frozenset[str] | set[str]) -> Iterator[dramatiq.Worker]:
    """The embedded worker (one thread) on `queues`, on fresh stub queues, removed afterwards."""
    from config.worker import start_embedded_worker

    broker = dramatiq.get_broker()
    _reset_stub_queues(broker)
    running = start_embedded_worker(threads=1, requeue=False, watchdog=False, queues=set(queues))
    try:
        yield running
    finally:
        running.stop()
        broker.middleware[:] = [m for m in broker.middleware if getattr(m, "worker", None) is not running]
        _reset_stub_queues(broker)


@pytest.fixture
def stylization_worker(transactional_db: None) -> Iterator[dramatiq.Worker]:
    """A worker thread for the stylization actors alone (previews, style models): the embedded worker
    also loads every other app's actors, which these tests do not need."""
    import stylization.tasks  # noqa: F401  # declares the stylization queues

    broker = dramatiq.get_broker()
    _reset_stub_queues(broker)
    running = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
    running.start()
    yield running
    running.stop()
    broker.middleware[:] = [m for m in broker.middleware if getattr(m, "worker", None) is not running]
    _reset_stub_queues(broker)


def _reset_stub_queues(broker: Any) -> None:
    """Fresh queues: a message an earlier test took but never finished would make join() wait forever."""
    for name in list(broker.queues):
        broker.queues[name] = type(broker.queues[name])()


def join_all(timeout_ms: int = 300_000, *, queues: set[str] | None = None) -> None:
    """Wait until every queue (or only `queues`, the ones a test's worker consumes) is drained.
    Jobs enqueue further jobs (render → its callback → vectorize → ...), so it goes round until a
    whole pass finds nothing left."""
    broker = dramatiq.get_broker()
    watched = queues if queues is not None else set(broker.get_declared_queues())
    for _ in range(40):
        for queue in sorted(watched & set(broker.get_declared_queues())):
            broker.join(queue, fail_fast=True, timeout=timeout_ms)
        if all(q.unfinished_tasks == 0 for name, q in broker.queues.items() if name.split(".")[0] in watched):
            return
    pending = {name: q.unfinished_tasks for name, q in broker.queues.items() if q.unfinished_tasks}
    raise AssertionError(f"the queues do not drain: {pending}")
