"""Fault injection on the fulfilment workflow, with the real thing: the API server and `dramatiq`
worker processes on Redis, anvil as the chain, and the loopback Stripe (the one true outside
boundary) for payments, transfers and refunds.

Each scenario buys through Stripe Checkout and a signed webhook to the server, then breaks
something: SIGKILL the worker at a stage, stop anvil during attribution, or make Stripe answer 5xx
on refunds. Every run must end with the order ready (or its failed line refunded), with exactly one
render, one attribution record and one transfer per payee, and nothing stuck."""

from __future__ import annotations

import os
import signal
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings

from marketplace.models import LineStage, Order, OrderLine, OrderStatus
from marketplace.payments.models import Payment, PaymentStatus, Refund
from marketplace.payments.services import payment_checkout_start
from marketplace.royalties.models import RoyaltyEntry, Transfer, TransferStatus
from marketplace.services.orders import OrderLineRequest, order_create
from marketplace.services.personalizations import personalization_create
from provenance.local_node import ANVIL_CHAIN_ID, ANVIL_DEV_PRIVATE_KEY, anvil_binary, start_anvil
from provenance.models import AttributionRecord, ChainStatus
from tests.conftest import SHIP_TO, create_products, skip_or_fail
from tests.fakes.stripe_server import FakeStripe
from tests.integration.processes import Process, free_port, process_env, start_server, start_worker, wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

WEBHOOK_SECRET = "whsec_motif_faults"
EVERY_QUEUE = ("render", "vectorize", "provenance", "chain", "fulfilment", "payouts")
WAIT_S = 420


@pytest.fixture
def stack(settings: Any, tmp_path: Path) -> Any:
    """Redis, anvil and the loopback Stripe, and the environment the server and workers share."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError:
        skip_or_fail(f"Redis is not reachable at {url}; start redis-server or set TEST_REDIS_URL.")
    if anvil_binary() is None:
        skip_or_fail("anvil is not installed (npm ci installs it).")
    fake = FakeStripe.start()
    anvil_port = free_port()
    node = start_anvil(state_file=tmp_path / "chain" / "state.json", port=anvil_port)
    assert node is not None
    stripe_env = {
        "STRIPE_SECRET_KEY": "sk_test_motif_faults",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": fake.url,
        "STRIPE_CONNECT_BASE": fake.url,
    }
    for key, value in stripe_env.items():
        setattr(settings, key, value)
    settings.SITE_URL = "http://127.0.0.1"
    env = process_env(
        DRAMATIQ_BROKER_URL=url,
        DRAMATIQ_NAMESPACE=f"motif-faults-{uuid.uuid4().hex[:8]}",
        MOTIF_EMBEDDED_WORKER="false",
        DRAMATIQ_HEARTBEAT_TIMEOUT_MS="2000",
        DRAMATIQ_MAINTENANCE_CHANCE="1000000",
        CHAIN_RPC_URL=f"http://127.0.0.1:{anvil_port}",
        CHAIN_ID=str(ANVIL_CHAIN_ID),
        CHAIN_PRIVATE_KEY=ANVIL_DEV_PRIVATE_KEY,
        FULFILMENT_LEASE_S="4",
        PROVENANCE_KEYS_DIR=str(tmp_path / "keys"),
        **stripe_env,
    )
    state = {
        "fake": fake,
        "env": env,
        "node": node,
        "anvil_port": anvil_port,
        "tmp": tmp_path,
        "processes": [],
    }
    yield state
    for process in state["processes"]:
        process.kill()
    state["node"].stop()
    fake.stop()
    assert not fake.errors, fake.errors


def _start(state: dict[str, Any], name: str, queues: tuple[str, ...] = EVERY_QUEUE) -> Process:
    worker = start_worker(state["env"], state["tmp"] / f"{name}.log", queues=queues)
    state["processes"].append(worker)
    return worker


def _sweep(state: dict[str, Any]) -> None:
    """`manage.py requeue_jobs`: what a deployment runs when its workers (re)start."""
    sweep = Process(["requeue_jobs"], state["env"], state["tmp"] / f"sweep-{uuid.uuid4().hex[:6]}.log")
    sweep.popen.wait(timeout=120)
    sweep.kill()
    assert sweep.popen.returncode == 0, sweep.output()


def _onboarded(make_user: Any, role: str, fake: FakeStripe) -> Any:
    from marketplace.royalties.onboarding import payee_account_sync, payee_onboarding_link

    user = make_user(role)
    payee_onboarding_link(user=user)
    user.refresh_from_db()
    account_id = user.payee_account.stripe_account_id
    fake.complete_onboarding(account_id)
    payee_account_sync(stripe_account=fake.get(account_id))
    return user


def _buy(
    state: dict[str, Any],
    make_user: Any,
    make_style: Any,
    make_pattern: Any,
    *,
    lines: int = 1,
    side: int = 96,
    damage_first_pattern: bool = False,
) -> Order:
    """Onboarded artist and designer, an order paid through Checkout and a webhook to the server.
    `damage_first_pattern` breaks the first line's stored original before payment, for good."""
    fake: FakeStripe = state["fake"]
    artist = _onboarded(make_user, "artist", fake)
    designer = _onboarded(make_user, "designer", fake)
    buyer = make_user("buyer")
    style = make_style(artist)
    size = create_products(swatch_inches=4)["swatch"]
    requests = [
        OrderLineRequest(
            personalization_create(
                buyer=buyer,
                base_pattern=make_pattern(designer, repeat_type="half_drop", side=side),
                style=style,
                seed=i,
            ),
            size,
            1,
        )
        for i in range(lines)
    ]
    order = order_create(buyer=buyer, lines=requests)
    if damage_first_pattern:
        Path(requests[0].personalization.base_pattern.image.path).write_bytes(b"damaged after upload")
    payment = payment_checkout_start(order=order, actor=buyer, shipping_address=SHIP_TO)
    server, base = start_server(state["env"], state["tmp"] / f"server-{order.pk}.log")
    state["processes"].append(server)
    state["server"] = server
    event = fake.complete_checkout(payment.stripe_checkout_session_id or "")
    status, body = fake.deliver_webhook(event, f"{base}/api/v1/payments/stripe/webhook/", WEBHOOK_SECRET)
    assert status == 200, body
    wait_for(
        lambda: Payment.objects.get(pk=payment.pk).status == PaymentStatus.SUCCEEDED,
        timeout=60,
        what="the payment",
        processes=(server,),
    )
    return order


