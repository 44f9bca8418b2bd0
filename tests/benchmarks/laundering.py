"""Bench of the style-laundering check (`marketplace.services.laundering`): recall on 20 variants of
each demo painting, false refusals on 200 unrelated images, and the time of one check.

    python -m tests.benchmarks.laundering [--paintings starry_night ...] [--unrelated 200]

The three demo paintings are the listed styles, stored as a listing stores them (the hashed views
and the local features). A variant counts as refused when either check of the service finds it:
perceptual hashes within the thresholds, or at least COPY_MIN_INLIERS local-feature inliers.
Unrelated images: generated seamless patterns (every kind and repeat type, many seeds), the
photographs bundled with scikit-image, and crops of the *other* demo paintings; those are unrelated
only to the painting under test, so each painting is checked against its own unrelated set. A check
is timed as the service runs it for one upload: fingerprint the image, then compare it with the
three listed paintings. Self-contained: it needs no database and imports no other bench.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from marketplace.artwork_features import (
    COPY_MIN_INLIERS,
    Keypoints,
    artwork_features,
    copied_inliers,
    query_features,
)
from provenance.core.perceptual import PerceptualHashes, perceptual_hashes
from tests.benchmarks._common import DEMO_STYLES

Variant = Callable[[Image.Image], Image.Image]


def _jpeg(image: Image.Image, quality: int) -> Image.Image:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")


def _crop(image: Image.Image, keep: float, *, anchor: str = "centre") -> Image.Image:
    w, h = round(image.width * keep), round(image.height * keep)
    left, top = ((image.width - w) // 2, (image.height - h) // 2) if anchor == "centre" else (0, 0)
    return image.crop((left, top, left + w, top + h))


def _tiled(image: Image.Image) -> Image.Image:
    sheet = Image.new("RGB", (image.width * 2, image.height * 2))
    for left in (0, image.width):
        for top in (0, image.height):
            sheet.paste(image, (left, top))
    return sheet


def _hue(image: Image.Image, degrees: int) -> Image.Image:
    h, s, v = image.convert("HSV").split()
    h = h.point(lambda x: (x + round(degrees * 255 / 360)) % 256)
    return Image.merge("HSV", (h, s, v)).convert("RGB")


VARIANTS: dict[str, Variant] = {
    "mirror": ImageOps.mirror,
    "flip": ImageOps.flip,
    "rot90": lambda im: im.transpose(Image.Transpose.ROTATE_90),
    "rot180": lambda im: im.transpose(Image.Transpose.ROTATE_180),
    "rot270": lambda im: im.transpose(Image.Transpose.ROTATE_270),
    "transpose": lambda im: im.transpose(Image.Transpose.TRANSPOSE),
    "invert": ImageOps.invert,
    "greyscale": lambda im: im.convert("L").convert("RGB"),
    "JPEG q40": lambda im: _jpeg(im, 40),
    "resize 50 %": lambda im: im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS),
    "60 % centre crop": lambda im: _crop(im, 0.6),
    "50 % corner crop": lambda im: _crop(im, 0.5, anchor="corner"),
    "padded border": lambda im: ImageOps.expand(im, border=max(im.size) // 5, fill=(236, 232, 220)),
    "2 × 2 tile": _tiled,
    "mirrored 70 % crop": lambda im: ImageOps.mirror(_crop(im, 0.7)),
    "brightness +20 %": lambda im: ImageEnhance.Brightness(im).enhance(1.2),
    "slight blur": lambda im: im.filter(ImageFilter.GaussianBlur(1.5)),
    "10° rotation": lambda im: im.rotate(10, expand=True, fillcolor=(255, 255, 255)),
    "colour shift (hue +90°)": lambda im: _hue(im, 90),
    "80 % crop": lambda im: _crop(im, 0.8),
}


def common_unrelated(count: int) -> dict[str, Image.Image]:
    """Photographs bundled with scikit-image, then generated patterns up to `count` images."""
    import skimage.data

    from stylization.engine import PATTERN_KINDS, REPEAT_TYPES, generate_pattern

    images: dict[str, Image.Image] = {}
    for path in sorted(Path(skimage.data.__file__).parent.glob("*")):
        if path.suffix.lower() in (".png", ".jpg"):
            with Image.open(path) as image:
                if min(image.size) >= 64:
                    images[f"skimage/{path.stem}"] = image.convert("RGB")
    seed = 0
    while len(images) < count:
        for kind in PATTERN_KINDS:
            for repeat in REPEAT_TYPES:
                if len(images) < count:
                    tile = generate_pattern(repeat, size=(288, 224), seed=seed, kind=kind).convert("RGB")
                    images[f"pattern/{kind}-{repeat}-{seed}"] = tile
        seed += 1
    return images


def other_paintings_crops(paintings: dict[str, Image.Image], under_test: str) -> dict[str, Image.Image]:
    crops: dict[str, Image.Image] = {}
    for name, image in paintings.items():
        if name != under_test:
            crops[f"{name}/whole"] = image
            for keep in (0.9, 0.7, 0.5):
                crops[f"{name}/centre {round(keep * 100)} %"] = _crop(image, keep)
                crops[f"{name}/corner {round(keep * 100)} %"] = _crop(image, keep, anchor="corner")
    return crops


@dataclass(frozen=True)
class Listed:
    hashes: list[PerceptualHashes]
    features: Keypoints


@dataclass(frozen=True)
class Verdict:
    by_hash: bool
    inliers: int

    @property
    def refused(self) -> bool:
        return self.by_hash or self.inliers >= COPY_MIN_INLIERS


def main() -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()  # the hashed views and thresholds sit in the service, beside its models

    from marketplace.services.laundering import artwork_views, is_copy

    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.laundering")
    parser.add_argument("--paintings", nargs="+", help="demo paintings to test (default: all three)")
    parser.add_argument("--unrelated", type=int, default=200, help="unrelated images per painting")
    args = parser.parse_args()

    paintings = {path.stem: Image.open(path).convert("RGB") for path in sorted(DEMO_STYLES.glob("*.jpg"))}
    started = time.perf_counter()
    listed = {
        name: Listed(
            [perceptual_hashes(view) for view in artwork_views(image).values()], artwork_features(image)
        )
        for name, image in paintings.items()
    }
    listing_s = (time.perf_counter() - started) / len(listed)

    check_ms: list[float] = []
    fingerprint_ms: list[float] = []
    per_style_ms: list[float] = []

    def check(image: Image.Image) -> dict[str, Verdict]:
        """The verdict of each listed painting on the image; timed as one upload's check of all of them
        (every listed style is compared, so the check grows by one match per listed style)."""
        began = time.perf_counter()
        hashes, query = perceptual_hashes(image), query_features(image)
        fingerprinted = time.perf_counter()
        verdicts: dict[str, Verdict] = {}
        for name, style in listed.items():
            by_hash = any(is_copy(hashes, view.phash, view.dhash) for view in style.hashes)
            verdicts[name] = Verdict(by_hash, 0 if by_hash else copied_inliers(query, style.features))
        done = time.perf_counter()
        check_ms.append(1000 * (done - began))
        fingerprint_ms.append(1000 * (fingerprinted - began))
        per_style_ms.append(1000 * (done - fingerprinted) / len(listed))
        return verdicts

    under_test = args.paintings or list(paintings)
    crops = {name: other_paintings_crops(paintings, name) for name in under_test}
    common = common_unrelated(args.unrelated - max(len(c) for c in crops.values()))
    recall = {
        name: {variant: check(make(paintings[name]))[name] for variant, make in VARIANTS.items()}
        for name in under_test
    }
    on_common = {image_name: check(image) for image_name, image in common.items()}
    on_crops = {
        name: {crop: check(image)[name] for crop, image in crops[name].items()} for name in under_test
    }
    false_refusals = {
        name: [i for i, v in on_common.items() if v[name].refused]
        + [c for c, v in on_crops[name].items() if v.refused]
        for name in under_test
    }
    unrelated_count = {name: len(common) + len(crops[name]) for name in under_test}

    print(f"listed: {', '.join(paintings)} (features stored in {listing_s:.1f} s per painting)\n")
    print("| variant | " + " | ".join(under_test) + " |")
    print("|---|" + "---|" * len(under_test))
    for variant in VARIANTS:
        cells = []
        for name in under_test:
            v = recall[name][variant]
            cells.append(
                ("refused" if v.refused else "**missed**")
                + (" (hash)" if v.by_hash else f" ({v.inliers} inliers)")
            )
        print(f"| {variant} | " + " | ".join(cells) + " |")
    caught = {name: sum(v.refused for v in recall[name].values()) for name in under_test}
    print("| **recall** | " + " | ".join(f"**{caught[n]}/{len(VARIANTS)}**" for n in under_test) + " |")
    print(
        "| **false refusals** | "
        + " | ".join(f"**{len(false_refusals[n])}/{unrelated_count[n]}**" for n in under_test)
        + " |"
    )
    for name in under_test:
        if false_refusals[name]:
            print(f"\nfalse refusals for {name}: {', '.join(false_refusals[name])}")

    def spread(values: list[float]) -> str:
        ordered = sorted(values)
        return f"median {statistics.median(ordered):.0f} ms, p95 {ordered[int(0.95 * (len(ordered) - 1))]:.0f} ms"

    print(
        f"\none check against {len(listed)} listed styles: {spread(check_ms)} ({len(check_ms)} checks); "
        f"of which the upload's fingerprint {spread(fingerprint_ms)}, and each listed style {spread(per_style_ms)}; "
        f"bench {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
