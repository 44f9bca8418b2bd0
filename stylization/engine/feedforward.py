"""Per-style feed-forward models: one forward pass instead of an optimisation, for live previews.

A small residual generator (Johnson et al. 2016, instance norm after Ulyanov et al. 2016) whose
every convolution pads through `repeat.pad` and whose resolution changes are the repeat-exact
`pool2` and nearest-neighbour doubling, so a tile in, a tile out, for all five repeat types.
It learns the engine's own loss (Gram style, feature content, repeat-aware TV) with the same
encoder, on crops of base patterns taken through their repeat, rescaled and colour-jittered.

The generator predicts a change to the base pattern (its last layer starts near zero), the way
the optimiser starts from the base pattern. Strength, style scale and preserve-colours act on
its output: strength is the share of the full-strength change, blended in Lab; style scale resizes
the input around the network; preserve-colours keeps the base's a*, b* under the painting's lightness.
A coarse noise channel from the seed gives variations (`seed_noise`).

Measurements and the choices they led to are in stylization/EXPERIMENTS.md.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

from .colour import LabPalette, blend_in_lab, lab_palette, reinhard_match, with_content_chroma
from .encoders import Encoder
from .engine import StylizeResult
from .errors import Cancelled, EngineError
from .images import fit_style, to_image, to_tensor
from .layout import layout_repeat
from .params import StyleParams
from .regions import composite, mask_at, region_mask
from .repeat import check_repeat, keep_low_band, pad, plane_window, pool2, resample
from .transfer import LossWeights, style_grams, style_loss, total_variation

FORMAT = "motif-style-model"
FORMAT_VERSION = 1
# Sizes the default generator accepts: two poolings, and a half drop that survives both.
SIZE_MULTIPLE = 8
# The generator's pass at print size holds ~16 full-resolution channels a layer: 4.3 GB peak at
# 2400² on the CPU, 1.9 GB at 1600². Larger tiles run the pass at this many pixels (see render_tile).
PRINT_PASS_MAX_PIXELS = 1600 * 1600
# The seed's noise: drawn this many times coarser than the tile, at this multiple of unit spread (see seed_noise).
SEED_NOISE_COARSENING = 8
SEED_NOISE_GAIN = 2.0


@dataclass(frozen=True)
class ModelConfig:
    """Everything that changes the trained weights; its digest is part of the model's identity."""

    channels: int = 16  # base channels; the trunk runs at 4x this on a quarter of the pixels
    residual_blocks: int = 4
    crop: int = 128  # training crop side
    target_side: int = 256  # the tile long side whose stroke size the model learns (the preview size)
    batch: int = 4
    iterations: int = 500
    lr: float = 5e-4
    strength: float = 0.7  # the loss weights are the optimiser's at this strength
    content_boost: float = (
        1.0  # multiplies the optimiser's content weight (the optimiser starts from the base)
    )
    scale_jitter: float = 0.25  # bases are resized by a factor in [1 - j, 1 + j] before cropping
    colour_jitter: float = 0.1
    seed: int = 0
    levels: int = 3  # poolings before the trunk; each doubles the receptive field (3: see EXPERIMENTS.md)
    noise_level: int = 0  # the pooling level the seed's noise enters at (0: full resolution)
    noise_amplitude: float = 1.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def size_multiple(self) -> int:
        """Tile sides the generator takes: `levels` poolings, with a half drop that survives them all."""
        return 2 ** (self.levels + 1)

    def sha256(self) -> str:
        # Fields added after format 1 enter the digest only away from their original value, so models
        # trained before them keep their identity.
        data = {k: v for k, v in self.as_dict().items() if k not in _ADDED_FIELDS or v != _ADDED_FIELDS[k]}
        return hashlib.sha256(
            json.dumps({**data, "format": FORMAT_VERSION}, sort_keys=True).encode()
        ).hexdigest()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelConfig:
        known = {f: data[f] for f in cls.__dataclass_fields__ if f in data}
        # A configuration stored before a field existed was trained at that field's original value.
        return cls(**{**_ADDED_FIELDS, **known})


