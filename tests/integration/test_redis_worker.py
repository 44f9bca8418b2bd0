"""A personalization flows through the real thing: the API server process enqueues to Redis and a
separate `dramatiq` worker process renders it. A worker killed by SIGKILL mid-job leaves the job to
be retried by another worker and finished once."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis

from marketplace.models import JobStatus, Personalization
from marketplace.services.accounts import user_token
from tests.conftest import skip_or_fail
from tests.integration.processes import call, process_env, start_server, start_worker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def redis_env() -> dict[str, str]:
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        skip_or_fail(f"Redis is not reachable at {url}; start redis-server or set TEST_REDIS_URL.")
    return {
        "DRAMATIQ_BROKER_URL": url,
        "DRAMATIQ_NAMESPACE": f"motif-test-{uuid.uuid4().hex[:8]}",
        "MOTIF_EMBEDDED_WORKER": "false",
    }


def test_personalization_flows_through_a_real_worker_on_redis(
    redis_env: dict[str, str], buyer: Any, pattern: Any, style: Any, tmp_path: Path
) -> None:
    env = process_env(STYLIZATION_PREVIEW_SIZE="96", **redis_env)
    server, base = start_server(env, tmp_path / "server.log")
    worker = start_worker(env, tmp_path / "worker.log")
    try:
        token = user_token(user=buyer)
        created = call(
            base,
            "POST",
            "/api/v1/personalizations/",
            {"pattern": pattern.pk, "style": style.pk, "params": {"strength": 0.8, "seed": 5}},
            token,
        )
        assert created["status"] == "queued"

        def finished() -> Any:
            body = call(base, "GET", f"/api/v1/personalizations/{created['id']}/", token=token)
            return body if body["status"] in ("done", "failed") else None

        body = wait_for(finished, timeout=180, what="the preview", processes=(server, worker))
        assert body["status"] == "done", body
        assert body["progress"] == 100 and body["preview_url"]
        assert body["engine_info"]["encoder"]
    finally:
        worker.kill()
        server.kill()


def test_a_worker_killed_mid_job_leaves_it_to_be_retried_and_finished_once(
    redis_env: dict[str, str], buyer: Any, pattern: Any, style: Any, tmp_path: Path
) -> None:
    from django.db import transaction

    from marketplace.services.personalizations import personalization_create

    env = process_env(
        STYLIZATION_PREVIEW_SIZE="320",  # long enough to be caught running
        DRAMATIQ_HEARTBEAT_TIMEOUT_MS="2000",
        DRAMATIQ_MAINTENANCE_CHANCE="1000000",
        **redis_env,
    )
    first = start_worker(env, tmp_path / "worker-1.log")
    second = None
    try:
        # Sent through Redis exactly as the web process sends it.
        import dramatiq
        from dramatiq.brokers.redis import RedisBroker

        from stylization.tasks import stylize

        broker = RedisBroker(url=env["DRAMATIQ_BROKER_URL"], namespace=env["DRAMATIQ_NAMESPACE"])
        broker.declare_queue("stylize")
        with transaction.atomic():
            personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style, seed=1)
        dramatiq.get_broker().flush_all()  # the test process's own StubBroker copy is not used here
        broker.enqueue(stylize.message(personalization.pk))

        def running() -> bool:
            p = Personalization.objects.get(pk=personalization.pk)
            return p.status == JobStatus.RUNNING and p.progress >= 6

        wait_for(running, timeout=120, what="the job to run", processes=(first,))
        first.kill()  # SIGKILL to the worker's whole process group
        assert Personalization.objects.get(pk=personalization.pk).status == JobStatus.RUNNING

        second = start_worker(env, tmp_path / "worker-2.log")

        def done() -> bool:
            return Personalization.objects.get(pk=personalization.pk).status in (
                JobStatus.DONE,
                JobStatus.FAILED,
            )

        wait_for(done, timeout=240, what="the retried job", processes=(first, second))
        finished = Personalization.objects.get(pk=personalization.pk)
        assert finished.status == JobStatus.DONE, finished.error
        assert finished.attempts == 2
        assert finished.preview.name
    finally:
        first.kill()
        if second is not None:
            second.kill()
