"""Gatys-style optimisation: Gram style loss, feature content loss, repeat-aware TV.

Coarse-to-fine: every level is optimised as a whole tile (the padding carries the wrap)
up to a size that fits in memory; above it the tile is refined in overlapping windows
taken through the repeat, each pulled towards the same global style targets.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from .encoders import Encoder
from .errors import Cancelled, EngineError
from .repeat import pad, plane_window, window_indices

ProgressHook = Callable[[float], None]
CancelHook = Callable[[], bool]


@dataclass
class LossWeights:
    style: float
    content: float
    tv: float

    @classmethod
    def for_strength(cls, strength: float) -> LossWeights:
        # Measured at 256² on 3 styles (Adam, lr 0.1): 0.1*(1-s) gave style distance 0.28 at
        # SSIM 0.43 for the default strength 0.7; 0.3*(1-s) gave 0.51 / 0.53 and 1.5*(1-s)
        # kept SSIM 0.8 while the style barely showed (distance ~1).
        return cls(style=strength, content=0.1 * (1.0 - strength), tv=0.02)


class Job:
    """Counts iterations for the progress hook and honours cancellation at each one."""

    def __init__(self, total: int, progress: ProgressHook | None, should_cancel: CancelHook | None) -> None:
        self.total = max(total, 1)
        self.done = 0
        self._progress = progress
        self._should_cancel = should_cancel

    def tick(self) -> None:
        if self._should_cancel is not None and self._should_cancel():
            raise Cancelled("the stylization job was cancelled")
        self.done += 1
        if self._progress is not None:
            self._progress(min(self.done / self.total, 1.0))

    def finish(self) -> None:
        if self._progress is not None:
            self._progress(1.0)


def gram(features: torch.Tensor) -> torch.Tensor:
    n, c, h, w = features.shape
    flat = features.reshape(n * c, h * w).float()
    return flat @ flat.T / (h * w)


def style_grams(encoder: Encoder, style: torch.Tensor) -> list[torch.Tensor]:
    """Gram targets of a style image; the style is no tile, so its edges are replicated."""
    with torch.no_grad():
        features, _ = encoder.encode(style, "center")
        return [gram(f) for f in features]


def style_loss(features: list[torch.Tensor], targets: list[torch.Tensor]) -> torch.Tensor:
    terms = [((gram(f) - t) ** 2).sum() / ((t**2).sum() + 1e-8) for f, t in zip(features, targets, strict=True)]
    return torch.stack(terms).mean()


def total_variation(x: torch.Tensor, repeat: str) -> torch.Tensor:
    """Mean squared step to the right and down neighbours, the wrap-around ones included."""
    p = pad(x, repeat, 1)[..., 1:, 1:]
    dx = p[..., :-1, 1:] - p[..., :-1, :-1]
    dy = p[..., 1:, :-1] - p[..., :-1, :-1]
    return (dx**2).mean() + (dy**2).mean()


def optimise(x0: torch.Tensor, content: torch.Tensor, targets: list[torch.Tensor], *, encoder: Encoder,
             repeat: str, weights: LossWeights, iterations: int, job: Job, optimizer: str = "adam",
             lr: float = 0.1, autocast_bf16: bool = False,
             on_loss: Callable[[float], None] | None = None,
             grad_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Optimise the pixels of x0 (NCHW, [0,1]); grad_mask=0 marks pixels held fixed."""
    with torch.no_grad():
        _, content_features = encoder.encode(content, repeat)
        content_scale = content_features.pow(2).mean() + 1e-8
    # L-BFGS flattens gradients with view(): the pixels must be plainly contiguous.
    x = x0.detach().contiguous().clone().requires_grad_(True)
    if grad_mask is not None:
        x.register_hook(lambda grad: grad * grad_mask)
    channels_last = x.device.type == "cuda"

    def loss_fn() -> torch.Tensor:
        image = x.contiguous(memory_format=torch.channels_last) if channels_last else x
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=autocast_bf16):
            style_features, features = encoder.encode(image, repeat)
        loss = weights.style * style_loss(style_features, targets)
        if weights.content > 0:
            loss = loss + weights.content * (features.float() - content_features).pow(2).mean() / content_scale
        if weights.tv > 0:
            loss = loss + weights.tv * total_variation(x, repeat) * 100.0
        if not torch.isfinite(loss):
            raise EngineError("the style optimisation diverged (loss is not finite); try a lower strength")
        return loss

    def new_optimizer() -> torch.optim.Optimizer:
        if optimizer == "lbfgs":
            # Per-pixel gradients of a normalised loss are tiny: default tolerances stop early.
            return torch.optim.LBFGS([x], lr=1.0, max_iter=1, history_size=20, tolerance_grad=0.0,
                                     tolerance_change=0.0, line_search_fn="strong_wolfe")
        if optimizer == "adam":
            return torch.optim.Adam([x], lr=lr)
        raise ValueError(f"unknown optimizer {optimizer!r}")

    opt = new_optimizer()

    # The losses are means, so per-pixel gradients shrink with the image; L-BFGS skips
    # curvature pairs below 1e-10 and then stalls. Scaling by the pixel count fixes that.
    pixel_scale = float(x.shape[-1] * x.shape[-2]) if optimizer == "lbfgs" else 1.0

    def closure() -> torch.Tensor:
        opt.zero_grad(set_to_none=True)
        loss = loss_fn() * pixel_scale
        loss.backward()
        return loss

    previous = float("inf")
    for _ in range(iterations):
        job.tick()
        loss = opt.step(closure)  # type: ignore[arg-type]  # torch's stub says float; it returns the closure's tensor
        value = float(torch.as_tensor(loss).detach())
        if optimizer == "lbfgs" and value >= previous * (1 - 1e-6):
            # The line search found no step and L-BFGS would repeat it forever with the
            # same history (seen with content + TV terms): restart from plain gradient descent.
            opt = new_optimizer()
        previous = value
        if optimizer == "adam":
            with torch.no_grad():
                x.clamp_(0.0, 1.0)
        # L-BFGS is left unclamped while it runs: clamping breaks its curvature pairs and
        # it stalled within a few iterations; the level result is clamped instead.
        if on_loss is not None:
            on_loss(value / pixel_scale)
    return x.detach().clamp(0.0, 1.0)


