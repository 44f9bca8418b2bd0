"""Command line: `python -m stylization render|pattern ...` (no Django)."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from PIL import Image

from stylization.engine.encoders import ENCODER_NAMES


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m stylization", description="Repeat-preserving style transfer"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    render = commands.add_parser("render", help="stylize a base pattern with a style image")
    render.add_argument("--content", required=True, type=Path, help="base pattern tile")
    render.add_argument("--style", required=True, type=Path, help="style image")
    render.add_argument("--repeat", default="basic", help="basic, half_drop, half_brick, mirror or center")
    render.add_argument("--size", type=int, default=256, help="preview long side (ignored with --width-px)")
    render.add_argument("--strength", type=float, default=0.7)
    render.add_argument("--style-scale", type=float, default=1.0)
    render.add_argument("--preserve-colors", action="store_true")
    render.add_argument("--seed", type=int, default=0)
    render.add_argument("--width-px", type=int, help="final tile width at print resolution")
    render.add_argument("--height-px", type=int, help="final tile height at print resolution")
    render.add_argument("--dpi", type=int, default=150)
    render.add_argument("--encoder", default="auto", choices=list(ENCODER_NAMES))
    render.add_argument("--weights", help="VGG-19 weights file (torchvision layout)")
    render.add_argument("--device", default="auto")
    render.add_argument("--out", required=True, type=Path, help="PNG of the tile")
    render.add_argument("--svg", type=Path, help="also write a seamless SVG of the tile")
    render.add_argument("--sheet", type=Path, help="also write a 3x3 repeat sheet PNG")
    pattern = commands.add_parser("pattern", help="generate a seamless base pattern")
    pattern.add_argument("--repeat", default="basic")
    pattern.add_argument("--size", type=int, default=512)
    pattern.add_argument("--seed", type=int, default=0)
    pattern.add_argument("--kind", default="motifs")
    pattern.add_argument("--out", required=True, type=Path)
    return parser


def _render(args: argparse.Namespace) -> None:
    from stylization.engine import (
        Engine,
        StyleParams,
        load_image,
        print_png_bytes,
        print_sheet,
        vectorize_tile,
    )

    content = load_image(args.content.read_bytes())
    style = load_image(args.style.read_bytes())
    params = StyleParams(
        strength=args.strength,
        preserve_colors=args.preserve_colors,
        style_scale=args.style_scale,
        seed=args.seed,
    )
    engine = Engine(device=args.device, encoder=args.encoder, weights_path=args.weights)

    def progress(fraction: float) -> None:
        print(f"\r{fraction:6.1%}", end="", file=sys.stderr, flush=True)

    if args.width_px or args.height_px:
        if not (args.width_px and args.height_px):
            raise ValueError("give both --width-px and --height-px")
        result = engine.render_tile(
            content,
            style,
            repeat=args.repeat,
            params=params,
            width_px=args.width_px,
            height_px=args.height_px,
            progress=progress,
        )
    else:
        result = engine.preview(
            content, style, repeat=args.repeat, params=params, long_side=args.size, progress=progress
        )
    print(file=sys.stderr)
    args.out.write_bytes(print_png_bytes(result.image, dpi=args.dpi))
    print(
        f"{args.out}: {result.image.width}x{result.image.height} {result.info['encoder']} "
        f"{result.info['iterations']} iterations in {result.info['seconds']} s"
    )
    if args.sheet:
        sheet = print_sheet(
            result.image,
            repeat=args.repeat,
            width_px=3 * result.image.width,
            height_px=3 * result.image.height,
        )
        args.sheet.write_bytes(print_png_bytes(sheet, dpi=args.dpi))
    if args.svg:
        vector = vectorize_tile(result.image, repeat=args.repeat)
        args.svg.write_text(vector.svg)
        print(f"{args.svg}: {vector.paths} paths, {vector.bytes} bytes, SSIM {vector.ssim:.3f}")


def _pattern(args: argparse.Namespace) -> None:
    from stylization.engine import generate_pattern

    image: Image.Image = generate_pattern(args.repeat, size=args.size, seed=args.seed, kind=args.kind)
    image.save(args.out)
    print(f"{args.out}: {args.kind} {args.repeat} {image.width}x{image.height}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    from stylization.engine import EngineError

    try:
        _render(args) if args.command == "render" else _pattern(args)
    except (ValueError, OSError, EngineError) as exc:  # ImageError is a ValueError
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
