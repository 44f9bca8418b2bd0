"""`python -m tests.benchmarks.provenance --photos`: repeat-aware matching of photos of prints against the
pHash path, on generated and cheaply stylized outputs of all five repeat types.

Outputs are `stylization.engine.patterns.generate_pattern` tiles "stylized" cheaply: a Reinhard
colour transfer towards a seeded palette image plus a seeded periodic grain (a full neural
stylization per output is minutes on the shared CPU; `--engine N` runs the real engine's preview
on the first N). Siblings share an output's base pattern with another style seed. The threshold
score threshold is chosen on a calibration set (other patterns, other transformation seeds) and
the table is measured on the held-out set.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image

from provenance.core import print_scan as ps
from provenance.core import repeat_fingerprint as rf
from provenance.core.perceptual import PerceptualIndex, perceptual_hashes
from stylization.engine.patterns import generate_pattern
from tests.benchmarks._common import DEMO_STYLES

REPEATS = ("basic", "half_drop", "half_brick", "mirror", "center")
KINDS = ("motifs", "ditsy", "blobs", "geometric", "checks", "stripes")


def _grain(rng: np.random.Generator, height: int, width: int, scale: float) -> np.ndarray:
    # Low-passed noise filtered in the Fourier domain is periodic, so the grain tiles like the tile.
    noise = rng.standard_normal((height, width))
    ky, kx = np.fft.fftfreq(height)[:, None], np.fft.fftfreq(width)[None, :]
    grain = np.fft.ifft2(np.fft.fft2(noise) * np.exp(-(kx**2 + ky**2) * scale**2)).real
    return grain / (grain.std() + 1e-9)


def cheap_stylize(tile: Image.Image, style_seed: int) -> Image.Image:
    from stylization.engine.colour import reinhard_transfer

    rng = np.random.default_rng(50_000 + style_seed)
    palette = rng.uniform(0, 255, size=(8, 8, 3)).astype(np.uint8)
    style = Image.fromarray(palette).resize((64, 64), Image.Resampling.BICUBIC)
    recoloured = np.asarray(
        reinhard_transfer(tile, style, strength=float(rng.uniform(0.5, 0.9))), dtype=np.float64
    )
    # The "brush texture" a style lays over the layout: a seeded periodic field, in luminance and
    # a little in chroma, as strong as the layout's own contrast (what strength ~0.7 does).
    luminance = _grain(rng, tile.height, tile.width, float(rng.uniform(6, 14)))
    chroma = np.stack([_grain(rng, tile.height, tile.width, float(rng.uniform(6, 14))) for _ in range(3)], -1)
    texture = float(rng.uniform(30, 50)) * luminance[..., None] + 10 * chroma
    return Image.fromarray(np.clip(recoloured + texture, 0, 255).astype(np.uint8), mode="RGB")


def engine_stylize(tile: Image.Image, repeat: str, style_seed: int) -> Image.Image:
    """The real engine's preview (random encoder, CPU) with one of the demo's public-domain
    painting styles, chosen by the seed."""

    from stylization.engine.engine import Engine
    from stylization.engine.params import StyleParams

    styles = sorted(DEMO_STYLES.glob("*.jpg"))
    with Image.open(styles[style_seed % len(styles)]) as style:
        style_image = style.convert("RGB")
    engine = Engine(device="cpu", encoder="random")
    params = StyleParams(seed=style_seed)
    return engine.preview(tile, style_image, repeat=repeat, params=params, long_side=max(tile.size)).image


@dataclass(frozen=True)
class Output:
    key: str
    repeat: str
    image: Image.Image
    base: Image.Image  # the base pattern it was stylized from


def make_outputs(count: int, *, base_offset: int, style_offset: int, engine: int = 0) -> list[Output]:
    outputs = []
    for i in range(count):
        repeat, kind = REPEATS[i % len(REPEATS)], KINDS[(i // len(REPEATS)) % len(KINDS)]
        size = (256, 192) if i % 3 == 2 else 256
        base = generate_pattern(repeat, size=size, seed=base_offset + i, kind=kind)
        image = (
            engine_stylize(base, repeat, style_offset + i)
            if i < engine
            else cheap_stylize(base, style_offset + i)
        )
        outputs.append(Output(f"{repeat}-{kind}-{base_offset + i}-{style_offset + i}", repeat, image, base))
    return outputs


def _copy_of_file(output: Output, rng: np.random.Generator) -> Image.Image:
    scale = float(rng.uniform(0.5, 1.5))
    copy = output.image.resize(
        (round(output.image.width * scale), round(output.image.height * scale)), Image.Resampling.LANCZOS
    )
    return _jpeg(copy, 80)


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    import io

    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


Family = Callable[[Output, np.random.Generator], Image.Image]


def _crop(periods: float) -> Family:
    def take(output: Output, rng: np.random.Generator) -> Image.Image:
        capture = ps.Capture(periods=periods, long_side=int(rng.integers(360, 720)), jpeg_quality=90)
        return ps.photograph(output.image, output.repeat, capture, rng)

    return take


def _rotated(output: Output, rng: np.random.Generator) -> Image.Image:
    angle = float(rng.uniform(1, 5) * rng.choice([-1, 1]))
    return ps.photograph(
        output.image,
        output.repeat,
        ps.Capture(periods=2.5, long_side=600, rotation_deg=angle, jpeg_quality=90),
        rng,
    )


def _perspective(output: Output, rng: np.random.Generator) -> Image.Image:
    capture = ps.Capture(
        periods=2.5,
        long_side=600,
        rotation_deg=float(rng.uniform(-2, 2)),
        perspective=float(rng.uniform(0.02, 0.05)),
        jpeg_quality=90,
    )
    return ps.photograph(output.image, output.repeat, capture, rng)


FAMILIES: dict[str, Family] = {
    "crop 1.2 periods, random phase": _crop(1.2),
    "crop 2 periods, random phase": _crop(2.0),
    "crop 4 periods, random phase": _crop(4.0),
    "rotation 1–5°, 2.5 periods": _rotated,
    "perspective 2–5 %, 2.5 periods": _perspective,
    "print-and-scan, 1.2–6 periods": lambda o, rng: ps.photograph(
        o.image, o.repeat, ps.print_and_scan_capture(rng), rng
    ),
    "print-and-scan + folds, 1.2–6 periods": lambda o, rng: ps.photograph(
        o.image, o.repeat, ps.print_and_scan_capture(rng, folds=True), rng
    ),
    "the file itself, resized + JPEG (< 1 period)": _copy_of_file,
}


@dataclass
class Scores:
    """Per query: the repeat path's score and style score for every record (None: fell back), and
    pHash's nearest."""

    repeat_scores: list[list[float] | None]
    style_scores: list[list[float | None] | None]
    periods: list[float | None]
    phash_nearest: list[str | None]
    seconds: list[float]