def _line(order: Order) -> OrderLine:
    return OrderLine.objects.filter(order=order).order_by("pk").first()  # type: ignore[return-value]


def _wait_stage(order: Order, stages: set[str], processes: tuple[Process, ...]) -> str:
    return str(
        wait_for(
            lambda: (s := _line(order).stage) in stages and s,
            timeout=WAIT_S,
            what=f"the line to reach {sorted(stages)}",
            processes=processes,
        )
    )


def _assert_finished_once(order: Order, state: dict[str, Any], processes: tuple[Process, ...]) -> None:
    def finished() -> bool:
        order.refresh_from_db()
        return order.status in (
            OrderStatus.PROOF_READY,
            OrderStatus.NEEDS_ATTENTION,
            OrderStatus.REFUNDED,
        ) and not (
            OrderLine.objects.filter(
                order=order, stage__in=["queued", "rendering", "rendered", "vectorized", "attributed"]
            ).exists()
        )

    wait_for(finished, timeout=WAIT_S, what="the order to finish", processes=processes)
    delivered = OrderLine.objects.filter(order=order, stage=LineStage.PROOF_READY)
    for line in delivered:
        folder = Path(django_settings.MEDIA_ROOT) / Path(line.print_sheet.name).parent
        sheets = [p for p in folder.iterdir() if p.name.startswith("print-sheet")]
        assert len(sheets) == 1, f"line {line.pk} was rendered {len(sheets)} times"  # exactly one render
        assert AttributionRecord.objects.filter(order_line=line).count() == 1  # exactly one record
    payees = set(
        RoyaltyEntry.objects.filter(order=order, payee__isnull=False).values_list("payee_id", flat=True)
    )

    def transfers_sent() -> bool:
        return Transfer.objects.filter(order=order, status=TransferStatus.SENT).count() == len(payees)

    wait_for(transfers_sent, timeout=120, what="the transfers", processes=processes)
    assert Transfer.objects.filter(order=order).count() == len(payees)  # one per payee
    made = [
        r for r in state["fake"].requests_to("POST", "/v1/transfers") if r.status == 200 and not r.replayed
    ]
    assert len([r for r in made if r.params.get("transfer_group") == f"order-{order.pk}"]) == len(payees)


