"""Benchmark: `python -m tests.benchmarks.stylization [--sizes 256,512,1200] [--patterns 8] [--quick] [--peer DIR]`,
or `--api-latency N` for request-to-preview through the API (`tests.benchmarks.api_latency`).

The judges are not the encoder under test: style distance uses plenoptic's
Portilla-Simoncelli statistics on greyscale, structure uses luminance SSIM, seams use
`seam_ratio`, colour by a sliced Wasserstein distance over Lab pixels and texture by the
mean nearest-neighbour distance of 7x7 Lab patches. Each method runs in a fresh spawned process so
peak RSS is its own. With the optimiser and `feedforward-model` rows together it also prints the
issue-15 quality gate and writes a contact sheet (base | style | optimiser | model).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace as dataclasses_replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from tests.benchmarks._common import DEMO_STYLE_MODELS, DEMO_STYLES, ROOT

REPEATS = ("basic", "half_drop", "half_brick")
KINDS = ("ditsy", "motifs", "blobs", "geometric")
METHODS = (
    "painting-crops-reference",
    "gatys-single-scale-reflect",
    "ours-random",
    "ours-lite0",
    "feedforward-model-today",
    "feedforward-model",
    "feedforward-model-colour-matched",
    "ours-zero-padded-control",
    "vgg19-random-weights",
    "ours-lite0-motifs",
    "ours-lite0-ground",
    "feedforward-model-colour-matched-motifs",
    "feedforward-model-colour-matched-ground",
)
# Rows that are another row with `StyleParams.regions` set: the style paints only the motifs or the ground.
REGION_ROWS = {
    f"{row}-{regions}": (row, regions)
    for row in ("ours-lite0", "feedforward-model-colour-matched")
    for regions in ("motifs", "ground")
}
# The encoder each row's engine loads: today's rows keep the random encoder they were made with.
ENCODERS = {
    "ours-lite0": "efficientnet_lite0",
    "feedforward-model": "efficientnet_lite0",
    "feedforward-model-colour-matched": "efficientnet_lite0",
    "vgg19-random-weights": "vgg19",
}
# The base patterns the rows are judged on, never trained on: pattern i of a table has seed
# HELD_OUT_SEEDS[i], of the vector table VECTOR_SEEDS[i]. The models' TRAINING_PATTERNS
# (stylization.engine.patterns) use none of them; tests/stylization/test_training_patterns.py holds that.
HELD_OUT_SEEDS = range(100, 200)
VECTOR_SEEDS = range(200, 300)
# The Lite2 judge's blocks: the last of each stage up to stride 16 (a network the loss does not use).
JUDGE_BLOCKS = (3, 6, 10, 14)
# The shipped demo models (`manage.py train_style_models`); the bench trains any that are missing.
MODELS_DIR = DEMO_STYLE_MODELS


def _style_dir(explicit: str | None) -> Path:
    if explicit:
        return Path(explicit)
    if DEMO_STYLES.is_dir():
        return DEMO_STYLES
    return ROOT.parent / "shared" / "data" / "styles"


def judge_style_distance(size: int):
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
        shares = {
            f"ps:{name}": float(v.nan_to_num().norm() ** 2) / base_gap**2  # NaN marks redundant entries
            for name, v in groups.items()
            if torch.is_tensor(v)
        }
        return float(gap.norm()) / base_gap, shares

    return distance


def judge_lite2(size: int):
    """Gram distance over EfficientNet-Lite2's blocks (its own ImageNet weights, run as trained), relative to
    the base's: 1.0 is no closer to the painting than the base pattern itself, 0 is the painting's Grams."""
    import torch

    from stylization.engine.encoders import EfficientNetLiteEncoder
    from stylization.engine.images import to_tensor

    network = EfficientNetLiteEncoder("efficientnet_lite2")

    def grams(image: Image.Image) -> list[torch.Tensor]:
        x = to_tensor(image.convert("RGB").resize((size, size), Image.Resampling.LANCZOS))
        with torch.no_grad():
            features = network.block_features(x, JUDGE_BLOCKS)
        return [(f.flatten(2) @ f.flatten(2).transpose(1, 2))[0] / f[0, 0].numel() for f in features]

    def distance(output: Image.Image, base: Image.Image, reference: Image.Image) -> float:
        target = grams(reference)

        def gap(image: Image.Image) -> float:
            return float(
                np.mean(
                    [
                        float((g - t).pow(2).sum() / t.pow(2).sum())
                        for g, t in zip(grams(image), target, strict=True)
                    ]
                )
            )

        return gap(output) / gap(base)

    return distance


def structure_retention(output: Image.Image, base: Image.Image, *, motif_scale: int = 4) -> float:
    """Luminance SSIM to the base at the motif's scale (both reduced `motif_scale` times): the motifs' shapes
    and places count, brush strokes finer than that do not. The base itself scores 1."""
    from stylization.engine import ssim_luma

    size = (max(16, base.width // motif_scale), max(16, base.height // motif_scale))
    return ssim_luma(
        base.convert("RGB").resize(size, Image.Resampling.LANCZOS),
        output.convert("RGB").resize(size, Image.Resampling.LANCZOS),
    )


def _lab_pixels(image: Image.Image) -> np.ndarray:
    from stylization.engine.colour import srgb_to_lab

    return srgb_to_lab(np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0)


def _judge_reference(style: Image.Image, size: int) -> Image.Image:
    """The square of the painting the palette and patch judges compare with: the PS judge's own centre square."""
    from PIL import ImageOps

    return ImageOps.fit(style.convert("RGB"), (size, size), Image.Resampling.LANCZOS)


def palette_distance(
    output: Image.Image, reference: Image.Image, *, projections: int = 64, seed: int = 0
) -> float:
    """Sliced Wasserstein-1 distance between the Lab pixel clouds of output and reference (Lab units)."""
    a, b = _lab_pixels(output).reshape(-1, 3), _lab_pixels(reference).reshape(-1, 3)
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(projections, 3))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    quantiles = np.linspace(0.0, 1.0, 512)
    pa = np.quantile(a @ directions.T, quantiles, axis=0)
    pb = np.quantile(b @ directions.T, quantiles, axis=0)
    return float(np.abs(pa - pb).mean())


