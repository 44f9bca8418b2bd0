"""Benchmark: `python -m stylization.bench [--sizes 256,512,1200] [--patterns 8] [--quick] [--peer DIR]`.

The judges are not the encoder under test: style distance uses plenoptic's
Portilla-Simoncelli statistics on greyscale, structure uses luminance SSIM, seams use
`seam_ratio`. Each method runs in a fresh spawned process so peak RSS is its own.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

REPEATS = ("basic", "half_drop", "half_brick")
KINDS = ("ditsy", "motifs", "blobs", "geometric")
METHODS = ("painting-crops-reference", "gatys-single-scale-reflect", "ours-random", "ours-zero-padded-control",
           "vgg19-random-weights")


def _style_dir(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    project = Path(__file__).resolve().parent.parent / "marketplace" / "demo_data" / "styles"
    if project.is_dir():
        return project
    return Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "styles"


def _judge_style_distance(size: int):
    import plenoptic
    import torch
    from PIL import ImageOps

    model = plenoptic.models.PortillaSimoncelli((size, size))

    def stats(image):
        grey = ImageOps.fit(image.convert("L"), (size, size), Image.Resampling.LANCZOS)
        x = torch.from_numpy(np.asarray(grey, dtype=np.float32) / 255.0)[None, None]
        with torch.no_grad():
            return model(x).flatten()

    def distance(output, base, style) -> tuple[float, dict[str, float]]:
        """(style distance, each statistic group's share of its square): where the distance lives."""
        s = stats(style)
        gap, base_gap = stats(output) - s, float((stats(base) - s).norm())
        groups = model.convert_to_dict(gap[None, None])
        shares = {f"ps:{name}": float(v.nan_to_num().norm() ** 2) / base_gap**2  # NaN marks redundant entries
                  for name, v in groups.items() if torch.is_tensor(v)}
        return float(gap.norm()) / base_gap, shares

    return distance


def painting_crops(style: Image.Image, size: int) -> list[Image.Image]:
    """Squares of the painting at the judge's scale, away from the centre square it is judged against.

    What a genuine piece of the painting scores is the floor a stylized tile can hope for: the
    judge compares with one crop, and the rest of the painting differs from it too.
    """
    scale = size / min(style.size)
    whole = style.resize((max(size, round(style.width * scale)), max(size, round(style.height * scale))),
                         Image.Resampling.LANCZOS)
    crops = []
    for f in (0.0, 0.25, 0.75, 1.0):  # 0.5 would be the judge's own centre square
        left, top = round((whole.width - size) * f), round((whole.height - size) * f)
        crops.append(whole.crop((left, top, left + size, top + size)))
    return crops


def _run_method(method: str, size: int, patterns: int, style_paths: list[str], iterations: int,
                weights: str | None) -> dict[str, Any]:
    """Runs in a spawned child: stylize `patterns` base patterns, judge them, report peak RSS."""
    import torch

    from stylization.engine import Engine, StyleParams, generate_pattern, seam_ratio, ssim_luma
    from stylization.engine import engine as engine_module
    from stylization.engine.images import fit_style, to_image, to_tensor
    from stylization.engine.transfer import Job, LossWeights, optimise, style_grams

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    distance = _judge_style_distance(size)
    styles = [fit_style(Image.open(p).convert("RGB")) for p in style_paths]
    rows: list[dict[str, float]] = []
    reference = method == "painting-crops-reference"
    encoder_name = "vgg19" if method == "vgg19-random-weights" else "random"
    # The reference row stylizes nothing, so it loads no encoder (and its peak RSS is the judge's alone).
    engine = None if reference else Engine(device="cpu", encoder=encoder_name, weights_path=weights,
                                           expected_sha256=None)
    for i in range(patterns):
        repeat = REPEATS[i % len(REPEATS)]
        base = generate_pattern(repeat, size=size, seed=100 + i, kind=KINDS[i % len(KINDS)])
        style = styles[i % len(styles)]
        base_seam = seam_ratio(base, repeat)
        if reference:
            judged = [distance(crop, base, style) for crop in painting_crops(style, size)]
            shares = {k: float(np.mean([j[1][k] for j in judged])) for k in judged[0][1]}
            rows.append({"seconds": float("nan"), "s_per_iter": float("nan"),
                         "distance": float(np.mean([j[0] for j in judged])), "ssim": float("nan"),
                         "seam": float("nan"), "base_seam": base_seam, **shares})
            continue
        assert engine is not None
        params = StyleParams(seed=i)
        started = time.perf_counter()
        if method == "gatys-single-scale-reflect":
            # The plain baseline: one scale, reflection padding, no repeat anywhere.
            content = to_tensor(base)
            targets = style_grams(engine.encoder, to_tensor(style.resize((size, round(size * style.height / style.width)))))
            out = optimise(content, content, targets, encoder=engine.encoder, repeat="mirror",
                           weights=LossWeights.for_strength(params.strength), iterations=iterations,
                           job=Job(iterations, None, None))
            image, done = to_image(out), iterations
        else:
            padding = "zeros" if method == "ours-zero-padded-control" else None
            if size <= engine_module.PREVIEW_MAX_SIDE:
                result = engine.preview(base, style, repeat=repeat, params=params, long_side=size, padding=padding)
            else:
                result = engine.render_tile(base, style, repeat=repeat, params=params, width_px=size, height_px=size,
                                            padding=padding)
            image, done = result.image, result.info["iterations"]
        seconds = time.perf_counter() - started
        style_distance, shares = distance(image, base, style)
        rows.append({"seconds": seconds, "s_per_iter": seconds / max(done, 1), "distance": style_distance,
                     "ssim": ssim_luma(base, image), "seam": seam_ratio(image, repeat),
                     "base_seam": base_seam, **shares})
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    return {"method": method, "size": size, "patterns": patterns, "peak_rss_mb": peak_mb, **summary}


def _peer(peer_dir: str, size: int, style_path: str, weights: str, iterations: int) -> dict[str, Any]:
    """ProGamerGov/neural-style-pt on the same random VGG-19 weights, timed as a subprocess."""
    from stylization.engine import generate_pattern, seam_ratio, ssim_luma

    with tempfile.TemporaryDirectory() as tmp:
        base = generate_pattern("basic", size=size, seed=100, kind="ditsy")
        base_path, out_path = Path(tmp) / "base.png", Path(tmp) / "out.png"
        base.save(base_path)
        command = [sys.executable, str(Path(peer_dir) / "neural_style.py"), "-content_image", str(base_path),
                   "-style_image", style_path, "-image_size", str(size), "-num_iterations", str(iterations),
                   "-model_file", weights, "-gpu", "c", "-backend", "nn", "-output_image", str(out_path),
                   "-print_iter", "0", "-save_iter", "0", "-content_layers", "relu4_2",
                   "-style_layers", "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1"]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, timeout=3600)
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        image = Image.open(out_path).convert("RGB").resize(base.size)
        distance, shares = _judge_style_distance(size)(image, base, Image.open(style_path).convert("RGB"))
        return {**shares, "method": "neural-style-pt (random VGG-19)", "size": size, "patterns": 1, "peak_rss_mb": peak_mb,
                "seconds": seconds, "s_per_iter": seconds / iterations, "distance": distance,
                "ssim": ssim_luma(base, image), "seam": seam_ratio(image, "basic"), "base_seam": seam_ratio(base, "basic")}


