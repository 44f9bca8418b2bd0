"""True-scale product mockups drawn in 2D with Pillow, for the order e-mail and share images.

This is a flat, front-on drawing, not a render of the browser's 3D scene: each product is a
silhouette at its real size, filled with the repeat's translation cell at the pattern's real size,
and shaded with a simple light map. Nothing is bent or foreshortened on a printed face, so a 2″
repeat on a 16″ cushion shows exactly eight repeats across. `MOCKUP_PRODUCTS` is also the size
table the browser's 3D mockups read (frontend/templatetags/mockups.py), so both agree on sizes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .layout import plane_array, repeat_period

BACKGROUND = (236, 233, 228)
WOOD = (120, 84, 52)
RIBBON = (176, 32, 44)


@dataclass(frozen=True)
class MockupProduct:
    """A product as the mockups draw it. Sizes are the printed face's, in inches; `scene_in` is the
    whole picture (the product and its surroundings), so the drawing's inch has one size."""

    slug: str
    name: str
    width_in: float
    height_in: float
    depth_in: float
    scene_in: tuple[float, float]


MOCKUP_PRODUCTS: dict[str, MockupProduct] = {
    p.slug: p
    for p in (
        MockupProduct("cushion", "Cushion, 16″ square", 16, 16, 5, (22, 22)),
        MockupProduct("shirt", "Shirt, adult medium", 20, 28, 1, (38, 34)),
        # A 10 ft wall, 8 ft high, with a 34″ chair in front of it for scale.
        MockupProduct("wall", "Papered wall, 10 ft", 120, 96, 0, (132, 108)),
        MockupProduct("gift-box", "Wrapped gift box, 12″ × 6″ × 9″", 12, 6, 9, (20, 18)),
        MockupProduct("tea-towel", "Tea towel, 18″ × 28″", 18, 28, 0, (26, 36)),
    )
}
CHAIR_HEIGHT_IN = 34.0


def translation_cell(tile: Image.Image, repeat: str) -> Image.Image:
    """The smallest block of the printed plane that repeats by plain translation: the tile for a
    basic repeat, 2W×H for a half drop, W×2H for a half brick, 2W×2H for a mirror."""
    array = np.asarray(tile.convert("RGB"))
    period_h, period_w = repeat_period(repeat, *array.shape[:2])
    return Image.fromarray(plane_array(array, repeat, 0, 0, period_h, period_w), mode="RGB")


def mockup_image(
    tile: Image.Image,
    *,
    repeat: str,
    repeat_width_in: float,
    repeat_height_in: float,
    product: str,
    width_px: int = 800,
) -> Image.Image:
    """`product` (a key of MOCKUP_PRODUCTS) dressed in the tile at true scale, width_px wide."""
    if product not in MOCKUP_PRODUCTS:
        raise KeyError(product)
    if repeat_width_in <= 0 or repeat_height_in <= 0:
        raise ValueError("a repeat needs a positive physical size")
    spec = MOCKUP_PRODUCTS[product]
    ppi = width_px / spec.scene_in[0]
    size = (width_px, round(spec.scene_in[1] * ppi))
    cell = translation_cell(tile, repeat)
    cell_w_in = repeat_width_in * cell.width / tile.width
    cell_h_in = repeat_height_in * cell.height / tile.height
    cell_px = (max(1, round(cell_w_in * ppi)), max(1, round(cell_h_in * ppi)))
    cell = cell.resize(cell_px, Image.Resampling.LANCZOS)
    canvas = Image.new("RGB", size, BACKGROUND)
    _DRAW[product](canvas, cell, ppi, spec)
    return canvas


def _fabric(size: tuple[int, int], cell: Image.Image, origin: tuple[int, int] = (0, 0)) -> Image.Image:
    """The printed plane over `size` px, the cell repeated by translation from `origin`."""
    cell_array = np.asarray(cell)
    ch, cw = cell_array.shape[:2]
    ys = (np.arange(size[1]) - origin[1]) % ch
    xs = (np.arange(size[0]) - origin[0]) % cw
    return Image.fromarray(cell_array[ys[:, None], xs[None, :]], mode="RGB")


def _shade(image: Image.Image, light: np.ndarray) -> Image.Image:
    shaded = np.asarray(image, dtype=np.float32) * light[..., None]
    return Image.fromarray(np.clip(shaded, 0, 255).astype(np.uint8), mode="RGB")