_ADDED_FIELDS: dict[str, Any] = {"levels": 2, "noise_level": 0, "noise_amplitude": 1.0}


def model_identity(*, style_sha256: str, encoder_sha256: str, config: ModelConfig) -> str:
    """A model is retrained when the style image, the encoder or the configuration changes."""
    parts = {"style": style_sha256, "encoder": encoder_sha256, "config": config.sha256()}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class RepeatConv(nn.Module):
    """A convolution padded by the tile's own repeat, so its edges see their neighbours in the print."""

    def __init__(self, cin: int, cout: int, kernel: int = 3) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, padding=0)
        self.margin = kernel // 2

    def forward(self, x: torch.Tensor, repeat: str) -> torch.Tensor:
        return self.conv(pad(x, repeat, self.margin))


class _Block(nn.Module):
    """conv, instance norm, ReLU. Instance norm reads the whole tile, so it keeps the repeat."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = RepeatConv(cin, cout)
        self.norm = nn.InstanceNorm2d(cout, affine=True)

    def forward(self, x: torch.Tensor, repeat: str) -> torch.Tensor:
        return F.relu(self.norm(self.conv(x, repeat)))


class _Residual(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.first = _Block(channels, channels)
        self.conv = RepeatConv(channels, channels)
        self.norm = nn.InstanceNorm2d(channels, affine=True)

    def forward(self, x: torch.Tensor, repeat: str) -> torch.Tensor:
        return x + self.norm(self.conv(self.first(x, repeat), repeat))


def _double(x: torch.Tensor) -> torch.Tensor:
    # Nearest-neighbour doubling is exact for every repeat: the half shift and the mirror axis scale with it.
    return F.interpolate(x, scale_factor=2.0, mode="nearest")


class Generator(nn.Module):
    """content (N,3,H,W) + noise -> stylized (N,3,H,W); H and W multiples of 2 ** (levels + 1).

    The noise is one channel at the resolution of `noise_level` (`noise_shape` gives it): noise that
    enters below full resolution varies the strokes at their own scale rather than per pixel.
    """

    def __init__(
        self,
        channels: int = 16,
        residual_blocks: int = 4,
        *,
        levels: int = 2,
        noise_level: int = 0,
        noise_amplitude: float = 1.0,
    ) -> None:
        super().__init__()
        if not 0 <= noise_level <= levels:
            raise EngineError(f"the noise enters at a level from 0 to {levels}, not {noise_level}")
        c = channels
        # Widths double with each pooling up to 4c, the trunk's width.
        widths = [min(c * 2**k, 4 * c) for k in range(levels + 1)]
        self.levels, self.noise_level, self.noise_amplitude = levels, noise_level, noise_amplitude
        for k in range(levels + 1):
            cin = 3 if k == 0 else widths[k - 1]
            self.add_module(f"enc{k}", _Block(cin + (1 if k == noise_level else 0), widths[k]))
        self.trunk = nn.ModuleList(_Residual(widths[-1]) for _ in range(residual_blocks))
        for k in reversed(range(levels)):
            self.add_module(f"dec{k}", _Block(widths[k + 1], widths[k]))
        self.out = RepeatConv(c, 3)
        with torch.no_grad():  # start near the identity: the change to the base is learned
            self.out.conv.weight.mul_(0.1)
            nn.init.zeros_(self.out.conv.bias)  # type: ignore[arg-type]  # a Conv2d built with a bias has one

    def noise_shape(self, height: int, width: int) -> tuple[int, int]:
        return height >> self.noise_level, width >> self.noise_level

    def forward(self, content: torch.Tensor, noise: torch.Tensor, repeat: str) -> torch.Tensor:
        """`repeat` is the padding topology: the tile's printed plane (`apply`), or "center" for a crop."""
        h = (content - 0.5) * 2.0
        skips = []
        for k in range(self.levels + 1):
            if k > 0:
                h = pool2(h, repeat)
            if k == self.noise_level:
                h = torch.cat([h, noise * self.noise_amplitude], dim=1)
            h = getattr(self, f"enc{k}")(h, repeat)
            skips.append(h)
        for block in self.trunk:
            h = block(h, repeat)
        for k in reversed(range(self.levels)):
            h = getattr(self, f"dec{k}")(_double(h), repeat) + skips[k]
        return content + self.out(h, repeat)