def _score_queries(
    images: list[Image.Image], records: list[tuple[str, rf.RepeatFingerprint]], phash_index: PerceptualIndex
) -> Scores:
    scores = Scores([], [], [], [], [])
    for image in images:
        started = time.perf_counter()
        query = rf.fingerprint_query(image)
        scores.seconds.append(time.perf_counter() - started)
        if query is None:
            scores.repeat_scores.append(None)
            scores.style_scores.append(None)
            scores.periods.append(None)
        else:
            matches = [rf.confirm(query, key, fp) for key, fp in records]
            scores.repeat_scores.append([m.score for m in matches])
            scores.style_scores.append([m.style_score for m in matches])
            scores.periods.append(query.lattice.periods_seen)
        nearest = phash_index.nearest(perceptual_hashes(image))
        scores.phash_nearest.append(nearest.record_id if nearest else None)
    return scores


@dataclass
class FamilyResult:
    genuine: Scores
    siblings: Scores
    unrelated: Scores


def run_families(
    outputs: list[Output], siblings: list[Output], unrelated: list[Output], seed: int
) -> dict[str, FamilyResult]:
    records = [(o.key, rf.fingerprint_tile(o.image, o.repeat, base=o.base)) for o in outputs]
    phash_index = PerceptualIndex()
    for o in outputs:
        h = perceptual_hashes(o.image)
        phash_index.add(o.key, h.phash, h.dhash)
    results = {}
    for f, (name, family) in enumerate(FAMILIES.items()):
        rng = np.random.default_rng(seed * 1000 + f)
        results[name] = FamilyResult(
            _score_queries([family(o, rng) for o in outputs], records, phash_index),
            _score_queries([family(o, rng) for o in siblings], records, phash_index),
            _score_queries([family(o, rng) for o in unrelated], records, phash_index),
        )
    return results


Rule = tuple[float, float | None]  # (aligned score, style score or None: no style score)


def _pairs(scores: Scores) -> list[list[Rule] | None]:
    return [
        None if row is None else list(zip(row, styles or [None] * len(row), strict=True))
        for row, styles in zip(scores.repeat_scores, scores.style_scores, strict=True)
    ]


def negative_scores(results: dict[str, FamilyResult]) -> list[Rule]:
    """Every (score, style score) of a photo against a record that is not its own (siblings count
    as not their own)."""
    values: list[Rule] = []
    for result in results.values():
        for i, row in enumerate(_pairs(result.genuine)):
            if row is not None:
                values += [s for j, s in enumerate(row) if j != i]
        for scores in (result.siblings, result.unrelated):
            for row in _pairs(scores):
                if row is not None:
                    values += row
    return values


