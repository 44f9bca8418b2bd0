"""config/queues.py is the one place that names the pools: every queue an actor declares has a pool,
the chain writer is single, and previews never share a process with final renders."""

from __future__ import annotations

import dramatiq
from django.utils.module_loading import autodiscover_modules

from config.queues import POOLS, all_queues, pool_check


def test_every_declared_queue_has_a_pool() -> None:
    autodiscover_modules("tasks")
    declared = set(dramatiq.get_broker().get_declared_queues())
    assert declared, "no actor declared a queue"
    assert pool_check(declared) == set()
    assert pool_check(declared | {"brand_new_queue"}) == {"brand_new_queue"}


def test_the_pools_are_the_ones_the_deployment_names() -> None:
    assert set(POOLS) == {"web-side", "gpu", "chain"}
    assert {"provenance", "payouts", "email", "fulfilment"} <= set(POOLS["web-side"].queues)
    assert set(POOLS["gpu"].queues) == {"stylize", "render", "vectorize", "train_style_model"}
    assert POOLS["chain"].queues == ("chain",)
    assert len(all_queues()) == sum(len(pool.queues) for pool in POOLS.values())  # no queue in two pools


def test_the_chain_writer_is_one_process_with_one_thread() -> None:
    chain = POOLS["chain"]
    assert chain.single and [(m.processes, m.threads) for m in chain.members] == [(1, 1)]


def test_previews_have_a_process_of_their_own() -> None:
    members = {m.name: m.queues for m in POOLS["gpu"].members}
    preview = next(queues for queues in members.values() if "stylize" in queues)
    assert preview == ("stylize",)


def test_the_embedded_lanes_keep_previews_training_and_money_apart() -> None:
    from config.queues import LANE_THREADS, MONEY, PREVIEWS, TRAINING, embedded_lanes

    autodiscover_modules("tasks")
    declared = set(dramatiq.get_broker().get_declared_queues())
    lanes = embedded_lanes(declared)
    assert set(LANE_THREADS) == set(lanes) and all(threads >= 1 for threads in LANE_THREADS.values())
    assert {q for queues in lanes.values() for q in queues} == all_queues()  # every pool queue, once
    assert sum(len(queues) for queues in lanes.values()) == len(all_queues())
    assert lanes[PREVIEWS] == {"stylize"} and lanes[TRAINING] == {"train_style_model"}
    assert {"fulfilment", "payouts", "provenance", "chain", "email"} <= lanes[MONEY]
    assert "brand_new_queue" in embedded_lanes(declared | {"brand_new_queue"})[MONEY]  # still run, embedded
