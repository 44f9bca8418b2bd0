"""Benches of marketplace rules. `python -m tests.benchmarks.marketplace --laundering` chooses the thresholds of
`marketplace.services.laundering`: the demo paintings are the listed styles; their resized,
cropped, re-encoded and colour-shifted copies must be refused (recall), and unrelated images, with
the same edits, must not be (the false-refusal table). It needs no database.

Unrelated images: the photographs bundled with scikit-image and matplotlib, and generated
seamless patterns of every kind (`stylization.engine.generate_pattern`), each under the same edits.
"""

from __future__ import annotations

import argparse
import io
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageEnhance

from provenance.core.perceptual import PerceptualHashes, hamming, perceptual_hashes
from tests.benchmarks._common import DEMO_STYLES

Edit = Callable[[Image.Image], Image.Image]


def _jpeg(quality: int) -> Edit:
    def edit(image: Image.Image) -> Image.Image:
        out = io.BytesIO()
        image.convert("RGB").save(out, format="JPEG", quality=quality)
        return Image.open(io.BytesIO(out.getvalue())).convert("RGB")

    return edit


def _resize(factor: float) -> Edit:
    return lambda im: im.resize(
        (max(8, round(im.width * factor)), max(8, round(im.height * factor))), Image.Resampling.LANCZOS
    )


def _crop_centre(keep: float) -> Edit:
    def edit(im: Image.Image) -> Image.Image:
        w, h = round(im.width * keep), round(im.height * keep)
        left, top = (im.width - w) // 2, (im.height - h) // 2
        return im.crop((left, top, left + w, top + h))

    return edit


def _crop_corner(keep: float) -> Edit:
    return lambda im: im.crop((0, 0, round(im.width * keep), round(im.height * keep)))


def _crop_off_centre(left: float, top: float, right: float, bottom: float) -> Edit:
    """Keeps the box between the given fractions of the width and height."""
    return lambda im: im.crop(
        (round(im.width * left), round(im.height * top), round(im.width * right), round(im.height * bottom))
    )


def _hue(degrees: int) -> Edit:
    def edit(im: Image.Image) -> Image.Image:
        h, s, v = im.convert("HSV").split()
        h = h.point(lambda x: (x + round(degrees * 255 / 360)) % 256)
        return Image.merge("HSV", (h, s, v)).convert("RGB")

    return edit


def _enhance(kind: type[ImageEnhance._Enhance], factor: float) -> Edit:
    return lambda im: kind(im).enhance(factor)  # type: ignore[call-arg]


def _chain(*edits: Edit) -> Edit:
    def edit(im: Image.Image) -> Image.Image:
        for step in edits:
            im = step(im)
        return im

    return edit


EDITS: dict[str, dict[str, Edit]] = {
    "resize": {"50 %": _resize(0.5), "25 %": _resize(0.25), "200 %": _resize(2.0)},
    # Off the grid of crops the service stores (centre and corners at 90, 80 and 70 %), so this is
    # not the stored views found again.
    "crop": {
        "centre 95 %": _crop_centre(0.95),
        "centre 85 %": _crop_centre(0.85),
        "centre 75 %": _crop_centre(0.75),
        "corner 85 %": _crop_corner(0.85),
        "corner 75 %": _crop_corner(0.75),
        "box 3–91 % × 8–97 %": _crop_off_centre(0.03, 0.08, 0.91, 0.97),
        "box 12–96 % × 2–84 %": _crop_off_centre(0.12, 0.02, 0.96, 0.84),
    },
    "re-encode": {"JPEG q90": _jpeg(90), "JPEG q60": _jpeg(60), "JPEG q30": _jpeg(30)},
    "colour": {
        "hue +30°": _hue(30),
        "hue +120°": _hue(120),
        "saturation ×0.5": _enhance(ImageEnhance.Color, 0.5),
        "saturation ×1.5": _enhance(ImageEnhance.Color, 1.5),
        "brightness ×0.8": _enhance(ImageEnhance.Brightness, 0.8),
        "contrast ×1.3": _enhance(ImageEnhance.Contrast, 1.3),
        "greyscale": lambda im: im.convert("L"),
    },
    "combined": {
        "50 % + crop 87 % + JPEG q60": _chain(_resize(0.5), _crop_centre(0.87), _jpeg(60)),
        "hue +60° + JPEG q80": _chain(_hue(60), _jpeg(80)),
    },
}


def unrelated_images() -> dict[str, Image.Image]:
    import matplotlib.cbook
    import skimage.data

    from stylization.engine import generate_pattern
    from stylization.engine.patterns import PATTERN_KINDS

    images: dict[str, Image.Image] = {}
    for path in sorted(Path(skimage.data.__file__).parent.glob("*")):
        if path.suffix.lower() in (".png", ".jpg") and path.stat().st_size > 8_000:
            with Image.open(path) as image:
                if min(image.size) >= 64:
                    images[f"skimage/{path.name}"] = image.convert("RGB")
    sample = Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)).parent
    for path in sorted(sample.glob("*")):
        if path.suffix.lower() in (".png", ".jpg"):
            with Image.open(path) as image:
                if min(image.size) >= 64:
                    images[f"matplotlib/{path.name}"] = image.convert("RGB")
    for kind in PATTERN_KINDS:
        for seed in range(8):
            images[f"pattern/{kind}-{seed}"] = generate_pattern(
                "basic", size=256, seed=seed, kind=kind
            ).convert("RGB")
    return images


