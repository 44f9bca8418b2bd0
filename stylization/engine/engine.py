"""The Engine: what the worker, the CLI and the bench call to stylize a base pattern."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torchvision
from PIL import Image

from .colour import luminance_as_rgb, match_luminance, rgb_to_yiq, with_content_chroma
from .encoders import build_encoder
from .errors import EngineError
from .images import fit_style, to_image, to_tensor
from .layout import layout_repeat
from .params import StyleParams
from .regions import composite, mask_at, region_mask
from .repeat import REPEAT_TYPES, check_repeat, check_tile_size, keep_low_band, resample
from .transfer import CancelHook, Job, LossWeights, ProgressHook, optimise, refine_in_windows, style_grams

log = logging.getLogger(__name__)

LevelHook = Callable[[Image.Image], None]

PREVIEW_MAX_SIDE = 384
FINAL_MAX_SIDE = 8192
# Above this long side a level's gradient is computed window by window rather than on one
# tensor (same result, bounded memory: see refine_in_windows). 1280 keeps a 1200² print
# tile whole on the CPU (~3 GB).
GLOBAL_MAX_SIDE = 1280
# On a large accelerator the whole tile fits (measured on an H100: 1.6 GB at 1200² with the random
# encoder, 4.7 GB with VGG-19, growing with the pixel count), and one tensor is faster than windows.
CUDA_WHOLE_TILE_BYTES_PER_PIXEL = 4_000
# Window core for the windowed levels; each window adds the encoder's halo (128 px for the random
# encoder) on every side. 768 keeps a 3600² level at 1.9x the tile's pixels per pass (512: 2.5x).
WINDOW_CORE = 768
# Iterations per pyramid level, coarse to fine, with Adam. L-BFGS reached a lower loss
# per iteration at 256² but stalled (line search found no step) once content and TV terms
# were on, and collapsed small tiles to flat colour; Adam's cost per iteration is fixed.
PREVIEW_SCHEDULE = (60, 40, 20)
GLOBAL_SCHEDULE = (60, 40, 20)
_TARGET_CACHE_SIZE = 64


@dataclass
class StylizeResult:
    image: Image.Image
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Level:
    height: int
    width: int
    iterations: int
    windowed: bool


class Engine:
    def __init__(
        self,
        device: str = "auto",
        encoder: str = "auto",
        weights_path: str | None = None,
        cache_dir: str | None = None,
        *,
        expected_sha256: str | None = None,
    ) -> None:
        self.device = _resolve_device(device)
        if self.device.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = True
            torch.backends.cudnn.allow_tf32 = True
        # channels_last on the CPU too: oneDNN's input gradient for the 9x9 and 11x11 filters
        # was 3-4x slower in the default layout (measured: 101 ms against 28 ms at 256²).
        self.encoder = build_encoder(encoder, weights_path, expected_sha256).to(self.device).eval()
        self.encoder = self.encoder.to(memory_format=torch.channels_last)
        self.encoder_name: str = self.encoder.name
        self.weights_sha256: str = self.encoder.weights_sha256
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self._targets: OrderedDict[str, list[torch.Tensor]] = OrderedDict()
        self.target_computations = 0  # how many times style targets were actually computed

    # ---- public entry points -------------------------------------------------------------

    def preview(
        self,
        content: Image.Image,
        style: Image.Image,
        *,
        repeat: str,
        params: StyleParams,
        long_side: int = 256,
        progress: ProgressHook | None = None,
        should_cancel: CancelHook | None = None,
        padding: str | None = None,
        on_level: LevelHook | None = None,
    ) -> StylizeResult:
        """A quick tile of long side `long_side`, optimised whole over a 3-level pyramid.

        The tile is optimised in the topology the print sheet lays it out in (`layout_repeat`: a
        centred motif is printed on a plain grid). `padding` replaces that topology; it exists only
        for the seam-ratio control ("zeros"), which shows what ignoring the wrap costs.
        `on_level` receives each coarser level's tile as it finishes (64², then 128²), so a
        page can show the preview sharpening instead of only the final one.
        """
        check_repeat(repeat)
        if padding not in (None, "zeros", *REPEAT_TYPES):
            raise ValueError(f"unknown padding {padding!r}")
        if not 64 <= long_side <= PREVIEW_MAX_SIDE:
            raise ValueError(
                f"preview long side must be between 64 and {PREVIEW_MAX_SIDE}px, got {long_side}"
            )
        height, width = self._fit_aspect(content, long_side)
        levels = [
            _Level(*self._level_size(height, width, 2 ** (len(PREVIEW_SCHEDULE) - 1 - i)), n, False)
            for i, n in enumerate(PREVIEW_SCHEDULE)
        ]
        levels[-1] = _Level(height, width, PREVIEW_SCHEDULE[-1], False)
        return self._run(
            content,
            style,
            repeat,
            params,
            levels,
            "preview",
            progress,
            should_cancel,
            topology=padding or layout_repeat(repeat),
            on_level=on_level,
        )

    def render_tile(
        self,
        content: Image.Image,
        style: Image.Image,
        *,
        repeat: str,
        params: StyleParams,
        width_px: int,
        height_px: int,
        progress: ProgressHook | None = None,
        should_cancel: CancelHook | None = None,
        padding: str | None = None,
        iterations_cap: int | None = None,
        preview: Image.Image | None = None,
    ) -> StylizeResult:
        """The print-resolution tile; `padding` is the seam control's override, as in preview.
        `iterations_cap` bounds each level's iterations (a dry run of the whole plan).

        `preview` is the approved preview tile: the optimisation then starts from it, runs only the
        levels finer than it, and keeps its low band (`keep_low_band`), so the print shows what the
        buyer approved with the detail that only print resolution holds."""
        check_repeat(repeat)
        if padding not in (None, "zeros", *REPEAT_TYPES):
            raise ValueError(f"unknown padding {padding!r}")
        plan = self.render_plan(width_px=width_px, height_px=height_px, repeat=repeat)
        if iterations_cap is not None:
            plan = [
                dataclasses.replace(level, iterations=min(level.iterations, iterations_cap)) for level in plan
            ]
        start = None
        if preview is not None:
            start = to_tensor(preview.convert("RGB")).to(self.device)
            plan = [level for level in plan if max(level.height, level.width) > max(preview.size)]
        return self._run(
            content,
            style,
            repeat,
            params,
            plan,
            "render_tile",
            progress,
            should_cancel,
            topology=padding or layout_repeat(repeat),
            out_size=(height_px, width_px),
            start=start,
        )

    def render_plan(self, *, width_px: int, height_px: int, repeat: str) -> list[_Level]:
        """The pyramid levels a print tile of this size is optimised over. Every level, and every
        pooled level inside the encoder, keeps the repeat's half shift a whole pixel; the last
        level is resampled through the repeat to the tile's exact size."""
        check_render_size(repeat, width_px=width_px, height_px=height_px)
        return self._final_plan(height_px, width_px, repeat)

    # ---- planning ------------------------------------------------------------------------

    def _fit_aspect(self, content: Image.Image, long_side: int) -> tuple[int, int]:
        m = self.encoder.size_multiple
        ratio = content.height / content.width
        if ratio <= 1:
            return max(m, round(long_side * ratio / m) * m), long_side
        return long_side, max(m, round(long_side / ratio / m) * m)

    def _level_size(self, height: int, width: int, factor: int) -> tuple[int, int]:
        # Below 64 px the pooled levels hold a few pixels and the transfer collapsed to a flat tile.
        m = self.encoder.size_multiple
        smallest = max(m, 64)
        return max(smallest, round(height / factor / m) * m), max(smallest, round(width / factor / m) * m)

    def _whole_tile_max_side(self, height: int, width: int) -> int:
        if self.device.type == "cuda":
            torch.cuda.empty_cache()  # memory cached from an earlier job is free for this one
            free, _total = torch.cuda.mem_get_info(self.device)
            if height * width * CUDA_WHOLE_TILE_BYTES_PER_PIXEL < free * 0.8:
                return max(height, width)
        return GLOBAL_MAX_SIDE

    def _working_size(self, height: int, width: int, repeat: str) -> tuple[int, int]:
        # A half drop (brick) must stay a whole-pixel shift through every pooling of the encoder, so
        # that axis is optimised at a multiple of the encoder's size multiple. The other axis, and
        # the other repeats, pool correctly at any size.
        m = self.encoder.size_multiple

        def snap(value: int) -> int:
            return max(m, round(value / m) * m)

        return (
            snap(height) if repeat == "half_drop" else height,
            snap(width) if repeat == "half_brick" else width,
        )

    def _final_plan(self, height: int, width: int, repeat: str) -> list[_Level]:
        # Windowed levels: the final size and its halvings that are still too big to hold whole.
        work_h, work_w = self._working_size(height, width, repeat)
        windowed: list[tuple[int, int]] = []
        h, w = work_h, work_w
        while max(h, w) > self._whole_tile_max_side(h, w):
            windowed.insert(0, (h, w))
            h, w = self._working_size(_even(h / 2), _even(w / 2), repeat)
        global_h, global_w = self._level_size(h, w, 1)
        levels = [
            _Level(*self._level_size(global_h, global_w, 2 ** (len(GLOBAL_SCHEDULE) - 1 - i)), n, False)
            for i, n in enumerate(GLOBAL_SCHEDULE)
        ]
        if not windowed:
            levels[-1] = _Level(work_h, work_w, GLOBAL_SCHEDULE[-1], False)
        for h, w in windowed:
            megapixels = h * w / 1e6
            iterations = 16 if megapixels <= 1.5 else 8 if megapixels <= 4 else 4
            levels.append(_Level(h, w, iterations, True))
        return levels

    # ---- the transfer --------------------------------------------------------------------

    def _run(
        self,
        content_image: Image.Image,
        style_image: Image.Image,
        repeat: str,
        params: StyleParams,
        levels: list[_Level],
        method: str,
        progress: ProgressHook | None,
        should_cancel: CancelHook | None,
        topology: str | None = None,
        out_size: tuple[int, int] | None = None,
        on_level: LevelHook | None = None,
        start: torch.Tensor | None = None,
    ) -> StylizeResult:
        started = time.perf_counter()
        out_h, out_w = out_size or (levels[-1].height, levels[-1].width)
        content_full = to_tensor(content_image.convert("RGB")).to(self.device)
        topology = topology or layout_repeat(repeat)
        content_final = resample(content_full, topology, (out_h, out_w))
        # One mask for every level and for the preview and the print alike: it comes from the upload.
        region = region_mask(content_full.cpu(), params.regions, topology)
        iterations = 0
        if params.strength == 0:
            output = content_final
        elif start is not None and not levels:
            # The print is no finer than the approved preview: the preview is the print.
            output = resample(start, topology, (out_h, out_w))
        else:
            style_image = fit_style(style_image.convert("RGB"))
            style_sha = hashlib.sha256(style_image.tobytes() + repr(style_image.size).encode()).hexdigest()
            weights = LossWeights.for_strength(params.strength, self.encoder.loss_settings)
            job = Job(sum(lv.iterations for lv in levels), progress, should_cancel)
            with _deterministic(self.device), torch.random.fork_rng(devices=[]):
                torch.manual_seed(params.seed)
                output = self._pyramid(
                    content_full,
                    style_image,
                    style_sha,
                    topology,
                    params,
                    levels,
                    weights,
                    job,
                    on_level,
                    region,
                    start,
                )
            output = resample(output, topology, (out_h, out_w))
            if start is not None:
                output = keep_low_band(output, start, topology)
            iterations = round(job.done)
            if params.preserve_colors:
                output = with_content_chroma(output, content_final)
            job.finish()
        if region is not None and params.strength != 0:
            output = composite(output, content_final, mask_at(region, topology, (out_h, out_w), self.device))
        if not bool(torch.isfinite(output).all()):
            raise EngineError("the stylized tile contains invalid values (NaN or infinity)")
        image = to_image(output)
        info = {
            "method": method,
            "encoder": self.encoder_name,
            "weights_sha256": self.weights_sha256,
            "device": str(self.device),
            "torch_version": torch.__version__,
            "torchvision_version": torchvision.__version__,
            "iterations": iterations,
            "seconds": round(time.perf_counter() - started, 3),
            "repeat": repeat,
            "params": params.as_dict(),
            "size": [out_w, out_h],
            "optimizer": "adam",  # engine_info keeps the field its readers know
            "from_preview": start is not None,
        }
        return StylizeResult(image=image, info=info)

    def _pyramid(
        self,
        content_full: torch.Tensor,
        style_image: Image.Image,
        style_sha: str,
        repeat: str,
        params: StyleParams,
        levels: list[_Level],
        weights: LossWeights,
        job: Job,
        on_level: LevelHook | None = None,
        region: torch.Tensor | None = None,
        start: torch.Tensor | None = None,
    ) -> torch.Tensor:
        x: torch.Tensor | None = None
        for index, level in enumerate(levels):
            size = (level.height, level.width)
            content = resample(content_full, repeat, size)
            if params.preserve_colors:
                content = luminance_as_rgb(content)
            targets = self._style_targets(style_image, style_sha, level, params, content)
            if x is None and start is not None:
                x = resample(start, repeat, size)
            if x is None:
                noise = torch.randn(content.shape, generator=_generator(params.seed)).to(self.device)
                x = (content + 0.1 * noise).clamp(0, 1)
            else:
                x = resample(x, repeat, size)
            kwargs: dict[str, Any] = {
                "encoder": self.encoder,
                "repeat": repeat,
                "weights": weights,
                "iterations": level.iterations,
                "job": job,
                "lr": self.encoder.loss_settings.lr,
            }
            if level.windowed:
                # The windows' Gram is the whole tile's; a region is kept by the final composite alone.
                x = refine_in_windows(x, content, targets, core=WINDOW_CORE, **kwargs)
            else:
                level_region = None if region is None else mask_at(region, repeat, size, self.device)
                x = optimise(x, content, targets, region=level_region, **kwargs)
            if on_level is not None and index + 1 < len(levels):
                shown = (
                    with_content_chroma(x, resample(content_full, repeat, size))
                    if params.preserve_colors
                    else x
                )
                on_level(to_image(shown))
        assert x is not None
        return x

    def _style_targets(
        self,
        style_image: Image.Image,
        style_sha: str,
        level: _Level,
        params: StyleParams,
        content: torch.Tensor,
    ) -> list[torch.Tensor]:
        """Gram targets, cached per (style, encoder, scale, level size[, luminance match])."""
        # style_scale 2 paints strokes twice as big: the style is shown at twice the level's size.
        long_side = (
            max(level.height, level.width) * params.style_scale * self.encoder.loss_settings.style_zoom
        )
        ratio = min(long_side / max(style_image.size), 1024 / max(style_image.size))
        style_size = (max(16, round(style_image.height * ratio)), max(16, round(style_image.width * ratio)))
        key_parts = [
            style_sha,
            self.encoder_name,
            self.weights_sha256,
            f"{params.style_scale:.4f}",
            str(style_size),
        ]
        if params.preserve_colors:
            luma = rgb_to_yiq(content)[:, :1]
            key_parts.append(f"luma:{float(luma.mean()):.3f}:{float(luma.std()):.3f}")
        key = hashlib.sha256("|".join(key_parts).encode()).hexdigest()
        if key in self._targets:
            self._targets.move_to_end(key)
            return self._targets[key]
        targets = self._load_cached(key)
        if targets is None:
            style = to_tensor(style_image).to(self.device)
            style = torch.nn.functional.interpolate(
                style, size=style_size, mode="bilinear", antialias=True, align_corners=False
            )
            if params.preserve_colors:
                content_luma = rgb_to_yiq(content)[:, :1]
                style = match_luminance(luminance_as_rgb(style), content_luma)
            targets = style_grams(self.encoder, style)
            self.target_computations += 1
            self._store_cached(key, targets)
        self._targets[key] = targets
        while len(self._targets) > _TARGET_CACHE_SIZE:
            self._targets.popitem(last=False)
        return targets

    def _load_cached(self, key: str) -> list[torch.Tensor] | None:
        if self.cache_dir is None:
            return None
        path = self.cache_dir / f"{key}.pt"
        if not path.is_file():
            return None
        try:
            return [t.to(self.device) for t in torch.load(path, map_location="cpu", weights_only=True)]
        except (OSError, RuntimeError, EOFError) as exc:
            log.warning("ignoring unreadable style target cache %s (%s)", path, exc)
            return None

    def _store_cached(self, key: str, targets: list[torch.Tensor]) -> None:
        if self.cache_dir is None:
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        torch.save([t.cpu() for t in targets], buffer)
        tmp = self.cache_dir / f"{key}.pt.tmp"
        tmp.write_bytes(buffer.getvalue())
        tmp.replace(self.cache_dir / f"{key}.pt")  # atomic: two workers may race on one style


def _resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise EngineError("device 'cuda' was requested but no CUDA GPU is available")
    return resolved


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def check_render_size(repeat: str, *, width_px: int, height_px: int) -> None:
    """Raise ValueError, in words a designer can read, unless a print tile of this size can be rendered."""
    check_repeat(repeat)
    for name, value in (("width", width_px), ("height", height_px)):
        if not isinstance(value, int) or not 64 <= value <= FINAL_MAX_SIDE:
            raise ValueError(f"the tile's {name} must be between 64 and {FINAL_MAX_SIDE} px, got {value!r}")
    check_tile_size(repeat, height_px, width_px)


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


@contextlib.contextmanager
def _deterministic(device: torch.device) -> Iterator[None]:
    """Equal inputs and seed give equal bytes on CPU; restored afterwards for the host process."""
    previous = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous)
