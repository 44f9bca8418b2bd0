"""Benchmark: what each buyer control does to the picture.

`python -m tests.benchmarks.controls [--size 128] [--patterns 2] [--methods live,optimiser]`

For a few held-out demo patterns x the demo styles, with the live (feed-forward) model and the
optimiser preview, it measures the mean CIE76 colour difference (mean |ΔE| over pixels, in Lab):

- strength 0, 0.25, 0.5, 0.75, 1 against the base pattern (strength 0 must be the base itself);
- style_scale 0.5, 1, 2, 4 against style_scale 1;
- seed 0 against 7 and 42 (and 7 against 42);
- preserve_colors on and off: ΔE of the tile's mean chroma (a*, b*) against the base's, so a mint
  ground that stays mint scores near 0.

Each figure is averaged over the rows, with its spread; "per unit" divides by the control's step.
A control is *monotonic* when every row's ΔE rises with it (strength, and |log2 scale| away from 1).
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from tests.benchmarks._common import DEMO_STYLE_MODELS, DEMO_STYLES

STRENGTHS = (0.0, 0.25, 0.5, 0.75, 1.0)
SCALES = (0.5, 1.0, 2.0, 4.0)
SEEDS = (0, 7, 42)
REPEATS = ("basic", "half_drop", "half_brick")
KINDS = ("motifs", "ditsy", "blobs")
# Held out from the models' training patterns, as in tests.benchmarks.stylization.
FIRST_SEED = 100
DEFAULT_STRENGTH = 0.7

Render = Callable[..., Image.Image]


def _lab(image: Image.Image) -> np.ndarray:
    from stylization.engine.colour import srgb_to_lab

    return srgb_to_lab(np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0)


def mean_delta_e(a: Image.Image, b: Image.Image) -> float:
    """Mean per-pixel CIE76 ΔE between two images of one size."""
    if a.size != b.size:
        b = b.resize(a.size, Image.Resampling.BICUBIC)
    return float(np.linalg.norm(_lab(a) - _lab(b), axis=-1).mean())


def mean_chroma_shift(image: Image.Image, base: Image.Image) -> float:
    """ΔE between the mean (a*, b*) of two images: how far the overall hue and chroma moved."""
    a, b = _lab(image).reshape(-1, 3).mean(0), _lab(base).reshape(-1, 3).mean(0)
    return float(np.linalg.norm(a[1:] - b[1:]))


def _renderers(methods: list[str], styles: list[Path]) -> dict[str, Callable[[Path], Render]]:
    from stylization.engine import Engine, StyleParams
    from stylization.engine.feedforward import load_model_file

    renderers: dict[str, Callable[[Path], Render]] = {}
    if "live" in methods:
        models = {}
        for path in styles:
            model = load_model_file(DEMO_STYLE_MODELS / f"{path.stem}.pt")
            models[path] = model.with_style_palette(Image.open(path))

        def live(path: Path) -> Render:
            def render(base: Image.Image, repeat: str, **params: object) -> Image.Image:
                return (
                    models[path]
                    .stylize(base, repeat=repeat, params=StyleParams(**params), long_side=base.width)  # type: ignore[arg-type]
                    .image
                )

            return render

        renderers["live"] = live
    if "optimiser" in methods:
        engine = Engine(device="cpu", encoder="efficientnet_lite0")

        def optimiser(path: Path) -> Render:
            style = Image.open(path).convert("RGB")

            def render(base: Image.Image, repeat: str, **params: object) -> Image.Image:
                return engine.preview(
                    base,
                    style,
                    repeat=repeat,
                    params=StyleParams(**params),
                    long_side=base.width,  # type: ignore[arg-type]
                ).image

            return render

        renderers["optimiser"] = optimiser
    return renderers


def measure_row(render: Render, base: Image.Image, repeat: str) -> dict[str, float]:
    """Every control's figures for one pattern x style x method."""
    row: dict[str, float] = {}
    default = render(base, repeat, strength=DEFAULT_STRENGTH)
    for strength in STRENGTHS:
        row[f"strength {strength:g}"] = mean_delta_e(render(base, repeat, strength=strength), base)
    for scale in SCALES:
        image = (
            default if scale == 1.0 else render(base, repeat, strength=DEFAULT_STRENGTH, style_scale=scale)
        )
        row[f"scale {scale:g}"] = mean_delta_e(image, default)
        if scale == 2.0:
            scale_two = image
        if scale == 4.0:
            row["scale 2 vs 4"] = mean_delta_e(image, scale_two)
    by_seed = {0: default}
    for seed in SEEDS[1:]:
        by_seed[seed] = render(base, repeat, strength=DEFAULT_STRENGTH, seed=seed)
    row["seed 0 vs 7"] = mean_delta_e(by_seed[0], by_seed[7])
    row["seed 0 vs 42"] = mean_delta_e(by_seed[0], by_seed[42])
    row["seed 7 vs 42"] = mean_delta_e(by_seed[7], by_seed[42])
    row["preserve off: chroma shift"] = mean_chroma_shift(default, base)
    kept = render(base, repeat, strength=DEFAULT_STRENGTH, preserve_colors=True)
    row["preserve on: chroma shift"] = mean_chroma_shift(kept, base)
    row["preserve on vs off"] = mean_delta_e(kept, default)
    return row


