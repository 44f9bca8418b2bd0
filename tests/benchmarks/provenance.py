"""`python -m tests.benchmarks.provenance`: gas and perceptual-robustness numbers, printed as markdown.

Gas is deterministic for a given build and fork, so these tables are reproducible; the
perceptual table uses generated tileable patterns (seeded), so it is reproducible too.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageEnhance

from provenance.core.chain import AttributionRecord, ChainClient
from provenance.core.ids import new_record_id, record_id_to_bytes32
from provenance.core.merkle import MerkleTree, record_leaf
from provenance.core.perceptual import (
    DHASH_MATCH_BITS,
    PHASH_MATCH_BITS,
    PerceptualIndex,
    hamming,
    perceptual_hashes,
)

EAS_ATTESTATION_GAS = 230_000  # typical EAS attest() with a small schema, for comparison

# ---- generated patterns -------------------------------------------------------------------------


def _periodic_waves(rng: np.random.Generator, n: int, max_frequency: int, count: int) -> np.ndarray:
    t = 2 * np.pi * np.arange(n, dtype=np.float32) / n
    field = np.zeros((n, n), np.float32)
    for _ in range(count):
        fx, fy = rng.integers(-max_frequency, max_frequency + 1, 2)
        phase, amplitude = rng.uniform(0, 2 * np.pi), rng.uniform(0.3, 1.0)
        # sin(fx·x + fy·y + φ) as two outer products: integer frequencies keep it seamless.
        field += amplitude * (
            np.outer(np.sin(fy * t + phase), np.cos(fx * t))
            + np.outer(np.cos(fy * t + phase), np.sin(fx * t))
        )
    return field


def _periodic_texture(rng: np.random.Generator, n: int, grain: float) -> np.ndarray:
    # Low-passed white noise filtered in the Fourier domain is periodic, hence tileable.
    noise = rng.standard_normal((n, n)).astype(np.float32)
    ky, kx = np.fft.fftfreq(n)[:, None], np.fft.rfftfreq(n)[None, :]
    texture = np.fft.irfft2(np.fft.rfft2(noise) * np.exp(-(kx**2 + ky**2) * (n / grain) ** 2), s=(n, n))
    return texture / texture.std()


def tileable_pattern(
    seed: int, *, size: int = 1024, base_seed: int | None = None, render_size: int | None = None
) -> Image.Image:
    """A colourful seamless pattern: the base layout comes from `base_seed` (default: derived from
    `seed`), the "style" (texture, palette) from `seed`. Same base + different seed mimics two
    buyers' outputs of one base pattern."""
    style_rng = np.random.default_rng(seed)
    layout = _periodic_waves(
        np.random.default_rng(10_000 + (seed if base_seed is None else base_seed)), size, 6, 8
    )
    channels = [
        layout * style_rng.uniform(0.5, 1.5)
        + 0.8 * _periodic_texture(style_rng, size, style_rng.uniform(8, 40))
        + 0.5 * _periodic_waves(style_rng, size, 3, 2)
        for _ in range(3)
    ]
    rgb = np.stack(channels, -1)
    rgb = (rgb - rgb.min()) / (rgb.max() - rgb.min())
    image = Image.fromarray((rgb * 255).astype(np.uint8))
    return image.resize((render_size, render_size), Image.Resampling.LANCZOS) if render_size else image


# ---- benign copies a file "found in the wild" might be ---------------------------------------


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def _hue_shift(image: Image.Image, turn: float) -> Image.Image:
    h, s, v = image.convert("HSV").split()
    h = h.point(lambda p: (p + int(256 * turn)) % 256)
    return Image.merge("HSV", (h, s, v)).convert("RGB")


def _screenshot(image: Image.Image) -> Image.Image:
    width = 1280
    shot = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
    shot = shot.crop((6, 5, shot.width - 4, shot.height - 7))  # window chrome trimmed unevenly
    return _jpeg(shot, 85)