def patch_distance(
    output: Image.Image, reference: Image.Image, *, patch: int = 7, samples: int = 1500, seed: int = 0
) -> float:
    """Mean distance from the output's 7x7 Lab patches to their nearest patch of the reference, per pixel."""
    import torch

    def patches(image: Image.Image, stride: int) -> torch.Tensor:
        lab = torch.from_numpy(_lab_pixels(image)).permute(2, 0, 1)[None].float()
        return torch.nn.functional.unfold(lab, patch, stride=stride)[0].T  # (count, 3 * patch²)

    ours, theirs = patches(output, 1), patches(reference, 1)
    pick = torch.from_numpy(
        np.random.default_rng(seed).choice(len(ours), min(samples, len(ours)), replace=False)
    )
    ours = ours[pick]
    nearest = torch.cat([torch.cdist(chunk, theirs).min(dim=1).values for chunk in ours.split(250)])
    return float(nearest.mean()) / patch


def painting_crops(style: Image.Image, size: int) -> list[Image.Image]:
    """Squares of the painting at the judge's scale, away from the centre square it is judged against.

    What a genuine piece of the painting scores is the floor a stylized tile can hope for: the
    judge compares with one crop, and the rest of the painting differs from it too.
    """
    scale = size / min(style.size)
    whole = style.resize(
        (max(size, round(style.width * scale)), max(size, round(style.height * scale))),
        Image.Resampling.LANCZOS,
    )
    crops = []
    for f in (0.0, 0.25, 0.75, 1.0):  # 0.5 would be the judge's own centre square
        left, top = round((whole.width - size) * f), round((whole.height - size) * f)
        crops.append(whole.crop((left, top, left + size, top + size)))
    return crops


def _run_method(
    label_method: str,
    size: int,
    patterns: int,
    style_paths: list[str],
    iterations: int,
    weights: str | None,
    strength: float = 0.7,
    variant: tuple[str, str] | None = None,
    today_models: str | None = None,
    first: int = 0,
) -> dict[str, Any]:
    """Runs in a spawned child: stylize base patterns `first`..`patterns - 1`, judge them, report peak RSS.

    Pattern i is the same for every row and every run (seed, repeat, kind and style follow from i), so
    a run from `first` extends a cached run of `first` patterns."""
    import torch

    from stylization.engine import Engine, StyleParams, generate_pattern, seam_ratio, ssim_luma
    from stylization.engine import engine as engine_module
    from stylization.engine.images import fit_style, to_image, to_tensor
    from stylization.engine.transfer import Job, LossWeights, optimise, style_grams

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    import io

    method, regions = REGION_ROWS.get(label_method, (label_method, "all"))
    distance = judge_style_distance(size)
    lite2_distance = judge_lite2(size)
    styles = [fit_style(Image.open(p).convert("RGB")) for p in style_paths]
    rows: list[dict[str, float]] = []
    reference = method == "painting-crops-reference"
    encoder_name = ENCODERS.get(method, "random")
    # The reference row stylizes nothing, so it loads no encoder (and its peak RSS is the judge's alone).
    engine = (
        None
        if reference
        else Engine(device="cpu", encoder=encoder_name, weights_path=weights, expected_sha256=None)
    )
    feedforward = method.startswith("feedforward-model")
    model_dir = today_models if method == "feedforward-model-today" else variant[1] if variant else None
    models = _style_models(style_paths, engine, model_dir) if feedforward and engine is not None else []
    if method in ("feedforward-model-colour-matched", "feedforward-model-today"):
        # The product's colour match: Reinhard's pointwise Lab match to the style after the network.
        models = [m.with_style_palette(Image.open(p)) for m, p in zip(models, style_paths, strict=True)]
    sheet: list[bytes] = []
    for i in range(first, patterns):
        repeat = REPEATS[i % len(REPEATS)]
        base = generate_pattern(repeat, size=size, seed=HELD_OUT_SEEDS[i], kind=KINDS[i % len(KINDS)])
        style = styles[i % len(styles)]
        base_seam = seam_ratio(base, repeat)
        square = _judge_reference(style, size)
        if reference:
            crops = painting_crops(style, size)
            judged = [distance(crop, base, style) for crop in crops]
            shares = {k: float(np.mean([j[1][k] for j in judged])) for k in judged[0][1]}
            rows.append(
                {
                    "seconds": float("nan"),
                    "s_per_iter": float("nan"),
                    "distance": float(np.mean([j[0] for j in judged])),
                    "ssim": float("nan"),
                    "lite2": float(np.mean([lite2_distance(c, base, square) for c in crops])),
                    "structure": float("nan"),
                    "seam": float("nan"),
                    "base_seam": base_seam,
                    "palette": float(np.mean([palette_distance(c, square) for c in crops])),
                    "patch": float(np.mean([patch_distance(c, square) for c in crops])),
                    "inference_ms": float("nan"),
                    "training_s": float("nan"),
                    **shares,
                }
            )
            continue
        assert engine is not None
        params = StyleParams(seed=i, strength=strength, regions=regions)
        started = time.perf_counter()
        if method == "gatys-single-scale-reflect":
            # The plain baseline: one scale, reflection padding, no repeat anywhere.
            content = to_tensor(base)
            targets = style_grams(
                engine.encoder, to_tensor(style.resize((size, round(size * style.height / style.width))))
            )
            out = optimise(
                content,
                content,
                targets,
                encoder=engine.encoder,
                repeat="mirror",
                weights=LossWeights.for_strength(params.strength),
                iterations=iterations,
                job=Job(iterations, None, None),
            )
            image, done = to_image(out), iterations
        elif feedforward:
            model = models[i % len(models)]
            image, done = model.stylize(base, repeat=repeat, params=params, long_side=size).image, 1
        else:
            padding = "zeros" if method == "ours-zero-padded-control" else None
            if size <= engine_module.PREVIEW_MAX_SIDE:
                result = engine.preview(
                    base, style, repeat=repeat, params=params, long_side=size, padding=padding
                )
            else:
                result = engine.render_tile(
                    base, style, repeat=repeat, params=params, width_px=size, height_px=size, padding=padding
                )
            image, done = result.image, result.info["iterations"]
        seconds = time.perf_counter() - started
        inference_ms, training_s = float("nan"), float("nan")
        if feedforward:
            timings = []
            for _ in range(5):  # warm: the first call above loaded and ran it once
                tick = time.perf_counter()
                model.stylize(base, repeat=repeat, params=params, long_side=size)
                timings.append((time.perf_counter() - tick) * 1000)
            inference_ms, training_s = float(np.median(timings)), model.training_seconds
        style_distance, shares = distance(image, base, style)
        rows.append(
            {
                "seconds": seconds,
                "s_per_iter": seconds / max(done, 1),
                "distance": style_distance,
                "ssim": ssim_luma(base, image),
                "seam": seam_ratio(image, repeat),
                "lite2": lite2_distance(image, base, square),
                "structure": structure_retention(image, base),
                "base_seam": base_seam,
                "palette": palette_distance(image, square),
                "patch": patch_distance(image, square),
                "inference_ms": inference_ms,
                "training_s": training_s,
                **shares,
            }
        )
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        sheet.append(buffer.getvalue())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    summary = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
    label = f"{label_method}:{variant[0]}" if variant else label_method
    return {
        "method": label,
        "size": size,
        "patterns": patterns,
        "peak_rss_mb": peak_mb,
        **summary,
        "per_pattern": rows,
        "images": sheet,
    }