@dataclass(frozen=True)
class Pair:
    family: str
    edit: str
    phash: int
    dhash: int


def _pairs(query: PerceptualHashes, listed: PerceptualHashes, family: str, edit: str) -> Pair:
    return Pair(family, edit, hamming(query.phash, listed.phash), hamming(query.dhash, listed.dhash))


def _nearest(query: PerceptualHashes, views: list[PerceptualHashes], family: str, edit: str) -> Pair:
    return min((_pairs(query, view, family, edit) for view in views), key=lambda p: (p.phash, p.dhash))


def laundering_bench(phash_bits: list[int], dhash_bits: list[int], *, whole_only: bool) -> None:
    from marketplace.services.laundering import artwork_views

    started = time.perf_counter()
    listed = {path.stem: Image.open(path).convert("RGB") for path in sorted(DEMO_STYLES.glob("*.jpg"))}
    listed_views = {
        name: [
            perceptual_hashes(view)
            for view in ({"whole": image} if whole_only else artwork_views(image)).values()
        ]
        for name, image in listed.items()
    }
    copies: list[Pair] = []
    for name, image in listed.items():
        for family, edits in EDITS.items():
            for edit_name, edit in edits.items():
                copies.append(_nearest(perceptual_hashes(edit(image)), listed_views[name], family, edit_name))
    unrelated = unrelated_images()
    # Each unrelated image, unedited and under every edit, against the nearest listed style.
    strangers: list[Pair] = []
    for name, image in unrelated.items():
        variants = {"original": image} | {e: fn(image) for edits in EDITS.values() for e, fn in edits.items()}
        for edit_name, variant in variants.items():
            query = perceptual_hashes(variant)
            views = [view for hashes in listed_views.values() for view in hashes]
            strangers.append(_nearest(query, views, name.split("/")[0], edit_name))

    stored = (
        "the whole artwork only" if whole_only else f"{len(next(iter(listed_views.values())))} views each"
    )
    print(f"stored hashes: {stored}")
    print(
        f"listed styles: {len(listed)} demo paintings; copies: {len(copies)}; "
        f"unrelated images: {len(unrelated)} ({len(strangers)} with their edits)\n"
    )
    print("Distances of the copies to their painting (pHash / dHash bits), worst of the three paintings:\n")
    print("| family | edit | pHash max | dHash max |\n|---|---|---|---|")
    for family, edits in EDITS.items():
        for edit_name in edits:
            rows = [p for p in copies if p.edit == edit_name]
            print(f"| {family} | {edit_name} | {max(p.phash for p in rows)} | {max(p.dhash for p in rows)} |")
    print(
        f"\nNearest unrelated image: pHash {min(p.phash for p in strangers)} bits, "
        f"dHash {min(p.dhash for p in strangers)} bits\n"
    )
    print(
        "| pHash ≤ | dHash ≤ | recall (all copies) | recall without crops | false refusals | false-refusal rate |"
    )
    print("|---|---|---|---|---|---|")
    for pt in phash_bits:
        for dt in dhash_bits:

            def hit(p: Pair, pt: int = pt, dt: int = dt) -> bool:
                return p.phash <= pt and p.dhash <= dt

            caught = sum(hit(p) for p in copies)
            uncropped = [p for p in copies if p.family != "crop"]
            false = sum(hit(p) for p in strangers)
            print(
                f"| {pt} | {dt} | {caught}/{len(copies)} = {caught / len(copies):.0%} | "
                f"{sum(hit(p) for p in uncropped)}/{len(uncropped)} | {false}/{len(strangers)} | "
                f"{false / len(strangers):.2%} |"
            )
    print(f"\n{time.perf_counter() - started:.1f} s")


def main() -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()  # the bench uses the service's own crop views, which sit beside its models
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.marketplace")
    parser.add_argument("--laundering", action="store_true", help="choose the style-laundering thresholds")
    parser.add_argument("--phash-bits", type=int, nargs="+", default=[6, 8, 10, 12, 14, 16, 18])
    parser.add_argument("--dhash-bits", type=int, nargs="+", default=[12, 16, 20, 64])
    parser.add_argument("--whole-only", action="store_true", help="store only the whole artwork's hashes")
    args = parser.parse_args()
    if not args.laundering:
        parser.error("choose a bench: --laundering")
    laundering_bench(args.phash_bits, args.dhash_bits, whole_only=args.whole_only)


if __name__ == "__main__":
    main()