COPIES: dict[str, Callable[[Image.Image], Image.Image]] = {
    "resized to 50 %": lambda im: im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS),
    "JPEG q80": lambda im: _jpeg(im, 80),
    "hue rotated 120°": lambda im: _hue_shift(im, 1 / 3),
    "brightness +20 %": lambda im: ImageEnhance.Brightness(im).enhance(1.2),
    "brightness −20 %": lambda im: ImageEnhance.Brightness(im).enhance(0.8),
    "saturation −50 %": lambda im: ImageEnhance.Color(im).enhance(0.5),
    "screenshot (1280 w, cropped, JPEG q85)": _screenshot,
    "50 % + hue 72° + JPEG q80": lambda im: _jpeg(
        _hue_shift(im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS), 0.2), 80
    ),
    "cropped 1 % per side (harder)": lambda im: im.crop(
        (im.width // 100, im.height // 100, im.width - im.width // 100, im.height - im.height // 100)
    ),
}


def perceptual_report(patterns: int) -> str:
    originals = [tileable_pattern(i, render_size=2048) for i in range(patterns)]
    stored = [perceptual_hashes(im) for im in originals]
    ids = [f"pattern-{i}" for i in range(patterns)]
    index = PerceptualIndex((rid, h.phash, h.dhash) for rid, h in zip(ids, stored, strict=True))

    copy_rows, copy_distances = [], {}
    for name, transform in COPIES.items():
        hashes = [perceptual_hashes(transform(im)) for im in originals]
        found = sum(
            1
            for rid, query in zip(ids, hashes, strict=True)
            if (m := index.nearest(query)) is not None and m.record_id == rid
        )
        dp = [hamming(q.phash, s.phash) for q, s in zip(hashes, stored, strict=True)]
        dd = [hamming(q.dhash, s.dhash) for q, s in zip(hashes, stored, strict=True)]
        copy_distances[name] = list(zip(dp, dd, strict=True))
        copy_rows.append(
            f"| {name} | {found}/{patterns} | {statistics.mean(dp):.1f} / {max(dp)} | {statistics.mean(dd):.1f} / {max(dd)} |"
        )

    unrelated = [tileable_pattern(1000 + i, render_size=2048) for i in range(patterns)]
    siblings = [tileable_pattern(2000 + i, base_seed=i, render_size=2048) for i in range(patterns)]
    unrelated_hashes = [perceptual_hashes(im) for im in unrelated]
    sibling_hashes = [perceptual_hashes(im) for im in siblings]
    negatives_unrelated = [
        (hamming(q.phash, s.phash), hamming(q.dhash, s.dhash)) for q in unrelated_hashes for s in stored
    ]
    negatives_unrelated += [
        (hamming(a.phash, b.phash), hamming(a.dhash, b.dhash))
        for i, a in enumerate(stored)
        for b in stored[i + 1 :]
    ]
    negatives_siblings = [
        (hamming(q.phash, s.phash), hamming(q.dhash, s.dhash))
        for q, s in zip(sibling_hashes, stored, strict=True)
    ]
    index_false = sum(1 for q in unrelated_hashes + sibling_hashes if index.search(q))

    def rate(pairs: list[tuple[int, int]], tp: int, td: int) -> float:
        return sum(1 for p, d in pairs if p <= tp and d <= td) / len(pairs)

    easy = [pair for name, pairs in copy_distances.items() if "harder" not in name for pair in pairs]
    hard = copy_distances["cropped 1 % per side (harder)"]
    sweep = []
    settings = [(tp, DHASH_MATCH_BITS) for tp in (4, 6, 8, 10, 12, 14)] + [(PHASH_MATCH_BITS, 64), (12, 64)]
    for tp, td in settings:
        chosen = " ← chosen" if (tp, td) == (PHASH_MATCH_BITS, DHASH_MATCH_BITS) else ""
        dhash = "off" if td >= 64 else f"≤ {td}"
        sweep.append(
            f"| ≤ {tp} | {dhash} | {rate(easy, tp, td):.1%} | {rate(hard, tp, td):.1%} "
            f"| {rate(negatives_unrelated, tp, td):.2%} | {rate(negatives_siblings, tp, td):.1%} |{chosen}"
        )
    min_unrelated = min(p for p, _ in negatives_unrelated)
    min_sibling = min(p for p, _ in negatives_siblings)
    return "\n".join(
        [
            f"### Perceptual robustness ({patterns} generated 2048² tileable patterns; "
            f"match = pHash ≤ {PHASH_MATCH_BITS} and dHash ≤ {DHASH_MATCH_BITS} bits)",
            "",
            "| copy of a stored output | found as nearest | pHash bits mean / max | dHash bits mean / max |",
            "|---|---|---|---|",
            *copy_rows,
            "",
            f"Negatives through the index: {index_false} false match(es) for {2 * patterns} queries "
            f"({patterns} unrelated patterns, {patterns} other outputs of the same base patterns). "
            f"Closest unrelated pair: {min_unrelated} pHash bits; closest same-base sibling: {min_sibling}.",
            "",
            "| pHash threshold | dHash threshold | recall (brief's copies) | recall (1 % crop) | false-match rate, unrelated pairs | false-match rate, same-base siblings |",
            "|---|---|---|---|---|---|",
            *sweep,
        ]
    )


