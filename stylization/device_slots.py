"""Device slots: a final render and a preview never wait for each other.

Each kind of job has its own slots on the device (STYLIZATION_PREVIEW_SLOTS, STYLIZATION_FINAL_SLOTS,
1 each by default). Before, one lock held the device for a whole job, so a buyer's 384 px preview
queued behind a print-size render for as long as that render took (the issue measured a preview
sitting at 5 % for 7.5 minutes). With a slot each, the preview runs beside the render: it shares
the device's throughput, but it starts at once, and a preview is small. Two final renders still
never run at once on one device, nor two previews.

Across processes the pools keep the same separation: the `gpu` pool runs `stylize` in a process of
its own (config/queues.py), so a render in hand never holds the preview queue either. Measured in
`python -m stylization.device_slots` (see the README)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

SlotKind = Literal["preview", "final"]

_lock = threading.Lock()
_slots: dict[str, threading.BoundedSemaphore] = {}


def _slot(kind: SlotKind) -> threading.BoundedSemaphore:
    with _lock:
        if kind not in _slots:
            from django.conf import settings

            count = int(getattr(settings, f"STYLIZATION_{kind.upper()}_SLOTS", 1))
            _slots[kind] = threading.BoundedSemaphore(max(1, count))
        return _slots[kind]


@contextmanager
def device_slot(kind: SlotKind) -> Iterator[None]:
    """Hold one of the device's slots for this kind of job for the duration of the block."""
    slot = _slot(kind)
    with slot:
        yield


def _measure(final_side: int, preview_side: int, shared: bool) -> dict[str, float]:
    """Seconds from asking for a preview (1 s into a final render) to having it, with one lock
    shared by both kinds (before) or a slot each (now)."""
    import time

    from stylization.engine import Engine, StyleParams, generate_pattern

    engine = Engine(device="cpu", encoder="random")
    content, style = (
        generate_pattern("basic", size=final_side, seed=1),
        generate_pattern("mirror", size=256, seed=2),
    )
    params = StyleParams()
    one = threading.Lock()
    preview_slot = one if shared else threading.Lock()
    final_slot = one if shared else threading.Lock()
    timings: dict[str, float] = {}

    def final() -> None:
        start = time.perf_counter()
        with final_slot:
            engine.render_tile(
                content, style, repeat="basic", params=params, width_px=final_side, height_px=final_side
            )
        timings["final_s"] = time.perf_counter() - start

    worker = threading.Thread(target=final)
    worker.start()
    time.sleep(1.0)
    asked = time.perf_counter()
    with preview_slot:
        engine.preview(content, style, repeat="basic", params=params, long_side=preview_side)
    timings["preview_wait_and_run_s"] = time.perf_counter() - asked
    worker.join()
    return timings


def main() -> int:
    import argparse
    import os

    import django

    parser = argparse.ArgumentParser(
        description="Preview latency beside a final render: one lock vs a slot each."
    )
    parser.add_argument("--final-side", type=int, default=768)
    parser.add_argument("--preview-side", type=int, default=128)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    print("| device lock | preview asked → ready (s) | final render (s) |\n|---|---|---|")
    for shared in (True, False):
        t = _measure(args.final_side, args.preview_side, shared)
        label = "one lock for both (before)" if shared else "a slot each (now)"
        print(f"| {label} | {t['preview_wait_and_run_s']:.1f} | {t['final_s']:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
