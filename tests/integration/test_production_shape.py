"""The production shape, end to end: gunicorn (config/deploy/gunicorn.conf.py) on PostgreSQL, the
three worker pools of config/queues.py as separate processes on Redis, media on S3 (moto's server on
loopback) and the chain on anvil. A buyer previews, orders, pays (the local gateway) and the order
renders; the `gpu` pool is killed (SIGKILL, the whole process tree) in the middle of the final
render and started again, and the order still ends ready, with its outputs in the bucket, its
attribution record confirmed on the chain and its print file downloadable through a presigned URL."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
from django.db import connection

from marketplace.models import OrderLine
from marketplace.services.accounts import user_token
from marketplace.services.catalogue import PatternRepeat, pattern_create, style_create
from marketplace.services.licence_terms import LicenceTerms
from tests.conftest import SHIP_TO, create_products, image_bytes, pattern_bytes, skip_or_fail
from tests.integration.processes import ROOT, call, free_port, process_env, wait_for
from tests.security.s3 import client as s3_client
from tests.security.s3 import moto_s3

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


class Proc:
    """A process in a session of its own, so SIGKILL takes its whole tree (pools fork workers)."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._fh = log.open("ab")
        self.popen = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=self._fh, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, sig)
        try:
            self.popen.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        self._fh.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@pytest.fixture
def shape_env(settings: Any, tmp_path: Path) -> Iterator[dict[str, str]]:
    if connection.vendor != "postgresql":
        skip_or_fail("the production shape runs on PostgreSQL: set DATABASE_URL=postgres://…")
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        skip_or_fail(f"Redis is not reachable at {redis_url}.")
    if not (ROOT / "node_modules" / ".bin" / "anvil").exists() or not shutil.which(
        "moto_server", path=str(Path(sys.executable).parent)
    ):
        skip_or_fail("anvil (npm install) and moto_server (pip) are needed for the production shape.")
    from provenance.local_node import ANVIL_CHAIN_ID, ANVIL_DEV_PRIVATE_KEY, start_anvil

    node = start_anvil(state_file=tmp_path / "chain.json", port=free_port())
    if node is None:
        skip_or_fail("anvil did not start.")
    try:
        with moto_s3(tmp_path / "moto.log") as s3:
            for key, value in s3.items():
                setattr(settings, key, value)
            settings.AWS_S3_ADDRESSING_STYLE = "path"
            settings.STORAGES = {
                **settings.STORAGES,
                "default": {"BACKEND": "storages.backends.s3.S3Storage"},
            }
            env = process_env(
                DEBUG="true",  # the local payment gateway (no Stripe here)
                DRAMATIQ_BROKER_URL=redis_url,
                DRAMATIQ_NAMESPACE=f"motif-shape-{uuid.uuid4().hex[:8]}",
                MOTIF_EMBEDDED_WORKER="false",
                DRAMATIQ_HEARTBEAT_TIMEOUT_MS="3000",
                DRAMATIQ_MAINTENANCE_CHANCE="1000000",
                # A killed render's lease lapses in seconds, and the web-side pool's watchdog looks often.
                FULFILMENT_LEASE_S="5",
                FULFILMENT_SWEEP_INTERVAL_S="2",
                MEDIA_STORAGE_BACKEND="s3",
                **s3,
                CHAIN_RPC_URL=node.url,
                CHAIN_ID=str(ANVIL_CHAIN_ID),
                CHAIN_PRIVATE_KEY=ANVIL_DEV_PRIVATE_KEY,
                STYLIZATION_PREVIEW_SIZE="96",
                STYLIZATION_STYLE_MODELS="false",  # no style-model training competing for the 2 cores
                OMP_NUM_THREADS="1",
                GUNICORN_WORKERS="2",
                GUNICORN_THREADS="2",
                GUNICORN_ACCESSLOG="",
            )
            yield env
    finally:
        node.stop()


def _gunicorn(env: dict[str, str], log: Path) -> tuple[Proc, str]:
    port = free_port()
    proc = Proc(
        [sys.executable, "-m", "gunicorn", "-c", "config/deploy/gunicorn.conf.py", "config.wsgi"],
        dict(env, GUNICORN_BIND=f"127.0.0.1:{port}"),
        log,
    )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return urllib.request.urlopen(f"{base}/healthz/", timeout=2).status == 200
        except OSError:
            return False

    wait_for(up, timeout=90, what="gunicorn", processes=(proc,))
    return proc, base


def _pool(name: str, env: dict[str, str], log: Path) -> Proc:
    return Proc([sys.executable, "manage.py", "runpool", name], env, log)