def generator_for(config: ModelConfig) -> Generator:
    return Generator(
        config.channels,
        config.residual_blocks,
        levels=config.levels,
        noise_level=config.noise_level,
        noise_amplitude=config.noise_amplitude,
    )


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# ---- the trained model ---------------------------------------------------------------------


@dataclass
class FeedForwardModel:
    generator: Generator
    config: ModelConfig
    style_sha256: str
    encoder_name: str
    encoder_sha256: str
    curve: list[float] = field(default_factory=list)
    judge: dict[str, float] = field(default_factory=dict)
    training_seconds: float = 0.0
    checksum: str = ""
    # The style's Lab palette, matched after the network (`with_style_palette`); None leaves the colours as made.
    palette: LabPalette | None = None
    # The generator's pass in bfloat16 where the CPU computes it natively (see native_bf16).
    bf16: bool = field(default_factory=lambda: native_bf16())

    def with_style_palette(self, style: Image.Image) -> FeedForwardModel:
        """This model, matching its tiles' Lab mean and spread to the style's (Reinhard et al. 2001)."""
        return replace(self, palette=lab_palette(fit_style(style.convert("RGB"))))

    @property
    def identity(self) -> str:
        return model_identity(
            style_sha256=self.style_sha256, encoder_sha256=self.encoder_sha256, config=self.config
        )

    def stylize(
        self, content: Image.Image, *, repeat: str, params: StyleParams, long_side: int = 256
    ) -> StylizeResult:
        """A preview tile of long side `long_side`, as the optimiser's `Engine.preview` makes one."""
        check_repeat(repeat)
        started = time.perf_counter()
        height, width = fit_size(content.height, content.width, long_side, self.config.size_multiple)
        x = resample(to_tensor(content.convert("RGB")), layout_repeat(repeat), (height, width))
        output = self.apply(x, repeat=repeat, params=params)
        info = self._info(
            started, repeat=repeat, params=params, model_config=self.config.as_dict(), size=[width, height]
        )
        return StylizeResult(image=to_image(output), info=info)

    def render_tile(
        self,
        content: Image.Image,
        *,
        repeat: str,
        params: StyleParams,
        width_px: int,
        height_px: int,
        preview_size: tuple[int, int],
    ) -> StylizeResult:
        """The print tile of a preview this model made at `preview_size` (width, height).

        The generator is fully convolutional, so it runs at print size too, but it paints strokes
        of a fixed size in pixels: at print size they would be a tenth of the preview's against the
        motifs, another picture. So the preview is made again (same seed, params and size, so the
        same pixels) and gives the print its low band; the pass at print size gives only the detail
        finer than the preview holds (`keep_low_band`)."""
        check_repeat(repeat)
        started = time.perf_counter()
        layout = layout_repeat(repeat)
        source = to_tensor(content.convert("RGB"))
        preview_w, preview_h = preview_size
        preview = self.apply(resample(source, layout, (preview_h, preview_w)), repeat=repeat, params=params)
        full = resample(source, layout, (height_px, width_px))
        work = _detail_size(height_px, width_px, self.config.size_multiple)
        if work == (height_px, width_px):
            detail = self.apply(full, repeat=repeat, params=params)
        else:
            # Above the budget the generator runs at the largest size within it, and the base
            # pattern's own edges give what is finer still.
            detail = keep_low_band(
                full, self.apply(resample(source, layout, work), repeat=repeat, params=params), layout
            )
        output = keep_low_band(detail, preview, layout)
        info = self._info(
            started,
            repeat=repeat,
            params=params,
            size=[width_px, height_px],
            preview_size=[preview_w, preview_h],
            from_preview=True,
        )
        return StylizeResult(image=to_image(output), info=info)

    def _info(self, started: float, *, repeat: str, params: StyleParams, **extra: Any) -> dict[str, Any]:
        """What a result's `engine_info` records of this model's run, as the optimiser's does of its own."""
        engine_ms = (time.perf_counter() - started) * 1000.0
        return {
            "method": "feedforward",
            "engine_ms": round(engine_ms, 1),
            "encoder": self.encoder_name,
            "weights_sha256": self.encoder_sha256,
            "model_checksum": self.checksum,
            "device": "cpu",
            "precision": "bf16" if self.bf16 else "fp32",
            "torch_version": torch.__version__,
            "iterations": 0,
            "seconds": round(engine_ms / 1000.0, 3),
            "repeat": repeat,
            "params": params.as_dict(),
            **extra,
        }

    def apply(self, content: torch.Tensor, *, repeat: str, params: StyleParams) -> torch.Tensor:
        """The model's tile for a content tensor (1,3,H,W), with the buyer's controls applied."""
        if params.strength == 0:
            return content
        height, width = content.shape[-2:]
        # A centred motif is printed on a plain grid, so its tile wraps as a basic one does (replicated
        # edges left a seam ratio of 1.3-1.5 against interior cuts of 1.0: see EXPERIMENTS.md).
        repeat = layout_repeat(repeat)
        # style_scale 2 paints strokes twice as big: the network sees the tile at half size.
        multiple = self.config.size_multiple
        work = (
            _multiple(height / params.style_scale, multiple),
            _multiple(width / params.style_scale, multiple),
        )
        small = resample(content, repeat, work)
        noise = seed_noise(params.seed, self.generator.noise_shape(*work), repeat)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
            stylized = self.generator(small, noise, repeat)
        stylized = resample(stylized.float().clone(), repeat, (height, width))
        # The full-strength tile: the learned change (trained at config.strength) scaled to strength 1.
        full = (content + (stylized - content) / self.config.strength).clamp(0.0, 1.0)
        if self.palette is not None:
            # The network leaves flat grounds near their own colour; a pointwise match keeps the repeat.
            full = reinhard_match(full, self.palette, strength=1.0)
        # Strength is the share of that change, taken in Lab so the colour difference is proportional.
        output = blend_in_lab(content, full, params.strength)
        # The live model learned the whole tile's Gram; a region is kept by compositing its change
        # through the same mask the optimiser uses, made from the tile at the preview's resolution.
        region = region_mask(content, params.regions, repeat)
        if region is not None:
            output = composite(output, content, mask_at(region, repeat, (height, width), output.device))
        if params.preserve_colors:
            output = with_content_chroma(output, content)
        if not bool(torch.isfinite(output).all()):
            raise EngineError("the model's tile contains invalid values (NaN or infinity)")
        return output


