"""Shared fixtures: people by role, images made on the fly, listings, and an in-process worker."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Iterator
from typing import Any

import dramatiq
import pytest
from rest_framework.test import APIClient

from marketplace.models import BasePattern, ProductSize, Style, User
from tests.factories import PASSWORD as PASSWORD
from tests.factories import SHIP_TO as SHIP_TO
from tests.factories import image_bytes as image_bytes
from tests.factories import pattern_bytes as pattern_bytes
from tests.factories import pattern_make, products_make, style_make, user_make

IN_CI = os.environ.get("CI") == "true"


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
    """People by role (see tests.factories.user_make); names count from 0 in each test."""
    counter = iter(range(10_000))

    def make(*roles: str, username: str | None = None) -> User:
        return user_make(*roles, username=username or f"{'-'.join(roles) or 'user'}{next(counter)}")

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
        return style_make(artist=owner or artist, tags=tags, artwork_seed=next(seeds), **terms)

    return make


@pytest.fixture
def make_pattern(designer: User) -> Callable[..., BasePattern]:
    def make(
        owner: User | None = None, *, repeat_type: str = "basic", side: int = 96, **kw: Any
    ) -> BasePattern:
        return pattern_make(designer=owner or designer, repeat_type=repeat_type, side=side, **kw)

    return make


@pytest.fixture
def style(make_style: Callable[..., Style]) -> Style:
    return make_style()


@pytest.fixture
def pattern(make_pattern: Callable[..., BasePattern]) -> BasePattern:
    return make_pattern()


create_products = products_make


@pytest.fixture
def products(db: None) -> dict[str, ProductSize]:
    return products_make()


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
