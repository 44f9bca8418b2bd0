"""Soft proof and colourway measures.

    python -m tests.benchmarks.softproof [--runs 9] [--sheet PATH]

1. Time of `soft_proof` on 1024x1024 tiles (p50 of --runs, the profile's transforms already built),
   beside a plain sRGB -> sRGB LittleCMS transform of the same tile in the same run. Two tiles: a
   generated flat pattern, and the same pattern softened and textured so it has the many distinct
   colours of a styled output.
2. Share of a saturated-primaries chart out of gamut, for the shipped CMYK profile and for sRGB.
3. Colourway: for each palette colour of generated patterns, the share of its cluster that a swap
   changes, of the rest outside the cluster's one-pixel anti-aliased rim, and of all the rest.

--sheet writes a contact sheet: original | soft proof per substrate | gamut warning | a colourway.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageCms, ImageDraw, ImageFilter
from scipy.ndimage import binary_dilation

from marketplace.icc import DEFAULT_PROFILE_FILES, default_profile_bytes
from stylization.engine.colourway import (
    MERGE_DELTA_E,
    colourway_apply,
    colourway_out_of_gamut,
    extract_palette,
    palette_distance,
)
from stylization.engine.patterns import generate_pattern
from stylization.engine.softproof import gamut_warning_overlay, profile_info, soft_proof

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
SRGB_BYTES = SRGB.tobytes()


def p50_ms(function: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def styled_like(tile: Image.Image, seed: int = 0) -> Image.Image:
    """The tile softened and given a fine texture: a styled output's many distinct colours."""
    rng = np.random.default_rng(seed)
    soft = np.asarray(tile.filter(ImageFilter.GaussianBlur(2)), dtype=np.float32)
    coarse = Image.fromarray(
        rng.integers(0, 256, (tile.height // 4, tile.width // 4, 3), dtype=np.uint8), "RGB"
    )
    grain = np.asarray(coarse.resize(tile.size, Image.Resampling.BICUBIC), dtype=np.float32) - 128
    return Image.fromarray(np.clip(soft + 0.3 * grain, 0, 255).astype(np.uint8), "RGB")


def primaries_chart(patch: int = 32) -> Image.Image:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (0, 255, 255), (255, 0, 255), (255, 255, 0)]
    chart = Image.new("RGB", (patch * len(colours), patch))
    draw = ImageDraw.Draw(chart)
    for i, colour in enumerate(colours):
        draw.rectangle((i * patch, 0, (i + 1) * patch - 1, patch - 1), fill=colour)
    return chart


def timing(runs: int) -> None:
    swop = default_profile_bytes("fabric")
    start = time.perf_counter()
    profile_info(swop)  # builds and keeps the profile's two proof transforms
    build_ms = (time.perf_counter() - start) * 1000
    plain = ImageCms.buildTransform(SRGB, SRGB, "RGB", "RGB")
    flat = generate_pattern("half_drop", size=1024, seed=3)
    print(f"Building the SWOP proof transforms (once per profile): {build_ms:.0f} ms\n")
    print("| 1024x1024 tile | distinct colours | soft_proof p50 ms | plain sRGB transform p50 ms | ratio |")
    print("|---|---|---|---|---|")
    for name, tile in (("generated flat pattern", flat), ("same, softened and textured", styled_like(flat))):
        distinct = len(np.unique(np.asarray(tile).reshape(-1, 3), axis=0))
        proof_ms = p50_ms(functools.partial(soft_proof, tile, swop), runs)
        plain_ms = p50_ms(functools.partial(ImageCms.applyTransform, tile, plain), runs)
        print(f"| {name} | {distinct} | {proof_ms:.1f} | {plain_ms:.1f} | {proof_ms / plain_ms:.1f}x |")


def gamut_chart() -> None:
    chart = primaries_chart()
    print("\n| Saturated primaries chart | out of gamut | worst ΔE2000 |")
    print("|---|---|---|")
    for name, profile in (("Artifex SWOP (CMYK)", default_profile_bytes("fabric")), ("sRGB", SRGB_BYTES)):
        proof = soft_proof(chart, profile)
        print(f"| {name} | {proof.out_of_gamut_fraction:.3f} | {proof.max_delta_e:.1f} |")


def colourway_measure() -> None:
    print(
        "\n| Pattern (1024², half drop) | palette colour | cluster changed | rest beyond rim changed | all rest changed |"
    )
    print("|---|---|---|---|---|")
    worst_inside, worst_beyond = 1.0, 0.0
    for kind, seed in (("motifs", 1), ("motifs", 2), ("geometric", 1), ("blobs", 3)):
        tile = generate_pattern("half_drop", size=1024, seed=seed, kind=kind)
        palette = extract_palette(tile)
        pixels = np.asarray(tile)
        entries = np.array([bytearray.fromhex(colour[1:]) for colour in palette], dtype=np.float32)
        nearest, distance = palette_distance(pixels.reshape(-1, 3), entries)
        for index, colour in enumerate(palette):
            new = "#00ff00" if colour != "#00ff00" else "#ff00ff"
            changed = (np.asarray(colourway_apply(tile, palette, {colour: new})) != pixels).any(axis=-1)
            inside = ((nearest == index) & (distance < MERGE_DELTA_E)).reshape(changed.shape)
            rim = binary_dilation(inside) & ~inside
            share_inside = changed[inside].mean()
            share_beyond = changed[~inside & ~rim].mean()
            worst_inside, worst_beyond = min(worst_inside, share_inside), max(worst_beyond, share_beyond)
            print(
                f"| {kind} seed {seed} | {colour} | {share_inside:.2%} | {share_beyond:.3%} | {changed[~inside].mean():.2%} |"
            )
    print(
        f"\nWorst over all swaps: cluster changed {worst_inside:.2%}, rest beyond the rim changed {worst_beyond:.3%}"
    )


def contact_sheet(path: str) -> None:
    tile = generate_pattern("half_drop", size=320, seed=2, kind="motifs").convert("RGB")
    # A saturated accent, as a buyer's personalization might bring, so the gamut warning has work.
    palette = extract_palette(tile)
    colourway = {palette[1]: "#00c2ff", palette[2]: "#ff1f8f"}
    swapped = colourway_apply(tile, palette, colourway)
    panels: list[tuple[str, Image.Image]] = [("original", tile)]
    for substrate in DEFAULT_PROFILE_FILES:
        proof = soft_proof(tile, default_profile_bytes(substrate))
        panels.append(
            (f"{substrate}: {proof.out_of_gamut_fraction:.1%} OOG, dE {proof.max_delta_e:.0f}", proof.image)
        )
    panels.append(("gamut warning (fabric)", gamut_warning_overlay(proof)))
    proof = soft_proof(swapped, default_profile_bytes("fabric"))
    flags = colourway_out_of_gamut(palette, colourway, default_profile_bytes("fabric"))
    panels.append(
        (
            "colourway "
            + " ".join(f"{c}{'!' if f else ''}" for c, f in flags.items() if c in colourway.values()),
            swapped,
        )
    )
    panels.append(
        (
            f"colourway on fabric: gamut warning {proof.out_of_gamut_fraction:.1%}",
            gamut_warning_overlay(proof),
        )
    )
    margin, caption = 12, 22
    sheet = Image.new(
        "RGB", (len(panels) * (tile.width + margin) + margin, tile.height + caption + 2 * margin), "white"
    )
    draw = ImageDraw.Draw(sheet)
    for i, (label, image) in enumerate(panels):
        x = margin + i * (tile.width + margin)
        sheet.paste(image, (x, margin + caption))
        draw.text((x, margin), label, fill="black")
    sheet.save(path)
    print(f"\nContact sheet: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--sheet", help="write the contact sheet PNG here")
    args = parser.parse_args()
    timing(args.runs)
    gamut_chart()
    colourway_measure()
    if args.sheet:
        contact_sheet(args.sheet)


if __name__ == "__main__":
    main()