def monotonic(row: dict[str, float]) -> dict[str, bool]:
    strength = [row[f"strength {s:g}"] for s in STRENGTHS]
    scale_up = [row["scale 1"], row["scale 2"], row["scale 4"]]
    return {
        "strength": all(a < b for a, b in zip(strength, strength[1:], strict=False)),
        "scale": all(a < b for a, b in zip(scale_up, scale_up[1:], strict=False)) and row["scale 0.5"] > 0,
    }


def per_unit(key: str, value: float) -> str:
    if key.startswith("strength ") and float(key.split()[1]) > 0:
        return f"{value / float(key.split()[1]):.2f} / unit strength"
    if key.startswith("scale ") and key not in ("scale 1", "scale 2 vs 4"):
        octaves = abs(np.log2(float(key.split()[1])))
        return f"{value / octaves:.2f} / octave"
    return ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=128, help="tile side in pixels (multiple of 16)")
    parser.add_argument("--patterns", type=int, default=2, help="held-out patterns per style")
    parser.add_argument("--methods", default="live,optimiser")
    parser.add_argument("--styles", default="", help="comma-separated style stems (default: all demo styles)")
    args = parser.parse_args(argv)

    import torch

    from stylization.engine import generate_pattern

    torch.set_num_threads(max(1, torch.get_num_threads()))
    styles = sorted(DEMO_STYLES.glob("*.jpg"))
    if args.styles:
        styles = [p for p in styles if p.stem in args.styles.split(",")]
    methods = [m for m in args.methods.split(",") if m]
    renderers = _renderers(methods, styles)
    bases = [
        (
            REPEATS[i % len(REPEATS)],
            generate_pattern(
                REPEATS[i % len(REPEATS)],
                size=args.size,
                seed=FIRST_SEED + i,
                kind=KINDS[i % len(KINDS)],
            ),
        )
        for i in range(args.patterns)
    ]
    print(
        f"# controls bench: {args.size}² tiles, {len(bases)} patterns x {len(styles)} styles, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads",
        flush=True,
    )
    for method, make in renderers.items():
        rows: list[dict[str, float]] = []
        flags: list[dict[str, bool]] = []
        started = time.perf_counter()
        for path in styles:
            render = make(path)
            for repeat, base in bases:
                row = measure_row(render, base, repeat)
                digest = hashlib.sha256(base.tobytes()).hexdigest()[:6]
                print(f"  {method} {path.stem} {repeat} {digest}: done", file=sys.stderr, flush=True)
                rows.append(row)
                flags.append(monotonic(row))
        seconds = time.perf_counter() - started
        print(f"\n## {method} ({len(rows)} rows, {seconds:.0f} s)\n")
        print("| measure | mean ΔE | min | max | per unit |")
        print("|---|---:|---:|---:|---|")
        for key in rows[0]:
            values = [r[key] for r in rows]
            print(
                f"| {key} | {statistics.fmean(values):.2f} | {min(values):.2f} | {max(values):.2f} "
                f"| {per_unit(key, statistics.fmean(values))} |"
            )
        for control in ("strength", "scale"):
            held = sum(f[control] for f in flags)
            print(f"\n{control} monotonic in {held}/{len(flags)} rows", end="")
        print()


if __name__ == "__main__":
    main()