# ---- gas --------------------------------------------------------------------------------------


def _random_record() -> AttributionRecord:
    return AttributionRecord(new_record_id(), os.urandom(32), os.urandom(32), os.urandom(32), os.urandom(32))


def gas_report(singles: int) -> str:
    client = ChainClient.in_process()
    client.deploy()
    assert client.deployment is not None
    deploy_gas = client.deployment.gas_used
    single = [client.attribute(_random_record()).gas_used for _ in range(singles)]
    rows = [
        "### Gas (in-process py-evm, Prague rules; solc "
        + client.artifact["compiler"]["version"].split("+")[0]
        + ", optimizer 200 runs, via-IR)",
        "",
        "| operation | gas | per record | vs EAS attestation (~230 000) |",
        "|---|---|---|---|",
        f"| deploy AttributionRegistry | {deploy_gas:,} | – | – |",
        f"| attribute (single, {singles} records) | {min(single):,}–{max(single):,} | {statistics.mean(single):,.0f} "
        f"| {statistics.mean(single) / EAS_ATTESTATION_GAS:.1%} |",
    ]
    proof_rows = []
    for size in (100, 1000):
        records = [_random_record() for _ in range(size)]
        tree = MerkleTree.build(
            [record_leaf(record_id_to_bytes32(r.record_id), r.manifest_hash) for r in records]
        )
        gas = client.anchor_batch(tree.root, size).gas_used
        proofs = [len(tree.proof(i)) for i in range(size)]
        rows.append(
            f"| anchorBatch of {size:,} | {gas:,} | {gas / size:,.1f} | {gas / size / EAS_ATTESTATION_GAS:.2%} |"
        )
        proof_rows.append(
            f"| {size:,} | {statistics.mean(proofs):.2f} | {max(proofs) * 32} B | {(max(proofs) + 2) * 32} B |"
        )
    rows += [
        "",
        "| batch size | proof length (hashes, mean) | largest proof | stored per record (proof + root + leaf) |",
        "|---|---|---|---|",
        *proof_rows,
    ]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.provenance", description=__doc__)
    parser.add_argument("--singles", type=int, default=20, help="single attributions to measure")
    parser.add_argument(
        "--patterns", type=int, default=16, help="generated patterns for the perceptual table"
    )
    parser.add_argument("--skip-perceptual", action="store_true")
    parser.add_argument(
        "--photos", action="store_true", help="photos of prints: repeat-aware matching against pHash"
    )
    parser.add_argument(
        "--outputs", type=int, default=40, help="--photos: indexed outputs (all five repeat types)"
    )
    parser.add_argument("--unrelated", type=int, default=12, help="--photos: unrelated outputs, not indexed")
    parser.add_argument("--engine", type=int, default=0, help="--photos: outputs stylized by the real engine")
    parser.add_argument(
        "--scale-records", type=int, default=10_000, help="--photos: records indexed for the timing"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.photos:
        from tests.benchmarks.photo import photos_report

        print(photos_report(args.outputs, args.unrelated, args.engine, args.scale_records))
        print(f"\n_{time.perf_counter() - started:.0f} s_")
        return
    print(gas_report(args.singles))
    if not args.skip_perceptual:
        print()
        print(perceptual_report(args.patterns))
    print(f"\n_{time.perf_counter() - started:.0f} s_")


if __name__ == "__main__":
    main()