def _print_onto(
    canvas: Image.Image,
    cell: Image.Image,
    mask: Image.Image,
    light: Callable[[np.ndarray, np.ndarray], np.ndarray],
    box: tuple[int, int, int, int],
) -> None:
    """Fill `mask` with the fabric printed from the box's top-left corner, lit by light(u, v), where
    u, v run from -1 to 1 across the box."""
    left, top, right, bottom = box
    v, u = np.mgrid[0 : canvas.height, 0 : canvas.width].astype(np.float32)
    u = (u - (left + right) / 2) / max(1.0, (right - left) / 2)
    v = (v - (top + bottom) / 2) / max(1.0, (bottom - top) / 2)
    fabric = _shade(_fabric(canvas.size, cell, (left, top)), light(u, v))
    canvas.paste(fabric, (0, 0), mask)


def _soft_shadow(canvas: Image.Image, mask: Image.Image, offset: tuple[int, int], radius: float) -> None:
    shadow = Image.new("L", canvas.size, 0)
    shadow.paste(mask, offset)
    shadow = shadow.filter(ImageFilter.GaussianBlur(radius)).point(lambda a: a * 45 // 100)
    canvas.paste((60, 50, 40), (0, 0), shadow)


def _draw_cushion(canvas: Image.Image, cell: Image.Image, ppi: float, spec: MockupProduct) -> None:
    left = round((spec.scene_in[0] - spec.width_in) / 2 * ppi)
    top = round((spec.scene_in[1] - spec.height_in) / 2 * ppi)
    box = (left, top, left + round(spec.width_in * ppi), top + round(spec.height_in * ppi))
    mask = Image.new("L", canvas.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle(box, radius=round(1.5 * ppi), fill=255)
    _soft_shadow(canvas, mask, (round(0.4 * ppi), round(0.6 * ppi)), 0.5 * ppi)

    def light(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        # A filled cushion: lit from the top left, falling off towards the seams.
        edge = np.maximum(np.abs(u), np.abs(v)) ** 6
        return 1.08 - 0.1 * (u + v) / 2 - 0.35 * edge

    _print_onto(canvas, cell, mask, light, box)


def _draw_towel(canvas: Image.Image, cell: Image.Image, ppi: float, spec: MockupProduct) -> None:
    draw = ImageDraw.Draw(canvas)
    rail_y = round(3 * ppi)
    left = round((spec.scene_in[0] - spec.width_in) / 2 * ppi)
    box = (left, rail_y, left + round(spec.width_in * ppi), rail_y + round(spec.height_in * ppi))
    mask = Image.new("L", canvas.size, 0)
    ImageDraw.Draw(mask).rectangle(box, fill=255)
    _soft_shadow(canvas, mask, (round(0.3 * ppi), round(0.3 * ppi)), 0.4 * ppi)

    def light(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        # Soft vertical folds where the towel hangs from the rail.
        return 1.0 + 0.06 * np.cos(u * np.pi * 3) - 0.08 * np.clip(v, 0, 1)

    _print_onto(canvas, cell, mask, light, box)
    draw.rounded_rectangle(
        (round(1 * ppi), rail_y - round(0.6 * ppi), canvas.width - round(1 * ppi), rail_y + round(0.4 * ppi)),
        radius=round(0.5 * ppi),
        fill=(150, 150, 156),
    )


def _shirt_outline(ppi: float, spec: MockupProduct) -> list[tuple[float, float]]:
    # A front view in inches: a 20″ body, 28″ long, with short sleeves and a round neck.
    cx, top = spec.scene_in[0] / 2, 3.0
    points = [
        (-4, 0), (-10, 1.5), (-16, 7), (-13, 11), (-10, 8.5), (-10, 28),
        (10, 28), (10, 8.5), (13, 11), (16, 7), (10, 1.5), (4, 0), (0, 2.5),
    ]  # fmt: skip
    return [((cx + x) * ppi, (top + y) * ppi) for x, y in points]


def _draw_shirt(canvas: Image.Image, cell: Image.Image, ppi: float, spec: MockupProduct) -> None:
    outline = _shirt_outline(ppi, spec)
    mask = Image.new("L", canvas.size, 0)
    ImageDraw.Draw(mask).polygon(outline, fill=255)
    _soft_shadow(canvas, mask, (round(0.3 * ppi), round(0.4 * ppi)), 0.5 * ppi)
    xs, ys = [p[0] for p in outline], [p[1] for p in outline]
    box = (round(min(xs)), round(min(ys)), round(max(xs)), round(max(ys)))

    def light(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        return 1.04 - 0.1 * np.abs(u) ** 2 - 0.05 * v

    _print_onto(canvas, cell, mask, light, box)
    # The neckline's inner band, and the sleeve hems.
    draw = ImageDraw.Draw(canvas)
    cx, top = spec.scene_in[0] / 2 * ppi, 3.0 * ppi
    draw.arc(
        (cx - 4 * ppi, top - 2.5 * ppi, cx + 4 * ppi, top + 2.5 * ppi), 0, 180, fill=(70, 70, 70), width=2
    )


def _draw_wall(canvas: Image.Image, cell: Image.Image, ppi: float, spec: MockupProduct) -> None:
    left = round((spec.scene_in[0] - spec.width_in) / 2 * ppi)
    top = round(2 * ppi)
    box = (left, top, left + round(spec.width_in * ppi), top + round(spec.height_in * ppi))
    mask = Image.new("L", canvas.size, 0)
    ImageDraw.Draw(mask).rectangle(box, fill=255)

    def light(u: np.ndarray, v: np.ndarray) -> np.ndarray:
        # A room lit from a window on the left.
        return 1.05 - 0.1 * (u + 1) / 2 - 0.05 * (v + 1) / 2

    _print_onto(canvas, cell, mask, light, box)
    draw = ImageDraw.Draw(canvas)
    floor = box[3]
    draw.rectangle((0, floor, canvas.width, canvas.height), fill=(176, 146, 110))
    draw.rectangle((box[0], floor - round(4 * ppi), box[2], floor), fill=(245, 243, 238))  # skirting
    # A 34″ dining chair, seen from the front: seat at 18″, 18″ wide.
    chair_left = box[0] + round(0.62 * (box[2] - box[0]))
    w, seat, back = round(18 * ppi), round(18 * ppi), round(CHAIR_HEIGHT_IN * ppi)
    leg = max(2, round(1.5 * ppi))
    draw.rectangle((chair_left, floor - back, chair_left + w, floor - back + round(3 * ppi)), fill=WOOD)
    for x in (chair_left, chair_left + w - leg):
        draw.rectangle((x, floor - back, x + leg, floor), fill=WOOD)
    draw.rectangle(
        (chair_left - leg, floor - seat - leg, chair_left + w + leg, floor - seat + leg), fill=WOOD
    )
    draw.rectangle(
        (chair_left, floor - back + round(8 * ppi), chair_left + w, floor - back + round(10 * ppi)), fill=WOOD
    )


def _draw_gift_box(canvas: Image.Image, cell: Image.Image, ppi: float, spec: MockupProduct) -> None:
    # The front face at true scale, and the lid seen from above at 30°, foreshortened to half its
    # depth (the only face not at true scale; the ribbons mark it).
    w, h, depth = (round(v * ppi) for v in (spec.width_in, spec.height_in, spec.depth_in))
    lid = depth // 2
    left = (canvas.width - w) // 2
    top = (canvas.height - h - lid) // 2 + lid
    front = (left, top, left + w, top + h)
    mask = Image.new("L", canvas.size, 0)
    ImageDraw.Draw(mask).rectangle(front, fill=255)
    _soft_shadow(canvas, mask, (round(0.3 * ppi), round(0.4 * ppi)), 0.4 * ppi)
    _print_onto(canvas, cell, mask, lambda u, v: 0.96 - 0.06 * v, front)
    lid_plane = _fabric((w, depth), cell).resize((w, lid), Image.Resampling.LANCZOS)
    canvas.paste(_shade(lid_plane, np.full((lid, w), 1.1, dtype=np.float32)), (left, top - lid))
    draw = ImageDraw.Draw(canvas)
    band = max(2, round(0.9 * ppi))
    cx = left + w // 2
    draw.rectangle((cx - band // 2, top - lid, cx + band // 2, top + h), fill=RIBBON)
    draw.rectangle((left, top - lid // 2 - band // 4, left + w, top - lid // 2 + band // 4), fill=RIBBON)
    loop = round(1.8 * ppi)
    bow_y = top - lid // 2
    draw.ellipse((cx - 2 * loop, bow_y - loop, cx, bow_y + loop // 3), outline=RIBBON, width=band // 2 + 1)
    draw.ellipse((cx, bow_y - loop, cx + 2 * loop, bow_y + loop // 3), outline=RIBBON, width=band // 2 + 1)


_DRAW: dict[str, Callable[[Image.Image, Image.Image, float, MockupProduct], None]] = {
    "cushion": _draw_cushion,
    "shirt": _draw_shirt,
    "wall": _draw_wall,
    "gift-box": _draw_gift_box,
    "tea-towel": _draw_towel,
}