def extend_row(earlier: dict[str, Any], later: dict[str, Any]) -> dict[str, Any]:
    """One row of the patterns of both runs: each figure the mean over all of them, peak RSS the larger."""
    per_pattern = earlier["per_pattern"] + later["per_pattern"]
    summary = {k: float(np.mean([r[k] for r in per_pattern])) for k in per_pattern[0]}
    return {
        **later,
        **summary,
        "patterns": len(per_pattern),
        "per_pattern": per_pattern,
        "peak_rss_mb": max(earlier["peak_rss_mb"], later["peak_rss_mb"]),
        "images": earlier["images"] + later["images"],
    }


def _style_models(style_paths: list[str], engine: Any, variant_dir: str | None = None) -> list[Any]:
    """Each style's model: the shipped one when its identity matches, else one trained here (and timed).

    With `variant_dir` (a lever under measurement, trained by `manage.py train_style_models --out DIR
    --set FIELD=VALUE`), each style's `<stem>.pt` there, whatever its configuration."""
    import hashlib
    import json

    from stylization.engine.feedforward import (
        ModelConfig,
        demo_training_bases,
        load_model_file,
        model_identity,
        train,
    )

    config = ModelConfig()
    models = []
    for path in style_paths:
        sha = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        if variant_dir is not None:
            model = load_model_file(Path(variant_dir) / f"{Path(path).stem}.pt")
            if model.style_sha256 != sha or model.encoder_sha256 != engine.encoder.weights_sha256:
                raise SystemExit(
                    f"{variant_dir}: the model for {Path(path).stem} was trained on another style or encoder"
                )
            models.append(model)
            continue
        shipped = MODELS_DIR / f"{Path(path).stem}.pt"
        identity = model_identity(
            style_sha256=sha, encoder_sha256=engine.encoder.weights_sha256, config=config
        )
        card = shipped.with_suffix(".json")
        if card.is_file() and json.loads(card.read_text()).get("identity") == identity:
            models.append(load_model_file(shipped))
            continue
        print(
            f"  training a model for {Path(path).stem} (no shipped one matches)", file=sys.stderr, flush=True
        )
        models.append(
            train(
                Image.open(path).convert("RGB"),
                demo_training_bases(config.target_side),
                encoder=engine.encoder,
                style_sha256=sha,
                config=config,
            )
        )
    return models