def test_a_purchase_survives_the_gpu_pool_dying_mid_render(
    shape_env: dict[str, str], make_user: Any, tmp_path: Path
) -> None:
    designer, artist, buyer = make_user("designer"), make_user("artist"), make_user("buyer")
    # 384 px at 72 DPI: a final render long enough on the CPU to be caught running.
    pattern = pattern_create(
        designer=designer,
        title="Shape tile",
        image=pattern_bytes("basic", 384),
        repeat=PatternRepeat(dpi=72, royalty_percent=Decimal("5")),
    )
    style = style_create(
        artist=artist,
        title="Shape style",
        image=image_bytes(128, 96, fmt="JPEG", seed=7),
        terms=LicenceTerms(allowed_uses=("personal",), fee_per_use=Decimal("1")),
    )
    sizes = create_products()
    token = user_token(user=buyer)

    web, base = _gunicorn(shape_env, tmp_path / "web.log")
    pools = {
        name: _pool(name, shape_env, tmp_path / f"pool-{name}.log") for name in ("web-side", "gpu", "chain")
    }

    def procs() -> tuple[Proc, ...]:
        return (web, *pools.values())

    def alive(predicate: Any) -> Any:
        """The predicate, but a process that died (other than one killed on purpose) fails at once."""

        def check() -> Any:
            dead = [p for p in procs() if p.popen.poll() is not None]
            if dead:
                raise AssertionError("\n\n".join(f"--- {p.log.name} exited\n{p.output()}" for p in dead))
            return predicate()

        return check

    try:
        created = call(
            base, "POST", "/api/v1/personalizations/", {"pattern": pattern.pk, "style": style.pk}, token
        )

        def preview_done() -> Any:
            body = call(base, "GET", f"/api/v1/personalizations/{created['id']}/", token=token)
            return body if body["status"] in ("done", "failed") else None

        assert (
            wait_for(alive(preview_done), timeout=240, what="the preview", processes=procs())["status"]
            == "done"
        )

        order = call(
            base,
            "POST",
            "/api/v1/orders/",
            {
                "lines": [
                    {
                        "personalization": created["id"],
                        "product": sizes["swatch"].product_id,
                        "size": sizes["swatch"].slug,
                        "quantity": 1,
                    }
                ]
            },
            token,
        )
        checkout = call(
            base, "POST", f"/api/v1/orders/{order['id']}/checkout/", {"shipping_address": SHIP_TO}, token
        )
        assert checkout["checkout_url"].startswith(base)  # built from the request, not SITE_URL
        paid = call(
            base,
            "POST",
            f"/api/v1/payments/local/{checkout['payment']}/confirm/",
            {"outcome": "succeeded"},
            token,
        )
        assert paid["status"] == "succeeded"

        line_id = order["lines"][0]["id"]

        def rendering() -> bool:
            line = OrderLine.objects.get(pk=line_id)
            return line.stage == "rendering" and line.render_progress >= 2

        wait_for(alive(rendering), timeout=240, what="the final render to be running", processes=procs())
        pools["gpu"].kill()  # SIGKILL to the pool and every worker process under it
        assert OrderLine.objects.get(pk=line_id).stage == "rendering"
        pools["gpu"] = _pool("gpu", shape_env, tmp_path / "pool-gpu-2.log")

        def ready() -> Any:
            body = call(base, "GET", f"/api/v1/orders/{order['id']}/", token=token)
            return (
                body
                if body["status"] in ("proof_ready", "fulfilled", "needs_attention", "refunded")
                else None
            )

        final = wait_for(alive(ready), timeout=600, what="the order to be ready", processes=procs())
        assert final["status"] == "proof_ready", json.dumps(final, indent=1)
        line = OrderLine.objects.get(pk=line_id)
        assert line.render_attempts == 2  # the killed attempt and the one that finished

        # Every output is in the (private) bucket. A print sells a print: its buyer gets no production
        # file, and views the proof, made from the sheet read back from the bucket.
        bucket = shape_env["AWS_STORAGE_BUCKET_NAME"]
        keys = {o["Key"] for o in s3_client(shape_env).list_objects_v2(Bucket=bucket)["Contents"]}
        assert {line.print_png.name, line.print_sheet.name} <= keys
        assert final["lines"][0]["files"]["print_png"] is None
        request = urllib.request.Request(f"{base}/api/v1/orders/{order['id']}/lines/{line_id}/proof/")
        request.add_header("Authorization", f"Token {token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.read()[:8] == b"\x89PNG\r\n\x1a\n"

        # The single chain writer anchored the attribution record.
        def anchored() -> Any:
            body = call(base, "GET", f"/api/v1/orders/{order['id']}/", token=token)
            record = body["lines"][0]["provenance_record"]
            return record if record and record["status"] == "confirmed" else None

        assert wait_for(alive(anchored), timeout=180, what="the chain record", processes=procs())
    finally:
        for proc in procs():
            proc.kill(signal.SIGTERM)