VECTOR_CANDIDATES: list[dict[str, Any]] = [
    {},  # vtracer's own defaults
    {"filter_speckle": 2, "color_precision": 7, "layer_difference": 8, "mode": "polygon"},
    {"filter_speckle": 4, "color_precision": 6, "layer_difference": 16, "mode": "polygon"},
    {"filter_speckle": 8, "color_precision": 5, "layer_difference": 32, "mode": "polygon"},
]


def _vector_table(style_paths: list[str], size: int = 512, tiles: int = 2) -> str:
    """Time, size, paths and SSIM of vtracer settings on stylized tiles (sets DEFAULT_VECTOR_SETTINGS)."""
    import torch

    from stylization.engine import Engine, StyleParams, generate_pattern, seam_ratio
    from stylization.engine.images import fit_style
    from stylization.engine.metrics import interior_cut_ratio
    from stylization.engine.vectorize import MAX_CONTEXT, render_svg, vectorize_tile

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    engine = Engine(device="cpu", encoder="random")
    stylized = []
    for i in range(tiles):
        base = generate_pattern("basic", size=size, seed=200 + i, kind="ditsy")
        style = fit_style(Image.open(style_paths[i % len(style_paths)]).convert("RGB"))
        stylized.append(engine.render_tile(base, style, repeat="basic", params=StyleParams(seed=i),
                                           width_px=size, height_px=size).image)
    lines = ["| settings | context px | time s | SVG KB | paths | SSIM | render seam | render interior cuts | raster seam |",
             "|---|---|---|---|---|---|---|---|---|"]
    candidates = [(c, None) for c in VECTOR_CANDIDATES] + [(VECTOR_CANDIDATES[1], size // 16)]
    for candidate, margin in candidates:
        stats = []
        for tile in stylized:
            started = time.perf_counter()
            result = vectorize_tile(tile, repeat="basic", margin=margin, settings=candidate or {
                "filter_speckle": 4, "color_precision": 6, "layer_difference": 16, "mode": "spline"})
            rendered = render_svg(result.svg, size, size)
            stats.append((time.perf_counter() - started, result.bytes / 1024, result.paths, result.ssim,
                          seam_ratio(rendered, "basic"), interior_cut_ratio(rendered, "basic"), seam_ratio(tile, "basic")))
        mean = np.mean(stats, axis=0)
        label = ", ".join(f"{k}={v}" for k, v in candidate.items()) or "vtracer defaults (spline, 4/6/16)"
        context = margin if margin is not None else min(size // 2, MAX_CONTEXT)
        lines.append(f"| {label} | {context} | {mean[0]:.2f} | {mean[1]:.0f} | {mean[2]:.0f} | {mean[3]:.3f} | "
                     f"{mean[4]:.3f} | {mean[5]:.3f} | {mean[6]:.3f} |")
    return "\n".join(lines)


def _random_vgg_weights(directory: Path) -> str:
    import torch
    from torchvision.models import vgg19

    from stylization.engine.encoders import sha256_file

    torch.manual_seed(0)
    raw = directory / "raw.pth"
    torch.save(vgg19().state_dict(), raw)  # torchvision's (and neural-style-pt's) key layout
    named = directory / f"vgg19-{sha256_file(raw)[:8]}.pth"
    raw.rename(named)
    return str(named)


def _device_table(device: str, sizes: list[int], weights: str, style_path: str) -> str:
    """Final-tile renders on an accelerator: wall time, seconds per iteration, peak device memory and
    the seam ratio, for the VGG-19 path (random weights in torchvision's layout) and ours."""
    import torch

    from stylization.engine import Engine, StyleParams, fit_style, generate_pattern, seam_ratio

    style = fit_style(Image.open(style_path).convert("RGB"))
    lines = [f"| encoder | size | wall s | iterations | s/iter | peak {device} MB | seam ratio |", "|---|---|---|---|---|---|---|"]
    for encoder in ("vgg19", "random"):
        engine = Engine(device=device, encoder=encoder, weights_path=weights if encoder == "vgg19" else None)
        warm = generate_pattern("basic", size=256, seed=0)
        engine.render_tile(warm, style, repeat="basic", params=StyleParams(), width_px=256, height_px=256)
        for size in sizes:
            content = generate_pattern("basic", size=size, seed=1)
            if device == "cuda":
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
            start = time.perf_counter()
            result = engine.render_tile(content, style, repeat="basic", params=StyleParams(seed=1),
                                        width_px=size, height_px=size)
            if device == "cuda":
                torch.cuda.synchronize()
            seconds = time.perf_counter() - start
            peak = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else float("nan")
            iterations = int(result.info.get("iterations", 0)) or 1
            lines.append(f"| {engine.encoder_name} | {size}² | {seconds:.1f} | {iterations} | {seconds / iterations:.3f} | "
                         f"{peak:.0f} | {seam_ratio(result.image, 'basic'):.2f} |")
            print(lines[-1], file=sys.stderr, flush=True)
    return "\n".join(lines)


def _table(rows: list[dict[str, Any]]) -> str:
    lines = ["| method | patterns | wall s/pattern | s/iter | style distance | SSIM | seam ratio | base seam | peak RSS MB |",
             "|---|---|---|---|---|---|---|---|---|"]
    def cell(value: float, digits: int) -> str:
        return "—" if np.isnan(value) else f"{value:.{digits}f}"  # the reference row stylizes nothing

    for r in rows:
        lines.append(f"| {r['method']} | {r['patterns']} | {cell(r['seconds'], 2)} | {cell(r['s_per_iter'], 3)} | "
                     f"{r['distance']:.3f} | {cell(r['ssim'], 3)} | {cell(r['seam'], 3)} | {r['base_seam']:.3f} | "
                     f"{r['peak_rss_mb']:.0f} |")
    return "\n".join(lines)


def _distance_table(rows: list[dict[str, Any]]) -> str:
    """Each Portilla-Simoncelli group's share of the squared style distance (the shares sum to it)."""
    groups = [k for k in rows[0] if k.startswith("ps:")]
    lines = ["| statistic group | " + " | ".join(r["method"] for r in rows) + " |", "|---" * (len(rows) + 1) + "|"]
    for group in groups:
        lines.append(f"| {group[3:]} | " + " | ".join(f"{r[group]:.4f}" for r in rows) + " |")
    lines.append("| **sum (mean of distance²)** | " + " | ".join(f"{sum(r[g] for g in groups):.4f}" for r in rows) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stylization.bench")
    parser.add_argument("--sizes", default="256,512,1200")
    parser.add_argument("--patterns", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="2 patterns, 256 only, VGG skipped")
    parser.add_argument("--styles")
    parser.add_argument("--peer", help="checkout of ProGamerGov/neural-style-pt")
    parser.add_argument("--vgg-patterns", type=int, default=1)
    parser.add_argument("--vector", action="store_true", help="only measure vtracer settings")
    parser.add_argument("--device", help="e.g. cuda: final-tile renders of VGG-19 and ours on that device only")
    parser.add_argument("--methods", default=",".join((*METHODS, "neural-style-pt")),
                        help="a subset of the table's rows, e.g. ours-random for a lone 3600² render")
    args = parser.parse_args(argv)
    sizes = [256] if args.quick else [int(s) for s in args.sizes.split(",")]
    patterns = 2 if args.quick else args.patterns
    style_paths = sorted(str(p) for p in _style_dir(args.styles).glob("*.jpg"))
    if not style_paths:
        print(f"no style images (*.jpg) in {_style_dir(args.styles)}", file=sys.stderr)
        return 2
    if args.vector:
        print(_vector_table(style_paths))
        return 0
    if args.device:
        with tempfile.TemporaryDirectory() as tmp:
            print(_device_table(args.device, sizes, _random_vgg_weights(Path(tmp)), style_paths[0]))
        return 0
    wanted = set(args.methods.split(","))
    unknown = wanted - set(METHODS) - {"neural-style-pt"}
    if unknown:
        print(f"unknown methods: {', '.join(sorted(unknown))}; expected {', '.join(METHODS)}, neural-style-pt",
              file=sys.stderr)
        return 2
    context = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        needs_vgg = bool(wanted & {"vgg19-random-weights", "neural-style-pt"})
        weights = _random_vgg_weights(Path(tmp)) if needs_vgg and not args.quick else None
        for size in sizes:
            plan = [(method, args.vgg_patterns if method == "vgg19-random-weights" else patterns)
                    for method in METHODS if method in wanted and (weights or method != "vgg19-random-weights")]
            rows = []
            for method, count in plan:
                with context.Pool(1, maxtasksperchild=1) as pool:
                    rows.append(pool.apply(_run_method, (method, size, count, style_paths, 120, weights)))
                print(f"  done {method} at {size}²", file=sys.stderr, flush=True)
            if args.peer and weights and "neural-style-pt" in wanted:
                # From a fresh process, so RUSAGE_CHILDREN holds the peer's peak RSS and no one else's.
                with context.Pool(1, maxtasksperchild=1) as pool:
                    rows.append(pool.apply(_peer, (args.peer, size, style_paths[0], weights, 120)))
            print(f"\n### {size}×{size} (2-core CPU, load average {os.getloadavg()[0]:.1f})\n")
            print(_table(rows))
            print(f"\nWhere the style distance lives at {size}² (mean share of distance² per pattern):\n")
            print(_distance_table(rows), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