def _peer(peer_dir: str, size: int, style_path: str, weights: str, iterations: int) -> dict[str, Any]:
    """ProGamerGov/neural-style-pt on the same random VGG-19 weights, timed as a subprocess."""
    from stylization.engine import generate_pattern, seam_ratio, ssim_luma

    with tempfile.TemporaryDirectory() as tmp:
        base = generate_pattern("basic", size=size, seed=HELD_OUT_SEEDS[0], kind="ditsy")
        base_path, out_path = Path(tmp) / "base.png", Path(tmp) / "out.png"
        base.save(base_path)
        command = [
            sys.executable,
            str(Path(peer_dir) / "neural_style.py"),
            "-content_image",
            str(base_path),
            "-style_image",
            style_path,
            "-image_size",
            str(size),
            "-num_iterations",
            str(iterations),
            "-model_file",
            weights,
            "-gpu",
            "c",
            "-backend",
            "nn",
            "-output_image",
            str(out_path),
            "-print_iter",
            "0",
            "-save_iter",
            "0",
            "-content_layers",
            "relu4_2",
            "-style_layers",
            "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1",
        ]
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, timeout=3600)
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        image = Image.open(out_path).convert("RGB").resize(base.size)
        distance, shares = judge_style_distance(size)(image, base, Image.open(style_path).convert("RGB"))
        return {
            **shares,
            "method": "neural-style-pt (random VGG-19)",
            "size": size,
            "patterns": 1,
            "peak_rss_mb": peak_mb,
            "seconds": seconds,
            "s_per_iter": seconds / iterations,
            "distance": distance,
            "ssim": ssim_luma(base, image),
            "seam": seam_ratio(image, "basic"),
            "base_seam": seam_ratio(base, "basic"),
        }


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
        base = generate_pattern("basic", size=size, seed=VECTOR_SEEDS[i], kind="ditsy")
        style = fit_style(Image.open(style_paths[i % len(style_paths)]).convert("RGB"))
        stylized.append(
            engine.render_tile(
                base, style, repeat="basic", params=StyleParams(seed=i), width_px=size, height_px=size
            ).image
        )
    lines = [
        "| settings | context px | time s | SVG KB | paths | SSIM | render seam | render interior cuts | raster seam |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    candidates = [(c, None) for c in VECTOR_CANDIDATES] + [(VECTOR_CANDIDATES[1], size // 16)]
    for candidate, margin in candidates:
        stats = []
        for tile in stylized:
            started = time.perf_counter()
            result = vectorize_tile(
                tile,
                repeat="basic",
                margin=margin,
                settings=candidate
                or {"filter_speckle": 4, "color_precision": 6, "layer_difference": 16, "mode": "spline"},
            )
            rendered = render_svg(result.svg, size, size)
            stats.append(
                (
                    time.perf_counter() - started,
                    result.bytes / 1024,
                    result.paths,
                    result.ssim,
                    seam_ratio(rendered, "basic"),
                    interior_cut_ratio(rendered, "basic"),
                    seam_ratio(tile, "basic"),
                )
            )
        mean = np.mean(stats, axis=0)
        label = ", ".join(f"{k}={v}" for k, v in candidate.items()) or "vtracer defaults (spline, 4/6/16)"
        context = margin if margin is not None else min(size // 2, MAX_CONTEXT)
        lines.append(
            f"| {label} | {context} | {mean[0]:.2f} | {mean[1]:.0f} | {mean[2]:.0f} | {mean[3]:.3f} | "
            f"{mean[4]:.3f} | {mean[5]:.3f} | {mean[6]:.3f} |"
        )
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
    lines = [
        f"| encoder | size | wall s | iterations | s/iter | peak {device} MB | seam ratio |",
        "|---|---|---|---|---|---|---|",
    ]
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
            result = engine.render_tile(
                content, style, repeat="basic", params=StyleParams(seed=1), width_px=size, height_px=size
            )
            if device == "cuda":
                torch.cuda.synchronize()
            seconds = time.perf_counter() - start
            peak = torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else float("nan")
            iterations = int(result.info.get("iterations", 0)) or 1
            lines.append(
                f"| {engine.encoder_name} | {size}² | {seconds:.1f} | {iterations} | {seconds / iterations:.3f} | "
                f"{peak:.0f} | {seam_ratio(result.image, 'basic'):.2f} |"
            )
            print(lines[-1], file=sys.stderr, flush=True)
    return "\n".join(lines)


def _render_memory(encoder: str, side: int, iterations: int) -> dict[str, Any]:
    """Runs in a spawned child: a final render of a side² half-drop tile with `iterations` a level (a dry
    run of the whole plan: every level, windowed ones included, at its real size), and its peak RSS."""
    import torch

    from stylization.engine import Engine, StyleParams, generate_pattern

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    style = Image.open(sorted(_style_dir(None).glob("*.jpg"))[0]).convert("RGB")
    engine = Engine(device="cpu", encoder=encoder)
    base = generate_pattern("half_drop", size=256, seed=100, kind="motifs")
    started = time.perf_counter()
    result = engine.render_tile(
        base,
        style,
        repeat="half_drop",
        params=StyleParams(),
        width_px=side,
        height_px=side,
        iterations_cap=iterations,
    )
    return {
        "encoder": encoder,
        "seconds": time.perf_counter() - started,
        "levels": len(engine.render_plan(width_px=side, height_px=side, repeat="half_drop")),
        "iterations": result.info["iterations"],
        "halo": engine.encoder.halo,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _render_memory_table(side: int, iterations: int) -> str:
    context = mp.get_context("spawn")
    lines = [
        f"Final render {side}² half drop, {iterations} iteration(s) a level (the plan's sizes, windowed above "
        "1280 px), one spawned process each",
        "| encoder | halo px | levels | iterations | wall s | peak RSS MB |",
        "|---|---|---|---|---|---|",
    ]
    for encoder in ("random", "efficientnet_lite0"):
        with context.Pool(1, maxtasksperchild=1) as pool:
            r = pool.apply(_render_memory, (encoder, side, iterations))
        lines.append(
            f"| {r['encoder']} | {r['halo']} | {r['levels']} | {r['iterations']} | {r['seconds']:.1f} | "
            f"{r['peak_rss_mb']:.0f} |"
        )
    return "\n".join(lines)


def _cell(value: float, digits: int) -> str:
    return (
        "—" if value is None or np.isnan(value) else f"{value:.{digits}f}"
    )  # the reference row stylizes nothing


def _table(rows: list[dict[str, Any]]) -> str:
    reference = next((r for r in rows if r["method"] == "painting-crops-reference"), None)
    lines = [
        "| method | patterns | wall s/pattern | s/iter | Lite2 style distance | × reference | structure | "
        "PS style distance | × reference | SSIM | seam ratio | base seam | palette (SW, Lab) | "
        "patch (7×7 Lab NN) | inference ms | training s | peak RSS MB |",
        "|---" * 17 + "|",
    ]
    for r in rows:
        ratio = r["distance"] / reference["distance"] if reference else float("nan")
        lite2_ratio = r["lite2"] / reference["lite2"] if reference else float("nan")
        lines.append(
            f"| {r['method']} | {r['patterns']} | {_cell(r['seconds'], 2)} | {_cell(r['s_per_iter'], 3)} | "
            f"{r['lite2']:.3f} | {_cell(lite2_ratio, 2)} | {_cell(r['structure'], 3)} | "
            f"{r['distance']:.3f} | {_cell(ratio, 2)} | {_cell(r['ssim'], 3)} | {_cell(r['seam'], 3)} | "
            f"{r['base_seam']:.3f} | {_cell(r.get('palette', float('nan')), 2)} | "
            f"{_cell(r.get('patch', float('nan')), 2)} | {_cell(r.get('inference_ms', float('nan')), 1)} | "
            f"{_cell(r.get('training_s', float('nan')), 0)} | {r['peak_rss_mb']:.0f} |"
        )
    lines.append(
        "| base pattern itself (structure floor) | — | — | — | 1.000 | — | 1.000 | — | — | 1.000 | — | — | — | — "
        "| — | — | — |"
    )
    return "\n".join(lines)


def _encoder_gate_table(rows: list[dict[str, Any]]) -> str:
    """Issue 24's targets: the new optimiser against today's, and the new live model against the new optimiser."""
    by = {r["method"]: r for r in rows}
    if "ours-lite0" not in by or "ours-random" not in by:
        return ""
    new, today = by["ours-lite0"], by["ours-random"]
    lines = [
        "| pair | figure | reference row | row | ratio or difference | target | met |",
        "|---|---|---|---|---|---|---|",
    ]

    def line(pair: str, label: str, ref: float, row: float, shown: str, target: str, ok: bool) -> None:
        lines.append(
            f"| {pair} | {label} | {ref:.3f} | {row:.3f} | {shown} | {target} | {'yes' if ok else 'no'} |"
        )

    line(
        "new optimiser / today's optimiser",
        "Lite2 style distance",
        today["lite2"],
        new["lite2"],
        f"{new['lite2'] / today['lite2']:.2f}×",
        "≤ 0.7×",
        new["lite2"] <= 0.7 * today["lite2"],
    )
    line(
        "new optimiser − today's optimiser",
        "structure",
        today["structure"],
        new["structure"],
        f"{new['structure'] - today['structure']:+.3f}",
        "≥ +0.1",
        new["structure"] >= today["structure"] + 0.1,
    )
    model = by.get("feedforward-model-colour-matched") or by.get("feedforward-model")
    if model is not None:
        line(
            "new model / new optimiser",
            "Lite2 style distance",
            new["lite2"],
            model["lite2"],
            f"{model['lite2'] / new['lite2']:.2f}×",
            "≤ 1.25×",
            model["lite2"] <= 1.25 * new["lite2"],
        )
        line(
            "new model − new optimiser",
            "structure",
            new["structure"],
            model["structure"],
            f"{model['structure'] - new['structure']:+.3f}",
            "within 0.05",
            abs(model["structure"] - new["structure"]) <= 0.05,
        )
        line(
            "new model",
            "mean seam ratio",
            new["seam"],
            model["seam"],
            f"{model['seam']:.3f}",
            "≤ 1.10",
            model["seam"] <= 1.10,
        )
        line(
            "new model",
            "inference ms (warm)",
            float("nan"),
            model["inference_ms"],
            f"{model['inference_ms']:.1f}",
            "≤ 50",
            model["inference_ms"] <= 50,
        )
    line(
        "new optimiser",
        "preview s (whole optimisation)",
        today["seconds"],
        new["seconds"],
        f"{new['seconds']:.1f}",
        "≤ 12",
        new["seconds"] <= 12,
    )
    return "\n".join(lines)


GATE = (
    ("style distance", "distance", "≤ 1.15×", lambda m, o: m <= 1.15 * o),
    ("SSIM to base", "ssim", "≥ opt − 0.05", lambda m, o: m >= o - 0.05),
    ("palette distance", "palette", "≤ 1.15×", lambda m, o: m <= 1.15 * o),
    ("patch distance", "patch", "≤ 1.15×", lambda m, o: m <= 1.15 * o),
)


def gate_table(rows: list[dict[str, Any]], model_method: str = "feedforward-model") -> str:
    """The issue's quality gate: a model row against the optimiser on the same held-out patterns."""
    by = {r["method"]: r for r in rows}
    if model_method not in by or "ours-random" not in by:
        return ""
    model, opt = by[model_method], by["ours-random"]
    lines = ["| figure | optimiser | model | model / optimiser | target | met |", "|---|---|---|---|---|---|"]
    for label, key, target, ok in GATE:
        lines.append(
            f"| {label} | {opt[key]:.3f} | {model[key]:.3f} | {model[key] / opt[key]:.2f} | {target} | "
            f"{'yes' if ok(model[key], opt[key]) else 'no'} |"
        )
    lines.append(
        f"| mean seam ratio | {opt['seam']:.3f} | {model['seam']:.3f} | — | ≤ 1.10 | "
        f"{'yes' if model['seam'] <= 1.10 else 'no'} |"
    )
    lines.append(
        f"| inference ms (warm) | {opt['seconds'] * 1000:.0f} (whole optimisation) | {model['inference_ms']:.1f} "
        f"| — | ≤ 50 | {'yes' if model['inference_ms'] <= 50 else 'no'} |"
    )
    reference = by.get("painting-crops-reference")
    if reference:
        for name, row, limit in (("optimiser", opt, 2.0), ("model", model, 2.2)):
            ratio = row["distance"] / reference["distance"]
            lines.append(
                f"| {name} style distance × painting-crops floor | — | — | {ratio:.2f} | ≤ {limit} | "
                f"{'yes' if ratio <= limit else 'no'} |"
            )
    return "\n".join(lines)


def _lever_table(rows: list[dict[str, Any]]) -> str:
    """One line per model row: each gate figure as a ratio to the optimiser, and how many gates it meets."""
    by = {r["method"]: r for r in rows}
    models = [
        r for r in rows if r["method"].startswith("feedforward-model") and r["method"] not in REGION_ROWS
    ]
    if "ours-random" not in by or not models:
        return ""
    opt = by["ours-random"]
    lines = [
        "| model row | PS × opt | SSIM − opt | palette × opt | patch × opt | seam | inference ms | gates met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for m in models:
        met = sum(ok(m[key], opt[key]) for _, key, _, ok in GATE) + (m["seam"] <= 1.10)
        lines.append(
            f"| {m['method']} | {m['distance'] / opt['distance']:.2f} | {m['ssim'] - opt['ssim']:+.3f} | "
            f"{m['palette'] / opt['palette']:.2f} | {m['patch'] / opt['patch']:.2f} | {m['seam']:.3f} | "
            f"{m['inference_ms']:.1f} | {met} of {len(GATE) + 1} |"
        )
    return "\n".join(lines)


def _product_row(rows: list[dict[str, Any]]) -> str:
    """The row that is what the product serves: the network, then the style's palette match."""
    methods = {r["method"] for r in rows}
    return (
        "feedforward-model-colour-matched"
        if "feedforward-model-colour-matched" in methods
        else "feedforward-model"
    )


def _per_pattern_table(rows: list[dict[str, Any]], model_method: str = "feedforward-model") -> str:
    by = {r["method"]: r for r in rows}
    if model_method not in by or "ours-random" not in by:
        return ""
    lines = [
        "| pattern | repeat | opt PS | model PS | opt SSIM | model SSIM | opt palette | model palette | "
        "opt patch | model patch | opt seam | model seam |",
        "|---" * 12 + "|",
    ]
    for i, (o, m) in enumerate(
        zip(by["ours-random"]["per_pattern"], by[model_method]["per_pattern"], strict=True)
    ):
        lines.append(
            f"| {i} | {REPEATS[i % len(REPEATS)]} | {o['distance']:.3f} | {m['distance']:.3f} | {o['ssim']:.3f} | "
            f"{m['ssim']:.3f} | {o['palette']:.2f} | {m['palette']:.2f} | {o['patch']:.2f} | {m['patch']:.2f} | "
            f"{o['seam']:.2f} | {m['seam']:.2f} |"
        )
    return "\n".join(lines)


# The contact sheet's columns after base and style, in order, each the first of its rows the run has
# (the region columns prefer the optimiser, which paints the previews buyers approve by default:
# STYLIZATION_PREVIEW_METHOD=painted); none, left out.
SHEET_COLUMNS = (
    ("ours-random",),
    ("ours-lite0",),
    ("feedforward-model-colour-matched",),
    ("ours-lite0-motifs", "feedforward-model-colour-matched-motifs"),
    ("ours-lite0-ground", "feedforward-model-colour-matched-ground"),
)


def sheet_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by = {r["method"]: r for r in rows if r.get("images")}
    return [
        next(by[m] for m in column if m in by) for column in SHEET_COLUMNS if any(m in by for m in column)
    ]


def contact_sheet(rows: list[dict[str, Any]], style_paths: list[str], size: int, path: Path) -> Path | None:
    """A PNG grid, one held-out pattern a row: base | style | today's optimiser | new optimiser | new model |
    motifs only | ground only."""
    import io

    from stylization.engine import generate_pattern

    shown = sheet_rows(rows)
    if not shown:
        return None
    cell, gap = 192, 6
    count = len(shown[0]["images"])
    columns = 2 + len(shown)
    sheet = Image.new(
        "RGB", (columns * cell + (columns + 1) * gap, count * (cell + gap) + gap), (255, 255, 255)
    )
    for i in range(count):
        repeat = REPEATS[i % len(REPEATS)]
        base = generate_pattern(repeat, size=size, seed=HELD_OUT_SEEDS[i], kind=KINDS[i % len(KINDS)])
        style = Image.open(style_paths[i % len(style_paths)]).convert("RGB")
        images = [
            base,
            _judge_reference(style, size),
            *(Image.open(io.BytesIO(r["images"][i])) for r in shown),
        ]
        for j, image in enumerate(images):
            sheet.paste(
                image.convert("RGB").resize((cell, cell), Image.Resampling.LANCZOS),
                (gap + j * (cell + gap), gap + i * (cell + gap)),
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)
    return path


def distance_table(rows: list[dict[str, Any]]) -> str:
    """Each Portilla-Simoncelli group's share of the squared style distance (the shares sum to it)."""
    groups = [k for k in rows[0] if k.startswith("ps:")]
    lines = [
        "| statistic group | " + " | ".join(r["method"] for r in rows) + " |",
        "|---" * (len(rows) + 1) + "|",
    ]
    for group in groups:
        lines.append(f"| {group[3:]} | " + " | ".join(f"{r[group]:.4f}" for r in rows) + " |")
    lines.append(
        "| **sum (mean of distance²)** | "
        + " | ".join(f"{sum(r[g] for g in groups):.4f}" for r in rows)
        + " |"
    )
    return "\n".join(lines)


def _quantization_table(style_paths: list[str], size: int, patterns: int, repeats: int) -> str:
    """The shipped live generators at `size`² on BENCH_THREADS threads: fp32, CPU autocast to bf16 and fp16,
    dynamic int8 and static int8 (each convolution quantized, padding and instance norm left in fp32).
    Warm ms per generator forward (median, the variants interleaved so load falls on all alike) and the
    judges on the product's tiles (colour-matched) of the held-out patterns, against fp32's."""
    import copy
    import hashlib

    import torch
    from torch import nn
    from torch.ao import quantization as tq

    from stylization.engine import Engine, StyleParams, generate_pattern
    from stylization.engine.feedforward import (
        RepeatConv,
        demo_training_bases,
        load_model_file,
        model_identity,
    )
    from stylization.engine.images import to_tensor

    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "2")))
    torch.backends.quantized.engine = "x86"
    engine = Engine(device="cpu", encoder="efficientnet_lite0", expected_sha256=None)
    models = []
    for path in style_paths:
        model = load_model_file(MODELS_DIR / f"{Path(path).stem}.pt")
        sha = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        assert model.identity == model_identity(
            style_sha256=sha, encoder_sha256=engine.encoder.weights_sha256, config=model.config
        ), f"{path}: the shipped model is stale"
        models.append(model.with_style_palette(Image.open(path)))

    class Autocast(nn.Module):
        def __init__(self, inner: nn.Module, dtype: torch.dtype) -> None:
            super().__init__()
            self.inner, self.dtype = inner, dtype

        def noise_shape(self, height: int, width: int) -> tuple[int, int]:
            return self.inner.noise_shape(height, width)  # type: ignore[operator]

        def forward(self, content: torch.Tensor, noise: torch.Tensor, repeat: str) -> torch.Tensor:
            with torch.autocast("cpu", dtype=self.dtype):
                return self.inner(content, noise, repeat).float()

    class QuantConv(nn.Module):
        def __init__(self, conv: nn.Module) -> None:
            super().__init__()
            self.quant, self.conv, self.dequant = tq.QuantStub(), conv, tq.DeQuantStub()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.dequant(self.conv(self.quant(x)))

    calibration = [(to_tensor(b.image.resize((size, size))), b.repeat) for b in demo_training_bases(size)[:8]]

    def static_int8(generator: nn.Module) -> nn.Module:
        quantized = copy.deepcopy(generator).eval()
        for module in quantized.modules():
            if isinstance(module, RepeatConv):
                module.conv = QuantConv(module.conv)  # type: ignore[assignment]
                module.conv.qconfig = tq.get_default_qconfig("x86")
        tq.prepare(quantized, inplace=True)
        with torch.inference_mode():
            for tile, repeat in calibration:
                noise = torch.randn((1, 1, *quantized.noise_shape(*tile.shape[-2:])))  # type: ignore[operator]
                quantized(tile, noise, repeat)
        return tq.convert(quantized, inplace=True)

    dynamic_note = ""

    def dynamic_int8(generator: nn.Module) -> nn.Module:
        nonlocal dynamic_note
        quantized = tq.quantize_dynamic(copy.deepcopy(generator), {nn.Linear, nn.Conv2d}, dtype=torch.qint8)
        changed = sum(
            type(a) is not type(b) for a, b in zip(generator.modules(), quantized.modules(), strict=True)
        )
        dynamic_note = f"quantize_dynamic replaced {changed} of {sum(1 for _ in generator.modules())} modules"
        return quantized

    variants: dict[str, Any] = {
        "fp32": lambda g: g,
        "bf16 autocast": lambda g: Autocast(g, torch.bfloat16),
        "fp16 autocast": lambda g: Autocast(g, torch.float16),
        "dynamic int8": dynamic_int8,
        "static int8": static_int8,
    }
    built = {
        name: [dataclasses_replace(m, generator=make(m.generator)) for m in models]
        for name, make in variants.items()
    }
    lite2, work = judge_lite2(size), torch.rand(1, 3, size, size)
    timings: dict[str, list[float]] = {name: [] for name in variants}
    with torch.inference_mode():
        noise = torch.randn((1, 1, *models[0].generator.noise_shape(size, size)))
        for name in variants:
            built[name][0].generator(work, noise, "basic")  # warm
        for round_ in range(repeats):
            # fp16 has no fast CPU kernels here (25× fp32 in the first run): a few rounds show it.
            for name in (n for n in variants if round_ < 3 or n != "fp16 autocast"):
                tick = time.perf_counter()
                built[name][0].generator(work, noise, "basic")
                timings[name].append((time.perf_counter() - tick) * 1000)
    figures: dict[str, dict[str, list[float]]] = {
        name: {"lite2": [], "structure": [], "psnr": []} for name in variants
    }
    for i in range(patterns):
        repeat = REPEATS[i % len(REPEATS)]
        base = generate_pattern(repeat, size=size, seed=HELD_OUT_SEEDS[i], kind=KINDS[i % len(KINDS)])
        square = _judge_reference(Image.open(style_paths[i % len(style_paths)]).convert("RGB"), size)
        params = StyleParams(seed=i, strength=0.7)
        reference = None
        for name in variants:
            image = (
                built[name][i % len(models)].stylize(base, repeat=repeat, params=params, long_side=size).image
            )
            pixels = np.asarray(image, dtype=np.float64)
            reference = pixels if reference is None else reference
            mse = float(np.mean((pixels - reference) ** 2))
            figures[name]["psnr"].append(10 * np.log10(255.0**2 / mse) if mse else float("inf"))
            figures[name]["lite2"].append(lite2(image, base, square))
            figures[name]["structure"].append(structure_retention(image, base))
    if not patterns:
        return "\n".join(
            [
                f"Live generator at {size}², {torch.get_num_threads()} threads, {repeats} interleaved "
                f"forwards (load average {os.getloadavg()[0]:.1f}; {dynamic_note})",
                "",
                "| variant | ms per forward (median) | × fp32 |",
                "|---|---|---|",
            ]
            + [
                f"| {name} | {np.median(t):.1f} | {np.median(t) / np.median(timings['fp32']):.2f} |"
                for name, t in timings.items()
            ]
        )
    fp32 = {k: float(np.mean(v)) for k, v in figures["fp32"].items() if k != "psnr"}
    lines = [
        f"Live generator at {size}², {torch.get_num_threads()} threads, {repeats} interleaved forwards "
        f"(load average {os.getloadavg()[0]:.1f}); judges over {patterns} held-out patterns ({dynamic_note})",
        "",
        "| variant | ms per forward (median) | × fp32 | Lite2 style distance | Δ vs fp32 | structure | Δ vs fp32 | "
        "PSNR vs fp32 tile (dB, min) |",
        "|---" * 8 + "|",
    ]
    base_ms = float(np.median(timings["fp32"]))
    for name in variants:
        ms, l2, st = (
            float(np.median(timings[name])),
            float(np.mean(figures[name]["lite2"])),
            float(np.mean(figures[name]["structure"])),
        )
        lines.append(
            f"| {name} | {ms:.1f} | {ms / base_ms:.2f} | {l2:.3f} | {l2 - fp32['lite2']:+.4f} | {st:.3f} | "
            f"{st - fp32['structure']:+.4f} | {min(figures[name]['psnr']):.1f} |"
        )
    return "\n".join(lines)


def _print_sheet_table(*, width_px: int, height_px: int, dpi: int, tile_px: int) -> str:
    """The print sheet of a product (a yard at 150 DPI is 5400×6300 px): layout time, PNG time and
    size, and peak traced memory, for each repeat type, against laying the whole plane out through
    the repeat at once (the baseline) in the same run."""
    import tracemalloc

    from stylization.engine.layout import plane_array, print_sheet
    from stylization.engine.printing import print_png_bytes

    rng = np.random.default_rng(7)
    tile = Image.fromarray(rng.integers(0, 256, (tile_px, tile_px, 3), dtype=np.uint8))
    rows = [
        "| repeat | layout s (baseline s, ratio) | layout peak MB (baseline MB, ratio) | PNG s | PNG MB |",
        "|---|---|---|---|---|",
    ]
    for repeat in ("basic", "half_drop", "half_brick", "center", "mirror"):
        tracemalloc.start()
        started = time.perf_counter()
        sheet = print_sheet(tile, repeat=repeat, width_px=width_px, height_px=height_px)
        layout_s = time.perf_counter() - started
        layout_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        tracemalloc.start()
        started = time.perf_counter()
        whole = plane_array(np.asarray(tile), repeat, 0, 0, height_px, width_px)
        baseline_s = time.perf_counter() - started
        baseline_peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        assert np.array_equal(np.asarray(sheet), whole), f"{repeat}: the sheet differs from the plane"
        del whole
        started = time.perf_counter()
        png = print_png_bytes(sheet, dpi=dpi)
        png_s = time.perf_counter() - started
        rows.append(
            f"| {repeat} | {layout_s:.2f} ({baseline_s:.2f}, {layout_s / baseline_s:.2f}×) | "
            f"{layout_peak:.0f} ({baseline_peak:.0f}, {layout_peak / baseline_peak:.2f}×) | {png_s:.2f} | {len(png) / 2**20:.1f} |"
        )
    return (
        f"Print sheet {width_px}×{height_px} px at {dpi} DPI, tile {tile_px}² (noise: the worst case for PNG)\n"
        + "\n".join(rows)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.stylization")
    parser.add_argument("--sizes", default="256,512,1200")
    parser.add_argument("--patterns", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="2 patterns, 256 only, VGG skipped")
    parser.add_argument("--styles")
    parser.add_argument("--peer", help="checkout of ProGamerGov/neural-style-pt")
    parser.add_argument("--vgg-patterns", type=int, default=1)
    parser.add_argument("--vector", action="store_true", help="only measure vtracer settings")
    parser.add_argument(
        "--print-sheet",
        action="store_true",
        help="only measure the print sheet of a yard at 150 DPI (5400×6300 px)",
    )
    parser.add_argument(
        "--device", help="e.g. cuda: final-tile renders of VGG-19 and ours on that device only"
    )
    parser.add_argument(
        "--strength",
        type=float,
        default=0.7,
        help="the buyer's strength for every row (the model applies it after the network)",
    )
    parser.add_argument(
        "--sheet-dir",
        default=str(ROOT / "test-artifacts" / "bench"),
        help="where the contact sheet PNG goes",
    )
    parser.add_argument(
        "--model-variants",
        default="",
        help="NAME=DIR[,NAME=DIR]: a feedforward-model row per directory of lever models "
        "(`manage.py train_style_models --out DIR --set FIELD=VALUE`)",
    )
    parser.add_argument(
        "--variants-colour-matched",
        action="store_true",
        help="also a colour-matched row for each of --model-variants",
    )
    parser.add_argument(
        "--api-latency",
        type=int,
        metavar="REQUESTS",
        default=0,
        help="only time request-to-preview through the API of `make run`: REQUESTS live-model "
        "previews against the optimiser's (--optimiser-requests)",
    )
    parser.add_argument("--optimiser-requests", type=int, default=3)
    parser.add_argument(
        "--row-cache",
        help="a directory keeping each row's figures and tiles (keyed by method, size, "
        "patterns, strength and variant): a row found there is reused rather than run again, so a "
        "slow row need not be rerun beside a new one; its timing columns are from its own run",
    )
    parser.add_argument(
        "--quantization",
        action="store_true",
        help="only measure the live generators at 256² in fp32, bf16/fp16 autocast and int8",
    )
    parser.add_argument(
        "--quantization-rounds",
        type=int,
        default=30,
        help="interleaved forwards per variant; with --patterns 0 only the timings are taken",
    )
    parser.add_argument(
        "--render-memory",
        type=int,
        metavar="SIDE",
        default=0,
        help="only measure a final render's peak RSS at SIDE² for the random and Lite0 encoders",
    )
    parser.add_argument(
        "--today-models",
        default=str(ROOT / "test-artifacts" / "today-models"),
        help="the random-encoder demo models of before issue 24, for the feedforward-model-today row "
        "(git show 6d4168a:marketplace/demo_data/style_models/<file> for each of the six files)",
    )
    parser.add_argument(
        "--methods",
        default=",".join((*METHODS, "neural-style-pt")),
        help="a subset of the table's rows, e.g. ours-random for a lone 3600² render",
    )
    args = parser.parse_args(argv)
    if max(args.patterns, args.vgg_patterns) > len(HELD_OUT_SEEDS):
        parser.error(f"at most {len(HELD_OUT_SEEDS)} held-out patterns")
    sizes = [256] if args.quick else [int(s) for s in args.sizes.split(",")]
    patterns = 2 if args.quick else args.patterns
    style_paths = sorted(str(p) for p in _style_dir(args.styles).glob("*.jpg"))
    if not style_paths:
        print(f"no style images (*.jpg) in {_style_dir(args.styles)}", file=sys.stderr)
        return 2
    if args.vector:
        print(_vector_table(style_paths))
        return 0
    if args.api_latency:
        from tests.benchmarks.api_latency import api_latency_bench

        return api_latency_bench(requests=args.api_latency, optimiser_requests=args.optimiser_requests)
    if args.quantization:
        print(_quantization_table(style_paths, 256, args.patterns, args.quantization_rounds))
        return 0
    if args.render_memory:
        print(_render_memory_table(args.render_memory, 1))
        return 0
    if args.print_sheet:
        print(_print_sheet_table(width_px=5400, height_px=6300, dpi=150, tile_px=600))
        return 0
    if args.device:
        with tempfile.TemporaryDirectory() as tmp:
            print(_device_table(args.device, sizes, _random_vgg_weights(Path(tmp)), style_paths[0]))
        return 0
    wanted = set(args.methods.split(","))
    unknown = wanted - set(METHODS) - {"neural-style-pt"}
    if unknown:
        print(
            f"unknown methods: {', '.join(sorted(unknown))}; expected {', '.join(METHODS)}, neural-style-pt",
            file=sys.stderr,
        )
        return 2
    pairs = [v.partition("=") for v in args.model_variants.split(",") if v]
    variants = [(name, directory) for name, _, directory in pairs]
    if any(not name or not Path(directory).is_dir() for name, directory in variants):
        print(
            f"--model-variants takes NAME=DIR pairs of existing directories, got {args.model_variants!r}",
            file=sys.stderr,
        )
        return 2
    context = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        needs_vgg = bool(wanted & {"vgg19-random-weights", "neural-style-pt"})
        weights = _random_vgg_weights(Path(tmp)) if needs_vgg and not args.quick else None
        for size in sizes:
            plan: list[tuple[str, int, tuple[str, str] | None]] = [
                (method, args.vgg_patterns if method == "vgg19-random-weights" else patterns, None)
                for method in METHODS
                if method in wanted and (weights or method != "vgg19-random-weights")
            ]
            for lever in variants:
                plan.append(("feedforward-model", patterns, lever))
                if args.variants_colour_matched:
                    plan.append(("feedforward-model-colour-matched", patterns, lever))
            rows = []
            for method, count, variant in plan:

                def cache_path(
                    n: int, method: str = method, variant: tuple[str, str] | None = variant, size: int = size
                ) -> Path:
                    return (
                        Path(args.row_cache) / f"{method}-{size}-{n}-{args.strength:g}-"
                        f"{variant[0] if variant else 'shipped'}.pickle"
                    )

                cached = cache_path(count) if args.row_cache else None
                if cached is not None and cached.is_file():
                    rows.append(pickle.loads(cached.read_bytes()))
                    print(
                        f"  reused {rows[-1]['method']} at {size}² from {cached}", file=sys.stderr, flush=True
                    )
                    continue
                # A cached run of fewer patterns is the same first patterns: only the rest are run.
                shorter = next(
                    (
                        cache_path(n)
                        for n in range(count - 1, 0, -1)
                        if args.row_cache and cache_path(n).is_file()
                    ),
                    None,
                )
                earlier = pickle.loads(shorter.read_bytes()) if shorter is not None else None
                first = earlier["patterns"] if earlier is not None else 0
                with context.Pool(1, maxtasksperchild=1) as pool:
                    rows.append(
                        pool.apply(
                            _run_method,
                            (
                                method,
                                size,
                                count,
                                style_paths,
                                120,
                                weights,
                                args.strength,
                                variant,
                                args.today_models,
                                first,
                            ),
                        )
                    )
                if earlier is not None:
                    rows[-1] = extend_row(earlier, rows[-1])
                    print(
                        f"  extended {rows[-1]['method']} from {shorter}'s {first} patterns",
                        file=sys.stderr,
                        flush=True,
                    )
                if cached is not None:
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    cached.write_bytes(pickle.dumps(rows[-1]))
                print(f"  done {rows[-1]['method']} at {size}²", file=sys.stderr, flush=True)
            if args.peer and weights and "neural-style-pt" in wanted:
                # From a fresh process, so RUSAGE_CHILDREN holds the peer's peak RSS and no one else's.
                with context.Pool(1, maxtasksperchild=1) as pool:
                    rows.append(pool.apply(_peer, (args.peer, size, style_paths[0], weights, 120)))
            print(f"\n### {size}×{size} (2-core CPU, load average {os.getloadavg()[0]:.1f})\n")
            print(_table(rows))
            encoder_gate = _encoder_gate_table(rows)
            if encoder_gate:
                print(f"\nIssue 24's targets at {size}² (same run, same patterns):\n")
                print(encoder_gate)
            product = _product_row(rows)
            gate = gate_table(rows, product)
            if gate:
                print(
                    f"\nQuality gate at {size}² ({product}, the product's live path, against the optimiser, "
                    "same patterns):\n"
                )
                print(gate)
            levers = _lever_table(rows)
            if levers:
                print(f"\nEvery model row against the optimiser at {size}² (the gate's ratios, same run):\n")
                print(levers)
            if gate:
                print(f"\nPer held-out pattern at {size}²:\n")
                print(_per_pattern_table(rows, product))
            suffix = "" if args.strength == 0.7 else f"-strength-{args.strength:g}"
            sheet = contact_sheet(
                rows, style_paths, size, Path(args.sheet_dir) / f"contact-sheet-{size}{suffix}.png"
            )
            if sheet:
                columns = " | ".join(r["method"] for r in sheet_rows(rows))
                print(f"\nContact sheet (base | style | {columns}; one held-out pattern a row): {sheet}")
            print(f"\nWhere the style distance lives at {size}² (mean share of distance² per pattern):\n")
            print(distance_table(rows), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