def refine_in_windows(current: torch.Tensor, content: torch.Tensor, targets: list[torch.Tensor], *,
                      encoder: Encoder, repeat: str, weights: LossWeights, iterations: int, job: Job,
                      core: int = 256, halo: int = 32, **kwargs) -> torch.Tensor:
    """Refine a large tile window by window, with windows and halos taken through the repeat.

    Windows run in order and each sees the already refined neighbours in its halo; the
    windows are then feathered together with linear ramps over the overlaps. The halos
    wrap through the topology, so the tile's own edge is just another overlap. Memory is
    bounded by the window size. Known limit (measured): overlaps show stroke steps about
    2-3x the median step, so the engine only windows levels above GLOBAL_MAX_SIDE.
    (Freezing the halo and writing cores back unblended was worse: 10-25x at core edges.)
    """
    _, channels, height, width = current.shape
    rows, cols = math.ceil(height / core), math.ceil(width / core)
    core_h, core_w = math.ceil(height / rows), math.ceil(width / cols)
    win_h, win_w = core_h + 2 * halo, core_w + 2 * halo
    blend = (_ramp(win_h, halo, current)[:, None] * _ramp(win_w, halo, current)[None, :]).reshape(-1)
    accumulated = torch.zeros(channels, height * width, dtype=current.dtype, device=current.device)
    weight_sum = torch.zeros(height * width, dtype=current.dtype, device=current.device)
    current = current.clone()
    window_repeat = "center"  # a window is a crop of the plane: its edges are halo, not wrap
    for r in range(rows):
        for c in range(cols):
            top, left = r * core_h - halo, c * core_w - halo
            index = window_indices(repeat, height, width, top, left, win_h, win_w).to(current.device).reshape(-1)
            inside = _inside(repeat, height, width, top, left, win_h, win_w).to(current.device).reshape(-1)
            x0 = plane_window(current, repeat, top, left, win_h, win_w)
            target_content = plane_window(content, repeat, top, left, win_h, win_w)
            refined = optimise(x0, target_content, targets, encoder=encoder, repeat=window_repeat,
                               weights=weights, iterations=iterations, job=job, **kwargs)
            w = blend * inside
            accumulated.index_add_(1, index, refined.reshape(channels, -1) * w)
            weight_sum.index_add_(0, index, w)
            # Later windows take their halo from the refined core.
            core_index = window_indices(repeat, height, width, r * core_h, c * core_w, core_h, core_w)
            core_values = refined[..., halo:halo + core_h, halo:halo + core_w].reshape(channels, -1)
            current.view(channels, -1).index_copy_(1, core_index.to(current.device).reshape(-1), core_values)
    if bool((weight_sum <= 0).any()):
        raise EngineError("window refinement left pixels uncovered")
    return (accumulated / weight_sum).reshape(1, channels, height, width)


def _ramp(length: int, halo: int, like: torch.Tensor) -> torch.Tensor:
    d = torch.arange(length, dtype=like.dtype, device=like.device)
    d = torch.minimum(d, length - 1 - d)
    return ((d + 0.5) / (2 * halo)).clamp(max=1.0)


def _inside(repeat: str, height: int, width: int, top: int, left: int, win_h: int, win_w: int) -> torch.Tensor:
    """For the non-repeating "center" layout, pixels beyond the tile edge must not vote."""
    if repeat != "center":
        return torch.ones(win_h * win_w)
    ys = torch.arange(top, top + win_h)
    xs = torch.arange(left, left + win_w)
    valid = ((ys >= 0) & (ys < height))[:, None] & ((xs >= 0) & (xs < width))[None, :]
    return valid.float()