def native_bf16() -> bool:
    """Whether oneDNN runs bfloat16 natively here (AVX512-BF16 or AMX), so autocast speeds the generator.

    On such a CPU the live generator's pass at 256² took 20 ms against 33 ms in fp32, and its tiles
    moved the judges by under 0.004 (tests.benchmarks.stylization --quantization). Without native
    support bf16 is emulated and slower, so the pass stays fp32. STYLIZATION_LIVE_BF16=0 turns it off.
    """
    if os.environ.get("STYLIZATION_LIVE_BF16", "1") == "0":
        return False
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a build without oneDNN
        return False


def seed_noise(seed: int, shape: tuple[int, int], repeat: str) -> torch.Tensor:
    """The seed's noise channel (1,1,H,W): white noise drawn at 1/SEED_NOISE_COARSENING of the size and
    resampled through the repeat, at SEED_NOISE_GAIN times unit spread.

    Per-pixel noise, as in training, moved the picture by a mean ΔE of 7-11 between seeds (the
    generator smooths it away); noise at an eighth of the size, doubled, moves it by 17-21 while
    the distance from the base stays the same (tests.benchmarks.controls). It wraps as the tile does."""
    height, width = shape
    coarse = (max(2, height // SEED_NOISE_COARSENING), max(2, width // SEED_NOISE_COARSENING))
    generator = torch.Generator().manual_seed(seed)
    noise = resample(torch.randn((1, 1, *coarse), generator=generator), repeat, (height, width))
    return noise / (noise.std() + 1e-6) * SEED_NOISE_GAIN


def _detail_size(height: int, width: int, multiple: int) -> tuple[int, int]:
    if height * width <= PRINT_PASS_MAX_PIXELS:
        return height, width
    scale = math.sqrt(PRINT_PASS_MAX_PIXELS / (height * width))
    return _multiple(height * scale, multiple), _multiple(width * scale, multiple)


def fit_size(height: int, width: int, long_side: int, multiple: int = SIZE_MULTIPLE) -> tuple[int, int]:
    ratio = height / width
    if ratio <= 1:
        return _multiple(long_side * ratio, multiple), _multiple(long_side, multiple)
    return _multiple(long_side, multiple), _multiple(long_side / ratio, multiple)


def _multiple(value: float, multiple: int = SIZE_MULTIPLE) -> int:
    return max(multiple * 4, round(value / multiple) * multiple)


# ---- training -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingBase:
    """A base pattern the model learns on, with the repeat its crops are taken through."""

    image: Image.Image
    repeat: str


def style_targets_at(encoder: Encoder, style: Image.Image, long_side: int) -> list[torch.Tensor]:
    """Gram targets of the style shown at a tile of `long_side`, as the optimiser's last level sees it."""
    style = fit_style(style.convert("RGB"))
    shown_side = long_side * encoder.loss_settings.style_zoom
    ratio = min(shown_side / max(style.size), 1024 / max(style.size))
    size = (max(16, round(style.height * ratio)), max(16, round(style.width * ratio)))
    tensor = F.interpolate(to_tensor(style), size=size, mode="bilinear", antialias=True, align_corners=False)
    return style_grams(encoder, tensor)


def train(
    style: Image.Image,
    bases: Sequence[TrainingBase],
    *,
    encoder: Encoder,
    style_sha256: str,
    config: ModelConfig = ModelConfig(),
    progress: Callable[[float], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    on_loss: Callable[[int, float], None] | None = None,
) -> FeedForwardModel:
    """Train one style's generator; deterministic for a config, style and set of bases."""
    if not bases:
        raise EngineError("a style model needs at least one base pattern to train on")
    for base in bases:
        check_repeat(base.repeat)
    started = time.perf_counter()
    rng = random.Random(config.seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        generator = generator_for(config)
    targets = style_targets_at(encoder, style, config.target_side)
    weights = LossWeights.for_strength(config.strength, encoder.loss_settings)
    weights = replace(weights, content=weights.content * config.content_boost)
    tiles = [(to_tensor(b.image.convert("RGB")), b.repeat) for b in bases]
    optimizer = torch.optim.Adam(generator.parameters(), lr=config.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda i: 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(i / max(config.iterations, 1), 1.0))),
    )
    noise_generator = torch.Generator().manual_seed(config.seed)
    curve: list[float] = []
    generator.train()
    for step in range(config.iterations):
        if should_cancel is not None and should_cancel():
            raise Cancelled("the style model's training was cancelled")
        batch = torch.cat([_training_crop(tiles, config, rng) for _ in range(config.batch)])
        noise = torch.randn(
            (batch.shape[0], 1, *generator.noise_shape(*batch.shape[-2:])), generator=noise_generator
        )
        # A crop is no tile: its edges are replicated, as for the optimiser's windows.
        output = generator(batch, noise, "center")
        loss = _loss(encoder, output.clamp(0.0, 1.0), batch, targets, weights)
        if not torch.isfinite(loss):
            raise EngineError("the style model's training diverged (loss is not finite)")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
        value = float(loss.detach())
        curve.append(value)
        if on_loss is not None:
            on_loss(step, value)
        if progress is not None:
            progress((step + 1) / config.iterations)
    generator.eval()
    model = FeedForwardModel(
        generator=generator,
        config=config,
        style_sha256=style_sha256,
        encoder_name=encoder.name,
        encoder_sha256=encoder.weights_sha256,
        curve=_thin(curve),
        training_seconds=round(time.perf_counter() - started, 1),
    )
    model.judge = judge_model(model, encoder, style, targets)
    return model


def _loss(
    encoder: Encoder,
    output: torch.Tensor,
    content: torch.Tensor,
    targets: list[torch.Tensor],
    weights: LossWeights,
) -> torch.Tensor:
    """The optimiser's loss (transfer.optimise), per image of the batch: Grams must not mix images."""
    features, content_features = encoder.encode(
        output.contiguous(memory_format=torch.channels_last), "center"
    )
    with torch.no_grad():
        _, content_target = encoder.encode(content, "center")
    terms = []
    for i in range(output.shape[0]):
        term = weights.style * style_loss([f[i : i + 1] for f in features], targets)
        target = content_target[i : i + 1]
        scale = target.pow(2).mean() + 1e-8
        term = term + weights.content * (content_features[i : i + 1] - target).pow(2).mean() / scale
        term = term + weights.tv * total_variation(output[i : i + 1], "center") * 100.0
        terms.append(term)
    return torch.stack(terms).mean()


def _training_crop(
    tiles: list[tuple[torch.Tensor, str]], config: ModelConfig, rng: random.Random
) -> torch.Tensor:
    tile, repeat = tiles[rng.randrange(len(tiles))]
    # Rescaled around the preview size, so strokes keep their size against motifs of every size.
    factor = 1.0 + rng.uniform(-config.scale_jitter, config.scale_jitter)
    height, width = fit_size(
        tile.shape[-2], tile.shape[-1], round(config.target_side * factor), config.size_multiple
    )
    x = resample(tile, repeat, (height, width))
    # The crop is taken through the repeat: it may straddle the tile's edge, as the plane does.
    top, left = rng.randrange(height), rng.randrange(width)
    x = plane_window(x, repeat, top, left, config.crop, config.crop)
    return _colour_jitter(x, config.colour_jitter, rng)


def _colour_jitter(x: torch.Tensor, amount: float, rng: random.Random) -> torch.Tensor:
    if amount <= 0:
        return x
    gain = torch.tensor([1.0 + rng.uniform(-amount, amount) for _ in range(3)]).view(1, 3, 1, 1)
    bias = torch.tensor([rng.uniform(-amount, amount) / 2 for _ in range(3)]).view(1, 3, 1, 1)
    grey = x.mean(dim=1, keepdim=True)
    saturation = 1.0 + rng.uniform(-amount, amount) * 3
    return (grey + (x - grey) * saturation).mul(gain).add(bias).clamp(0.0, 1.0)


def _thin(curve: list[float], points: int = 100) -> list[float]:
    """At most `points` values: each the mean of its stretch of the curve."""
    if len(curve) <= points:
        return [round(v, 6) for v in curve]
    size = len(curve) / points
    return [
        round(
            sum(curve[int(i * size) : int((i + 1) * size)]) / len(curve[int(i * size) : int((i + 1) * size)]),
            6,
        )
        for i in range(points)
    ]


def judge_model(
    model: FeedForwardModel, encoder: Encoder, style: Image.Image, targets: list[torch.Tensor] | None = None
) -> dict[str, float]:
    """Cheap figures on held-out generated patterns: seam ratio, SSIM to the base, the loss itself.

    The bench's full panel (Portilla-Simoncelli, palette, patch coherence) needs its judges installed.
    """
    from .metrics import seam_ratio, ssim_luma
    from .patterns import generate_pattern

    targets = targets if targets is not None else style_targets_at(encoder, style, model.config.target_side)
    seams, ssims, losses = [], [], []
    for i, repeat in enumerate(("basic", "half_drop", "half_brick")):
        base = generate_pattern(
            repeat, size=model.config.target_side, seed=900 + i, kind=("ditsy", "motifs", "blobs")[i]
        )
        result = model.stylize(
            base,
            repeat=repeat,
            params=StyleParams(strength=model.config.strength, seed=i),
            long_side=model.config.target_side,
        )
        seams.append(seam_ratio(result.image, repeat))
        ssims.append(ssim_luma(base, result.image))
        with torch.no_grad():
            features, _ = encoder.encode(to_tensor(result.image), repeat)
            losses.append(float(style_loss(features, targets)))
    return {
        "seam_ratio": round(sum(seams) / 3, 4),
        "ssim": round(sum(ssims) / 3, 4),
        "style_loss": round(sum(losses) / 3, 5),
    }


# ---- storage ---------------------------------------------------------------------------------


def model_bytes(model: FeedForwardModel) -> bytes:
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "config": model.config.as_dict(),
        "style_sha256": model.style_sha256,
        "encoder_name": model.encoder_name,
        "encoder_sha256": model.encoder_sha256,
        "curve": list(model.curve),
        "judge": dict(model.judge),
        "training_seconds": float(model.training_seconds),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.generator.state_dict().items()},
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def save_model(model: FeedForwardModel, path: str | Path) -> str:
    """Write the model and, beside it, `<name>.json` with its identity, config and checksum."""
    path = Path(path)
    data = model_bytes(model)
    model.checksum = hashlib.sha256(data).hexdigest()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    path.with_suffix(".json").write_text(json.dumps(model_card(model), indent=2, sort_keys=True) + "\n")
    return model.checksum


def model_card(model: FeedForwardModel) -> dict[str, Any]:
    return {
        "checksum_sha256": model.checksum,
        "identity": model.identity,
        "style_sha256": model.style_sha256,
        "encoder": model.encoder_name,
        "encoder_sha256": model.encoder_sha256,
        "config": model.config.as_dict(),
        "config_sha256": model.config.sha256(),
        "judge": model.judge,
        "training_seconds": model.training_seconds,
        "parameters": parameter_count(model.generator),
        "curve": model.curve,
    }


def load_model(data: bytes, *, expected_checksum: str) -> FeedForwardModel:
    """Read a model file, refusing it unless its SHA-256 is the expected one."""
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected_checksum.lower():
        raise EngineError(f"style model checksum is {actual}, expected {expected_checksum}; refusing it")
    try:
        payload = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several unrelated types for a bad pickle
        raise EngineError(f"the style model file cannot be read: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise EngineError("the file is not a Motif style model")
    if payload.get("format_version") != FORMAT_VERSION:
        raise EngineError(
            f"style model format {payload.get('format_version')} is not {FORMAT_VERSION}; retrain it"
        )
    config = ModelConfig.from_dict(payload["config"])
    generator = generator_for(config)
    generator.load_state_dict(payload["state_dict"])
    generator.eval()
    return FeedForwardModel(
        generator=generator,
        config=config,
        style_sha256=payload["style_sha256"],
        encoder_name=payload["encoder_name"],
        encoder_sha256=payload["encoder_sha256"],
        curve=list(payload["curve"]),
        judge=dict(payload["judge"]),
        training_seconds=float(payload["training_seconds"]),
        checksum=actual,
    )


def load_model_file(path: str | Path, *, expected_checksum: str | None = None) -> FeedForwardModel:
    """Load from a path; without an explicit checksum the one in the sidecar card is required."""
    path = Path(path)
    if expected_checksum is None:
        card = path.with_suffix(".json")
        if not card.is_file():
            raise EngineError(f"{path.name} has no {card.name} beside it to verify it against")
        expected_checksum = str(json.loads(card.read_text())["checksum_sha256"])
    return load_model(path.read_bytes(), expected_checksum=expected_checksum)


def demo_training_bases(size: int = 256) -> list[TrainingBase]:
    """The generated training patterns (every kind and repeat) at `size`."""
    from .patterns import GENERATED_TRAINING_PATTERNS

    return [TrainingBase(spec.generate(size), spec.repeat) for spec in GENERATED_TRAINING_PATTERNS]


def training_bases(size: int = 256) -> list[TrainingBase]:
    """Every pattern a style's model learns on (`TRAINING_PATTERNS`) at `size`."""
    from .patterns import TRAINING_PATTERNS

    return [TrainingBase(spec.generate(size), spec.repeat) for spec in TRAINING_PATTERNS]


__all__ = [
    "ModelConfig",
    "Generator",
    "FeedForwardModel",
    "TrainingBase",
    "RepeatConv",
    "generator_for",
    "train",
    "save_model",
    "load_model",
    "load_model_file",
    "model_identity",
    "model_bytes",
    "model_card",
    "demo_training_bases",
    "training_bases",
]
