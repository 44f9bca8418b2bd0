"""Does the print look like the preview the buyer approved, and does it print without seams?

For each repeat type (the demo catalogue's patterns: Meadow ditsy, Falling leaves, Brick checks,
Medallion, Kaleido tiles) and each method that makes previews (a style's live model, the optimiser),
the preview is made at the preview size and the print tile at print size, as the worker makes them.
Two figures per line:

- `lab_corr`: the Lab correlation of the print tile, seen at the preview's size, with the preview,
  at 64² (`metrics.lab_correlation`); the product asks for at least 0.8;
- `seam`: the seam ratio of the print tile as the print sheet lays it out (`metrics.seam_ratio`),
  beside its base pattern's own (`base seam`): a flat-colour design's motif or check line on the
  tile's edge scores high in a seamless tile too;
- `seam excess`: the print's seam ratio over the worst of its base's, its interior cuts' and 1
  (`metrics.seam_excess`); at most 1.10.

`--before` adds the rows of the render the product made before the print followed its preview: an
optimisation of its own from noise, padded through the repeat type itself (`center` clamped).

    python -m tests.benchmarks.print_fidelity --encoder random --preview-side 128 --print-side 384
    python -m tests.benchmarks.print_fidelity --contact-sheet test-artifacts/print-fidelity.png

The bench imports the product's public functions only.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image, ImageDraw

from stylization.engine import (
    REPEAT_TYPES,
    Engine,
    StyleParams,
    fit_style,
    generate_pattern,
    load_image,
    print_sheet,
)
from stylization.engine.feedforward import FeedForwardModel, load_model_file
from stylization.engine.metrics import lab_correlation, seam_excess, seam_ratio
from tests.benchmarks._common import ROOT

STYLES = ROOT / "marketplace" / "demo_data" / "styles"
MODELS = ROOT / "marketplace" / "demo_data" / "style_models"
# The demo catalogue's pattern for each repeat type: (kind, seed), as seed_demo makes them.
DEMO_PATTERNS = {
    "basic": ("motifs", 1),
    "half_drop": ("motifs", 2),
    "half_brick": ("checks", 3),
    "center": ("motifs", 4),
    "mirror": ("geometric", 5),
}


@dataclass
class Line:
    repeat: str
    method: str
    lab_corr: float
    seam: float
    base_seam: float
    excess: float
    seconds: float
    preview: Image.Image
    tile: Image.Image


def _style(name: str) -> Image.Image:
    return fit_style(load_image((STYLES / f"{name}.jpg").read_bytes()))


def _model(name: str) -> FeedForwardModel | None:
    path = MODELS / f"{name}.pt"
    if not path.is_file():
        return None
    # The generator runs whatever encoder trained it; inference never calls the encoder.
    return load_model_file(path).with_style_palette(_style(name))


def measure(
    engine: Engine,
    *,
    style_name: str,
    preview_side: int,
    print_side: int,
    params: StyleParams,
    before: bool = False,
    repeats: tuple[str, ...] = REPEAT_TYPES,
) -> list[Line]:
    style = _style(style_name)
    model = _model(style_name)
    lines = []
    for repeat in repeats:
        kind, seed = DEMO_PATTERNS[repeat]
        base = generate_pattern(repeat, size=print_side, seed=seed, kind=kind)
        if model is not None:
            started = time.perf_counter()
            preview = model.stylize(base, repeat=repeat, params=params, long_side=preview_side)
            tile = model.render_tile(
                base,
                repeat=repeat,
                params=params,
                width_px=print_side,
                height_px=print_side,
                preview_size=preview.image.size,
            )
            lines.append(_line(repeat, "feed-forward", base, preview.image, tile.image, started))
        started = time.perf_counter()
        preview = engine.preview(base, style, repeat=repeat, params=params, long_side=preview_side)
        tile = engine.render_tile(
            base,
            style,
            repeat=repeat,
            params=params,
            width_px=print_side,
            height_px=print_side,
            preview=preview.image,
        )
        lines.append(_line(repeat, "optimiser", base, preview.image, tile.image, started))
        if before:
            started = time.perf_counter()
            old = engine.render_tile(
                base,
                style,
                repeat=repeat,
                params=params,
                width_px=print_side,
                height_px=print_side,
                padding=repeat,
            )
            lines.append(
                _line(repeat, "optimiser, own render (before)", base, preview.image, old.image, started)
            )
    return lines


def _line(
    repeat: str, method: str, base: Image.Image, preview: Image.Image, tile: Image.Image, started: float
) -> Line:
    seconds = round(time.perf_counter() - started, 1)
    seen = tile.resize(preview.size, Image.Resampling.BOX)
    line = Line(
        repeat,
        method,
        round(lab_correlation(preview, seen), 3),
        round(seam_ratio(tile, repeat), 3),
        round(seam_ratio(base, repeat), 3),
        round(seam_excess(tile, base, repeat), 3),
        seconds,
        preview,
        tile,
    )
    print(
        f"  {line.repeat:<10} {line.method:<32} corr {line.lab_corr:.3f}  seam {line.seam:.3f}  "
        f"base {line.base_seam:.3f}  excess {line.excess:.3f}  {line.seconds} s",
        flush=True,
    )
    return line


def table(lines: list[Line]) -> str:
    rows = [
        "| repeat | method | Lab corr at 64² | seam ratio | base's seam ratio | seam excess | seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    rows += [
        f"| {x.repeat} | {x.method} | {x.lab_corr:.3f} | {x.seam:.3f} | {x.base_seam:.3f} | {x.excess:.3f} "
        f"| {x.seconds} |"
        for x in lines
    ]
    return "\n".join(rows)


def contact_sheet(lines: list[Line], cell: int = 192) -> Image.Image:
    """Per line: preview | print tile at the preview's size | the print sheet across a tile corner."""
    label_h = 16
    sheet = Image.new("RGB", (3 * cell + 4 * 8, len(lines) * (cell + label_h + 8) + 8), "white")
    draw = ImageDraw.Draw(sheet)
    for row, line in enumerate(lines):
        top = 8 + row * (cell + label_h + 8)
        draw.text(
            (8, top),
            f"{line.repeat} / {line.method} / corr {line.lab_corr:.2f} / seam {line.seam:.2f}"
            f" (base {line.base_seam:.2f}, excess {line.excess:.2f})",
            fill="black",
        )
        width, height = line.tile.size
        # A crop of the laid-out sheet centred on the corner where four tiles meet.
        laid = print_sheet(line.tile, repeat=line.repeat, width_px=2 * width, height_px=2 * height)
        corner = laid.crop((width // 2, height // 2, width // 2 + width, height // 2 + height))
        for col, image in enumerate(
            (line.preview, line.tile.resize(line.preview.size, Image.Resampling.BOX), corner)
        ):
            sheet.paste(
                image.resize(
                    (cell, cell), Image.Resampling.NEAREST if col == 2 else Image.Resampling.LANCZOS
                ),
                (8 + col * (cell + 8), top + label_h),
            )
    return sheet


def regions_sheet(engine: Engine, *, style_name: str, side: int, seed: int, cell: int = 192) -> Image.Image:
    """Rows: each demo pattern; columns: base | all | motifs | ground (the optimiser; the live model when it has one)."""
    style, model = _style(style_name), _model(style_name)
    methods = ["optimiser"] + (["feed-forward"] if model is not None else [])
    rows = [(repeat, method) for repeat in REPEAT_TYPES for method in methods]
    sheet = Image.new("RGB", (4 * (cell + 8) + 8, len(rows) * (cell + 24) + 8), "white")
    draw = ImageDraw.Draw(sheet)
    for row, (repeat, method) in enumerate(rows):
        kind, pattern_seed = DEMO_PATTERNS[repeat]
        base = generate_pattern(repeat, size=side, seed=pattern_seed, kind=kind)
        top = 8 + row * (cell + 24)
        draw.text((8, top), f"{repeat} / {method}: base | all | motifs | ground", fill="black")
        images = [base]
        for regions in ("all", "motifs", "ground"):
            params = StyleParams(seed=seed, regions=regions)
            if method == "feed-forward" and model is not None:
                images.append(model.stylize(base, repeat=repeat, params=params, long_side=side).image)
            else:
                images.append(engine.preview(base, style, repeat=repeat, params=params, long_side=side).image)
        for col, image in enumerate(images):
            sheet.paste(
                image.resize((cell, cell), Image.Resampling.LANCZOS), (8 + col * (cell + 8), top + 16)
            )
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m tests.benchmarks.print_fidelity", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--encoder", default="auto")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--style", default="the_scream", choices=sorted(p.stem for p in STYLES.glob("*.jpg")))
    parser.add_argument("--preview-side", type=int, default=256)
    parser.add_argument("--print-side", type=int, default=600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--regions", default="all")
    parser.add_argument(
        "--before", action="store_true", help="add the independent render the product made before"
    )
    parser.add_argument("--contact-sheet", type=Path)
    parser.add_argument(
        "--regions-sheet", type=Path, help="save base | all | motifs | ground per pattern, and stop"
    )
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    engine = Engine(device=args.device, encoder=args.encoder)
    if args.regions_sheet:
        args.regions_sheet.parent.mkdir(parents=True, exist_ok=True)
        regions_sheet(engine, style_name=args.style, side=args.preview_side, seed=args.seed).save(
            args.regions_sheet
        )
        print(f"regions sheet: {args.regions_sheet}")
        return
    params = StyleParams(seed=args.seed, regions=args.regions)
    lines = measure(
        engine,
        style_name=args.style,
        preview_side=args.preview_side,
        print_side=args.print_side,
        params=params,
        before=args.before,
    )
    print(
        f"encoder {engine.encoder_name}, style {args.style}, preview {args.preview_side}², print {args.print_side}²"
    )
    print(table(lines))
    if args.contact_sheet:
        args.contact_sheet.parent.mkdir(parents=True, exist_ok=True)
        contact_sheet(lines).save(args.contact_sheet)
        print(f"contact sheet: {args.contact_sheet}")


if __name__ == "__main__":
    main()