@pytest.mark.parametrize("kill_at", ["rendering", "rendered", "vectorized", "attributed"])
def test_a_worker_killed_at_any_stage_leaves_the_order_to_finish_once(
    stack: dict[str, Any], kill_at: str, make_user: Any, make_style: Any, make_pattern: Any
) -> None:
    # A first worker that stops short of the stage after `kill_at`, so it is caught exactly there.
    held_back = {
        "rendering": (),
        "rendered": ("vectorize",),
        "vectorized": ("provenance",),
        "attributed": ("fulfilment",),
    }[kill_at]
    first = _start(stack, f"worker-{kill_at}-1", tuple(q for q in EVERY_QUEUE if q not in held_back))
    # A larger tile for the mid-render kill, so the render is caught while it runs.
    order = _buy(stack, make_user, make_style, make_pattern, side=256 if kill_at == "rendering" else 96)
    if kill_at == "rendering":
        wait_for(
            lambda: _line(order).stage == "rendering" and _line(order).render_progress > 0,
            timeout=WAIT_S,
            what="the render to be under way",
            processes=(first,),
        )
    elif kill_at == "attributed":
        # Without the fulfilment queue nothing advances by itself: the sweep moves it on, step by step.
        for stage in ("rendered", "vectorized"):
            _wait_stage(order, {stage}, (first,))
            _sweep(stack)
        _wait_stage(order, {"attributed"}, (first,))
    else:
        _wait_stage(order, {kill_at}, (first,))
    first.kill(signal.SIGKILL)
    assert _line(order).stage == kill_at

    second = _start(stack, f"worker-{kill_at}-2")
    _sweep(stack)
    _assert_finished_once(order, stack, (second,))
    order.refresh_from_db()
    assert order.status == OrderStatus.PROOF_READY
    record = AttributionRecord.objects.get(order_line=_line(order))
    wait_for(
        lambda: AttributionRecord.objects.get(pk=record.pk).status == ChainStatus.CONFIRMED,
        timeout=120,
        what="the record on chain",
        processes=(second,),
    )


def test_anvil_stopped_during_attribution_delivers_and_confirms_the_record_once_it_is_back(
    stack: dict[str, Any], make_user: Any, make_style: Any, make_pattern: Any
) -> None:
    first = _start(stack, "worker-chain-1", tuple(q for q in EVERY_QUEUE if q != "provenance"))
    order = _buy(stack, make_user, make_style, make_pattern)
    _wait_stage(order, {"vectorized"}, (first,))
    stack["node"].stop()  # the chain goes away just as the attribution starts
    first.kill()
    worker = _start(stack, "worker-chain-2")
    _assert_finished_once(order, stack, (worker,))
    record = AttributionRecord.objects.get(order_line=_line(order))
    assert record.status == ChainStatus.PENDING  # delivered and signed; the chain write waits
    wait_for(
        lambda: AttributionRecord.objects.get(pk=record.pk).attempts >= 1,
        timeout=60,
        what="a failed chain write",
        processes=(worker,),
    )
    node = start_anvil(state_file=stack["tmp"] / "chain" / "state.json", port=stack["anvil_port"])
    assert node is not None
    stack["node"] = node
    wait_for(
        lambda: AttributionRecord.objects.get(pk=record.pk).status == ChainStatus.CONFIRMED,
        timeout=WAIT_S,
        what="the record confirmed after the node came back",
        processes=(worker,),
    )
    assert AttributionRecord.objects.filter(order_line__order=order).count() == 1


def test_stripe_answering_5xx_on_refunds_still_refunds_a_failed_line_exactly_once(
    stack: dict[str, Any], make_user: Any, make_style: Any, make_pattern: Any
) -> None:
    fake: FakeStripe = stack["fake"]
    fake.outage("/v1/refunds", requests=4, status=500)  # more than the SDK's own retries
    worker = _start(stack, "worker-refund")
    order = _buy(stack, make_user, make_style, make_pattern, lines=2, damage_first_pattern=True)
    broken = _line(order)
    _assert_finished_once(order, stack, (worker,))

    def refunded() -> bool:
        return Refund.objects.filter(order_line=broken, applied=True).exists()

    wait_for(refunded, timeout=WAIT_S, what="the refund after the outage", processes=(worker,))
    order.refresh_from_db()
    broken.refresh_from_db()
    assert broken.stage == LineStage.FAILED and order.status == OrderStatus.NEEDS_ATTENTION
    assert order.refunded_amount == broken.line_total + broken.shipping_amount  # its goods and its shipping
    failures = [r for r in fake.requests_to("POST", "/v1/refunds") if r.status >= 500]
    made = [r for r in fake.requests_to("POST", "/v1/refunds") if r.status == 200 and not r.replayed]
    assert len(failures) == 4 and len(made) == 1  # the outage was met, and one refund made
    ledger = sum((e.amount for e in RoyaltyEntry.objects.filter(order=order)), Decimal("0"))
    # Balanced to the cent: the goods kept (the ledger never holds shipping).
    assert ledger == order.goods_total - (order.refunded_amount - broken.shipping_amount)
