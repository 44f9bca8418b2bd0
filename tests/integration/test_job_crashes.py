"""A crash loses no refund and no takedown: `manage.py serve` (the site with its embedded worker, as
`make run` runs it) is killed with SIGKILL while the job is in hand, and started again.

The embedded broker keeps its messages in the process's memory, so the kill loses the message; the
job's row in the database is what brings it back. The outside boundaries are loopback servers: the
fake Stripe (down for refunds until the kill, so the job is caught between its tries), and for
the chain anvil, behind a first address that accepts connections and never answers (so the
revocation is caught while it waits on the node). One kill catches both jobs, so the server starts
twice, not four times."""

from __future__ import annotations

import http.cookiejar
import re
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from marketplace.models import InfringementReport, ModerationDecision, OrderStatus
from marketplace.payments.models import Payment, PaymentStatus
from marketplace.payments.services import payment_checkout_start
from marketplace.services.fulfilment import order_line_deliver
from marketplace.services.orders import OrderLineRequest, order_cancel, order_create
from marketplace.services.personalizations import personalization_create
from provenance.chain_access import chain_client, forget_chain_client
from provenance.local_node import ANVIL_CHAIN_ID, ANVIL_DEV_PRIVATE_KEY, anvil_binary, start_anvil
from provenance.models import AttributionRecord
from provenance.services import attribution_record_create, record_write_to_chain
from tests.conftest import SHIP_TO, skip_or_fail
from tests.fakes.stripe_server import FakeStripe
from tests.integration.processes import Process, free_port, process_env, wait_for
from tests.provenance.conftest import rendered_line  # noqa: F401  # a fixture

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

WEBHOOK_SECRET = "whsec_motif_job_crashes"
WAIT_S = 120


class SilentNode:
    """A loopback address that accepts connections and never answers, like a node that hangs."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections.append(conn)

    def close(self) -> None:
        self._sock.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def crash_env(settings: Any, tmp_path: Path) -> Iterator[dict[str, Any]]:
    """What `manage.py serve` runs with: the embedded worker (no broker URL), the test database and
    media, the fake Stripe; the chain is each test's."""
    fake = FakeStripe.start()
    stripe_env = {
        "STRIPE_SECRET_KEY": "sk_test_motif_job_crashes",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": fake.url,
        "STRIPE_CONNECT_BASE": fake.url,
    }
    for key, value in stripe_env.items():
        setattr(settings, key, value)
    settings.SITE_URL = "http://127.0.0.1"
    state: dict[str, Any] = {
        "fake": fake,
        "tmp": tmp_path,
        "processes": [],
        "env": process_env(
            DRAMATIQ_BROKER_URL="",
            MOTIF_EMBEDDED_WORKER="true",
            PROVENANCE_KEYS_DIR=str(tmp_path / "keys"),
            # The previews the start-up sweep finds are small, and no style model is trained meanwhile.
            STYLIZATION_PREVIEW_SIZE=str(settings.STYLIZATION_PREVIEW_SIZE),
            STYLIZATION_STYLE_MODELS="false",
            CHAIN_ID=str(ANVIL_CHAIN_ID),
            CHAIN_PRIVATE_KEY=ANVIL_DEV_PRIVATE_KEY,
            **stripe_env,
        ),
    }
    yield state
    for process in state["processes"]:
        process.kill()
    fake.stop()
    assert not fake.errors, fake.errors


def _serve(state: dict[str, Any], chain_rpc_url: str) -> tuple[Process, str]:
    port = free_port()
    env = {**state["env"], "CHAIN_RPC_URL": chain_rpc_url}
    server = Process(["serve", f"127.0.0.1:{port}"], env, state["tmp"] / f"serve-{uuid.uuid4().hex[:6]}.log")
    state["processes"].append(server)
    base = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            urllib.request.urlopen(f"{base}/api/v1/products/", timeout=2)
            return True
        except (urllib.error.URLError, ConnectionError):
            assert server.popen.poll() is None, server.output()
            return False

    wait_for(answers, timeout=90, what="manage.py serve to answer", processes=(server,))
    return server, base


