"""Preview latency beside a final render: one device lock shared by both kinds of job (before)
against a slot each (`stylization.device_slots`, now), on the CPU with the random encoder.

    python -m tests.benchmarks.device_slots [--final-side 768] [--preview-side 128]
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import django


def preview_latency_beside_final(final_side: int, preview_side: int, shared: bool) -> dict[str, float]:
    """Seconds from asking for a preview (1 s into a final render) to having it, with one lock
    shared by both kinds (before) or a slot each (now)."""
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.device_slots",
        description="Preview latency beside a final render: one lock vs a slot each.",
    )
    parser.add_argument("--final-side", type=int, default=768)
    parser.add_argument("--preview-side", type=int, default=128)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    print("| device lock | preview asked → ready (s) | final render (s) |\n|---|---|---|")
    for shared in (True, False):
        t = preview_latency_beside_final(args.final_side, args.preview_side, shared)
        label = "one lock for both (before)" if shared else "a slot each (now)"
        print(f"| {label} | {t['preview_wait_and_run_s']:.1f} | {t['final_s']:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
