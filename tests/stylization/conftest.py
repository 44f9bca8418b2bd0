import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from stylization.engine import Engine


def brush_style(size: int = 160, seed: int = 7) -> Image.Image:
    """A stand-in painting: dark blue ground crossed by short yellow and white strokes."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (size, size), (20, 30, 90))
    draw = ImageDraw.Draw(image)
    for _ in range(220):
        x, y = rng.uniform(0, size, 2)
        angle = rng.uniform(0, np.pi)
        length = rng.uniform(6, 18)
        colour = tuple(int(v) for v in rng.choice([(240, 210, 60), (250, 250, 230), (60, 110, 200)]))
        draw.line(
            [(x, y), (x + length * np.cos(angle), y + length * np.sin(angle))],
            fill=colour,
            width=int(rng.integers(1, 4)),
        )
    return image


def periodic_texture(size: int, seed: int) -> Image.Image:
    """A seamless tile textured everywhere (integer-frequency waves with a 1/f spectrum).

    The seam metric is steady on it, where flat motifs on a plain ground swing from 0.5 to 5.
    """
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] * (2 * np.pi / size)
    channels = []
    for _ in range(3):
        value = sum(
            rng.normal() / np.hypot(fx, fy) * np.cos(fx * x + fy * y + rng.uniform(0, 2 * np.pi))
            for fx in range(-9, 10)
            for fy in range(-9, 10)
            if (fx, fy) != (0, 0)
        )
        channels.append((value - value.min()) / (value.max() - value.min()))
    return Image.fromarray((np.stack(channels, -1) * 255).astype(np.uint8))


@pytest.fixture(scope="session")
def style_image() -> Image.Image:
    return brush_style()


@pytest.fixture(scope="session")
def engine() -> Engine:
    # One thread: these 2-core machines are shared, and two spinning OpenMP threads
    # under contention ran 10x slower than one.
    torch.set_num_threads(1)
    return Engine(device="cpu", encoder="random")


@pytest.fixture
def short_schedule(monkeypatch):
    from stylization.engine import engine as engine_module

    monkeypatch.setattr(engine_module, "PREVIEW_SCHEDULE", (30, 20, 10))