def choose_style_threshold(results: dict[str, FamilyResult], threshold: float) -> tuple[float, float]:
    """Just above the highest style score among the calibration negatives whose aligned score
    reaches `threshold` (the ones the style score must turn away), with a 0.05 margin."""
    styles = [style for score, style in negative_scores(results) if score >= threshold and style is not None]
    highest = max(styles, default=0.0)
    return round(highest + 0.05, 2), highest


def _passes(pair: Rule, threshold: float, style_threshold: float | None) -> bool:
    score, style = pair
    return score >= threshold and (style_threshold is None or style is None or style >= style_threshold)


def _repeat_answer(
    row: list[Rule] | None, keys: list[str], threshold: float, style_threshold: float | None
) -> str | None:
    """The best-scoring record among those that pass (None: fell back or nothing passed)."""
    if row is None:
        return None
    passing = [j for j, pair in enumerate(row) if _passes(pair, threshold, style_threshold)]
    return keys[max(passing, key=lambda j: row[j][0])] if passing else None


def table(
    results: dict[str, FamilyResult], outputs: list[Output], threshold: float, style_threshold: float
) -> list[str]:
    keys = [o.key for o in outputs]
    lines = [
        "| transformation family | repeat-aware recall | pHash recall (today) | combined (repeat, then pHash) "
        "| false matches repeat / pHash (unrelated pairs) | false matches repeat / pHash (siblings) "
        "| sibling false matches without the style score | fell back | periods seen (median) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    n = len(outputs)
    for name, result in results.items():
        g = result.genuine
        genuine = _pairs(g)
        answers = [_repeat_answer(row, keys, threshold, style_threshold) for row in genuine]
        repeat_hits = sum(answers[i] == keys[i] for i in range(n))
        phash_hits = sum(g.phash_nearest[i] == keys[i] for i in range(n))
        combined = sum(
            answers[i] == keys[i] or (answers[i] is None and g.phash_nearest[i] == keys[i]) for i in range(n)
        )
        unrelated_pairs = n * (n - 1) + len(result.unrelated.repeat_scores) * n
        repeat_false = sum(
            _passes(p, threshold, style_threshold)
            for i, row in enumerate(genuine)
            if row is not None
            for j, p in enumerate(row)
            if j != i
        )
        repeat_false += sum(
            _passes(p, threshold, style_threshold)
            for row in _pairs(result.unrelated)
            if row is not None
            for p in row
        )
        phash_false = sum(1 for i in range(n) if g.phash_nearest[i] not in (None, keys[i]))
        phash_false += sum(1 for k in result.unrelated.phash_nearest if k is not None)
        siblings = [row for row in _pairs(result.siblings) if row is not None]
        sibling_false = sum(_passes(p, threshold, style_threshold) for row in siblings for p in row)
        sibling_false_before = sum(_passes(p, threshold, None) for row in siblings for p in row)
        sibling_phash = sum(1 for k in result.siblings.phash_nearest if k is not None)
        fell_back = sum(row is None for row in g.repeat_scores)
        periods = [p for p in g.periods if p is not None]
        median = f"{statistics.median(periods):.2f}" if periods else "–"
        sibling_pairs = len(result.siblings.repeat_scores) * n
        lines.append(
            f"| {name} | {repeat_hits}/{n} ({repeat_hits / n:.0%}) | {phash_hits}/{n} ({phash_hits / n:.0%}) "
            f"| {combined}/{n} ({combined / n:.0%}) | {repeat_false} / {phash_false} of {unrelated_pairs} "
            f"| {sibling_false} / {sibling_phash} of {sibling_pairs} | {sibling_false_before} of {sibling_pairs} "
            f"| {fell_back} | {median} |"
        )
    return lines


def scale_report(
    records: list[tuple[str, rf.RepeatFingerprint]], queries: list[Image.Image], total: int, seed: int = 7
) -> list[str]:
    """Verify time per query with `total` records indexed: the real ones plus synthetic records
    whose cells are seeded periodic noise (fingerprinted like a tile)."""
    rng = np.random.default_rng(seed)
    index = rf.RepeatIndex()
    for key, fp in records:
        index.add(key, fp)
    started = time.perf_counter()
    for i in range(total - len(records)):
        # Seeded periodic noise tiles, fingerprinted on their declared lattice (the tile-time
        # design-lattice check is what makes a real record slow to build, not to search).
        domain = 128 + 40 * np.stack([_grain(rng, 96, 96, float(rng.uniform(2, 10))) for _ in range(3)], -1)
        bases = rf.basis_variants(rf.repeat_lattice("basic", 96, 96), rf.RECORD_ANGLE_DEG)
        index.add(f"synthetic-{i}", rf.fingerprint_from_domain(domain, bases, "basic", (96, 96)))
    build = time.perf_counter() - started
    keys = {key for key, _ in records}
    timings, found = [], 0
    for image in queries:
        started = time.perf_counter()
        query = rf.fingerprint_query(image)
        matches = index.search(query) if query is not None else []
        timings.append(time.perf_counter() - started)
        found += bool(matches) and matches[0].key in keys and matches[0].probable
    sizes = [len(fp.to_bytes()) for _, fp in records]
    return [
        f"Scale: {len(index):,} records indexed ({total - len(records):,} synthetic; built in {build:.0f} s). "
        f"Verify time per query (lattice + fold + search + confirm): median {statistics.median(timings):.2f} s, "
        f"max {max(timings):.2f} s over {len(timings)} photos; {found}/{len(timings)} still found at the top. "
        f"Index size per record: {statistics.mean(sizes):,.0f} B mean ({min(sizes):,}–{max(sizes):,} B: "
        f"per basis variant one int8 {rf.CELL}² cell of the output, one of its base pattern and one float16 "
        f"descriptor of {rf.DESCRIPTOR_SIZE})."
    ]


def photos_report(
    outputs: int = 40, unrelated: int = 12, engine: int = 0, scale_records: int = 10_000
) -> str:
    started = time.perf_counter()
    calibration = make_outputs(max(5, outputs // 4), base_offset=5_000, style_offset=6_000)
    calibration_siblings = make_outputs(len(calibration), base_offset=5_000, style_offset=7_000)
    calibration_unrelated = make_outputs(unrelated // 2, base_offset=8_000, style_offset=8_500)
    calibrated = run_families(calibration, calibration_siblings, calibration_unrelated, seed=1)
    threshold = rf.REPEAT_MATCH_SCORE
    # The code's threshold came from a larger training split; the calibration split here may hold no
    # negative with an aligned score >= threshold (then it can only say "anything above 0.05").
    calibration_style, highest = choose_style_threshold(calibrated, threshold)
    style_threshold = max(rf.REPEAT_STYLE_SCORE, calibration_style)

    held_out = make_outputs(outputs, base_offset=0, style_offset=1_000, engine=engine)
    siblings = make_outputs(outputs, base_offset=0, style_offset=2_001, engine=engine)
    others = make_outputs(unrelated, base_offset=3_000, style_offset=3_500)
    results = run_families(held_out, siblings, others, seed=2)
    held_out_negatives = negative_scores(results)
    held_out_highest = max(
        style for score, style in held_out_negatives if score >= threshold and style is not None
    )
    genuine = [
        s
        for r in results.values()
        for i, row in enumerate(r.genuine.repeat_scores)
        if row is not None
        for s in [row[i]]
    ]
    records = [(o.key, rf.fingerprint_tile(o.image, o.repeat, base=o.base)) for o in held_out]
    rng = np.random.default_rng(99)
    scale_queries = [
        ps.photograph(o.image, o.repeat, ps.print_and_scan_capture(rng, periods=2.0), rng)
        for o in held_out[:20]
    ]
    lines = [
        f"### Photos of prints: repeat-aware fingerprint against today's pHash path ({len(held_out)} outputs, "
        f"{engine} engine-stylized and {len(held_out) - engine} cheaply stylized, all five repeat types; "
        f"{len(siblings)} same-base siblings; {len(others)} unrelated outputs)",
        "",
        f"`probable_match` needs the aligned-cell correlation at least **{threshold}** (`REPEAT_MATCH_SCORE`) and the "
        f"style score (what the style changed, correlated) at least **{style_threshold}**: the code's "
        f"`REPEAT_STYLE_SCORE` ({rf.REPEAT_STYLE_SCORE}, from a training split of 30 outputs) or this run's "
        f"calibration set of {len(calibration)} other outputs with other transformation seeds, whichever is higher "
        f"(calibration: highest style score among negatives at or above {threshold}: {highest:.3f}, +0.05 = "
        f"{calibration_style}). Held out: the highest such negative style score {held_out_highest:.3f}; genuine "
        f"aligned scores median {statistics.median(genuine):.3f}.",
        "",
        *table(results, held_out, threshold, style_threshold),
        "",
        *scale_report(records, scale_queries, scale_records),
        "",
        f"_{time.perf_counter() - started:.0f} s on a shared 2-core CPU_",
    ]
    return "\n".join(lines)