def _admin_uphold(base: str, *, username: str, password: str, report: InfringementReport) -> None:
    """Staff uphold the report in the admin, as the moderation runbook says."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def form_post(path: str, fields: dict[str, str]) -> str:
        page = opener.open(f"{base}{path}", timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token is not None, page[:2000]
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token.group(1)}).encode()
        return str(
            opener.open(urllib.request.Request(f"{base}{path}", data=data), timeout=30).read().decode()
        )

    signed_in = form_post(
        "/admin/login/?next=/admin/", {"username": username, "password": password, "next": "/admin/"}
    )
    assert "errornote" not in signed_in, signed_in[:3000]
    saved = form_post(
        "/admin/marketplace/moderationdecision/add/",
        {
            "report": str(report.pk),
            "action": "uphold",
            "reason_code": "copyright",
            "note": "Registration certificate matches the listing.",
            "_save": "Save",
        },
    )
    assert "errorlist" not in saved and "errornote" not in saved, re.sub(r"\s+", " ", saved)[:6000]


def test_a_refund_and_a_takedown_in_hand_when_the_worker_is_killed_are_done_after_the_restart(
    crash_env: dict[str, Any],
    settings: Any,
    rendered_line: Any,  # noqa: F811
    style: Any,
    pattern: Any,
    buyer: Any,
    make_user: Any,
    products: Any,
) -> None:
    if anvil_binary() is None:
        skip_or_fail("anvil is not installed (npm ci installs it).")
    fake: FakeStripe = crash_env["fake"]
    anvil_port = free_port()
    node = start_anvil(state_file=crash_env["tmp"] / "chain" / "state.json", port=anvil_port)
    assert node is not None
    silent = SilentNode()
    try:
        # A sale of the style, attributed on chain.
        settings.CHAIN_RPC_URL, settings.CHAIN_ID = f"http://127.0.0.1:{anvil_port}", ANVIL_CHAIN_ID
        settings.CHAIN_PRIVATE_KEY = ANVIL_DEV_PRIVATE_KEY
        forget_chain_client()
        line = rendered_line(1)
        record = attribution_record_create(order_line_id=line.pk)
        order_line_deliver(order_line_id=line.pk)
        record = record_write_to_chain(record_pk=record.pk)
        assert not chain_client().is_revoked(record.record_id)
        staff = make_user("buyer")
        staff.is_staff = staff.is_superuser = True
        # Hashed as the server checks it (the test settings hash with MD5, for speed).
        hasher = PBKDF2PasswordHasher()
        staff.password = hasher.encode("moderation-2026", hasher.salt())
        staff.save()
        report = InfringementReport.objects.create(
            reporter=buyer,
            target="style",
            style=style,
            claim="The style copies my registered painting.",
            evidence_url="https://example.com/registration",
        )
        # An order the buyer cancels while Stripe Checkout is still open.
        personalization = personalization_create(buyer=buyer, base_pattern=pattern, style=style, seed=2)
        order = order_create(buyer=buyer, lines=[OrderLineRequest(personalization, products["swatch"], 1)])
        payment = payment_checkout_start(order=order, actor=buyer, shipping_address=SHIP_TO)
        order_cancel(order=order, actor=buyer)
        fake.outage("/v1/refunds", requests=1_000_000)  # Stripe is down for refunds until the kill

        # The first process reaches the chain through a node that hangs.
        server, base = _serve(crash_env, chain_rpc_url=silent.url)
        event = fake.complete_checkout(payment.stripe_checkout_session_id or "")  # the buyer pays anyway
        status, body = fake.deliver_webhook(event, f"{base}/api/v1/payments/stripe/webhook/", WEBHOOK_SECRET)
        assert status == 200, body
        _admin_uphold(base, username=staff.username, password="moderation-2026", report=report)
        decision = ModerationDecision.objects.get(report=report)
        wait_for(
            lambda: fake.requests_to("POST", "/v1/refunds"),
            timeout=WAIT_S,
            what="the refund's first try",
            processes=(server,),
        )
        wait_for(
            lambda: silent.connections,
            timeout=WAIT_S,
            what="the revocation to reach the node",
            processes=(server,),
        )
        server.kill()  # SIGKILL: the refund waits for its next try, the revocation on the chain
        fake.outage_end("/v1/refunds")

        payment.refresh_from_db()
        assert payment.status == PaymentStatus.SUCCEEDED and payment.amount_refunded == 0
        assert ModerationDecision.objects.get(pk=decision.pk).records_revoked == 0
        restarted, _ = _serve(crash_env, chain_rpc_url=settings.CHAIN_RPC_URL)

        wait_for(
            lambda: Payment.objects.get(pk=payment.pk).amount_refunded == payment.amount,
            timeout=WAIT_S,
            what="the refund after the restart",
            processes=(restarted,),
        )
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED
        made = [r for r in fake.requests_to("POST", "/v1/refunds") if r.status == 200 and not r.replayed]
        assert len(made) == 1, "the refund was made once at Stripe"

        wait_for(
            lambda: ModerationDecision.objects.get(pk=decision.pk).records_revoked == 1,
            timeout=WAIT_S,
            what="the revocation after the restart",
            processes=(restarted,),
        )
        record = AttributionRecord.objects.get(pk=record.pk)
        assert record.revoked and record.revocation_reason == "copyright"
        assert chain_client().is_revoked(record.record_id)
    finally:
        silent.close()
        for process in crash_env["processes"]:
            process.kill()
        crash_env["processes"].clear()
        node.stop()
        forget_chain_client()
