"""THE one place that says which worker pool takes which Dramatiq queue.

Used by `manage.py runpool POOL` (and through it the Procfile, the systemd units and
`make serve-prod`). An actor's queue that no pool lists is an error at start-up (see `pool_check`),
so a new queue cannot be forgotten silently.

- `web-side`: light, I/O-bound jobs beside the web servers; scales horizontally.
- `gpu`: the stylization engine. Previews (`stylize`) have a process of their own, so a long
  final render never holds up a buyer's preview; add hosts with GPUs to scale it horizontally.
- `chain`: exactly ONE process with ONE thread in the whole deployment: it holds the signer key and
  sends transactions in nonce order.

The embedded worker (`manage.py serve`, `make run`) runs the same members in one process, as lanes:
each member names its lane, and each lane is a Dramatiq worker of its own with its own threads, so
no kind of job waits behind another there either (`embedded_lanes`).
"""

from __future__ import annotations

from dataclasses import dataclass

# The embedded worker's lanes and their threads. A lane's thread count is its number of jobs in hand
# at once: one preview, one final render and one training (the device slots allow no more of each),
# and two for money, records and e-mail, which wait on the network rather than the processor.
PREVIEWS, RENDERS, TRAINING, MONEY = "previews", "renders", "training", "money"
LANE_THREADS: dict[str, int] = {PREVIEWS: 1, RENDERS: 1, TRAINING: 1, MONEY: 2}


@dataclass(frozen=True)
class PoolProcess:
    name: str
    queues: tuple[str, ...]
    lane: str
    processes: int = 1
    threads: int = 1


@dataclass(frozen=True)
class Pool:
    name: str
    members: tuple[PoolProcess, ...]
    single: bool = False  # must never run more than once in the whole deployment

    @property
    def queues(self) -> tuple[str, ...]:
        return tuple(q for member in self.members for q in member.queues)


POOLS: dict[str, Pool] = {
    "web-side": Pool(
        "web-side",
        # "default" is django_dramatiq's own housekeeping actor (delete_old_tasks).
        (
            PoolProcess(
                "web-side", ("provenance", "payouts", "email", "fulfilment", "default"), MONEY, threads=4
            ),
        ),
    ),
    "gpu": Pool(
        "gpu",
        (
            PoolProcess("gpu-preview", ("stylize",), PREVIEWS, threads=1),
            PoolProcess("gpu-final", ("render", "vectorize"), RENDERS, threads=1),
            # Training a style's model takes minutes: a process of its own, so print renders never
            # queue behind it (nor previews).
            PoolProcess("gpu-train", ("train_style_model",), TRAINING, threads=1),
        ),
    ),
    "chain": Pool("chain", (PoolProcess("chain", ("chain",), MONEY, processes=1, threads=1),), single=True),
}


def all_queues() -> set[str]:
    return {q for pool in POOLS.values() for q in pool.queues}


def pool_check(declared: set[str]) -> set[str]:
    """The declared queues that no pool takes (empty when every queue has a worker)."""
    # Dramatiq declares a delay queue per queue ("<name>.DQ") and a dead-letter queue ("<name>.XQ").
    base = {q.split(".")[0] for q in declared}
    return base - all_queues()


def embedded_lanes(declared: set[str] | None = None) -> dict[str, set[str]]:
    """Each lane's queues. A declared queue that no pool takes (`pool_check` refuses it in
    production) goes to the money lane, so the embedded worker still runs it."""
    lanes: dict[str, set[str]] = {lane: set() for lane in LANE_THREADS}
    for pool in POOLS.values():
        for member in pool.members:
            lanes[member.lane].update(member.queues)
    lanes[MONEY].update(pool_check(declared or set()))
    return lanes
