"""Device slots: a final render and a preview never wait for each other.

Each kind of job has its own slots on the device (STYLIZATION_PREVIEW_SLOTS, STYLIZATION_FINAL_SLOTS,
1 each by default). Before, one lock held the device for a whole job, so a buyer's 384 px preview
queued behind a print-size render for as long as that render took (the issue measured a preview
sitting at 5 % for 7.5 minutes). With a slot each, the preview runs beside the render: it shares
the device's throughput, but it starts at once, and a preview is small. Two final renders still
never run at once on one device, nor two previews.

Across processes the pools keep the same separation: the `gpu` pool runs `stylize` in a process of
its own (config/queues.py), so a render in hand never holds the preview queue either. Measured in
`python -m tests.benchmarks.device_slots` (see the README)."""

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
