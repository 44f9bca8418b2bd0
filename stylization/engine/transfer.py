"""Gatys-style optimisation: Gram style loss, feature content loss, repeat-aware TV.

Coarse-to-fine: every level is optimised as a whole tile (the padding carries the wrap)
up to a size that fits in memory; above it the whole tile's gradient is computed window
by window (`refine_in_windows`), so memory stays bounded and the result stays seamless.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .encoders import Encoder, LossSettings
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
    def for_strength(cls, strength: float, settings: LossSettings | None = None) -> LossWeights:
        # The random encoder's settings, measured at 256² on 3 styles (Adam, lr 0.1): content
        # 0.1*(1-s) gave style distance 0.28 at SSIM 0.43 for the default strength 0.7; 0.3*(1-s)
        # gave 0.51 / 0.53 and 1.5*(1-s) kept SSIM 0.8 while the style barely showed (distance ~1).
        settings = settings or Encoder.loss_settings
        return cls(style=strength, content=settings.content_per_strength * (1.0 - strength), tv=settings.tv)


class Job:
    """Counts iterations for the progress hook and honours cancellation at each one."""

    def __init__(self, total: int, progress: ProgressHook | None, should_cancel: CancelHook | None) -> None:
        self.total = max(total, 1)
        self.done = 0.0
        self._progress = progress
        self._should_cancel = should_cancel

    def tick(self, amount: float = 1.0) -> None:
        if self._should_cancel is not None and self._should_cancel():
            raise Cancelled("the stylization job was cancelled")
        self.done += amount
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
    terms = [
        ((gram(f) - t) ** 2).sum() / ((t**2).sum() + 1e-8) for f, t in zip(features, targets, strict=True)
    ]
    return torch.stack(terms).mean()


def masked_gram(features: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The Gram matrix of the features inside a (1,1,H,W) mask (Gatys et al. 2017, spatial control).

    The mask is averaged down to the features' grid and weights each position; dividing by its area
    makes a mask of ones give `gram` exactly, so the style targets are the same for every region.
    """
    n, c, h, w = features.shape
    weights = F.adaptive_avg_pool2d(mask.to(features), (h, w))
    flat = (features * weights).reshape(n * c, h * w).float()
    return flat @ flat.T / (weights.sum().float() + 1e-8)


def masked_style_loss(
    features: list[torch.Tensor], targets: list[torch.Tensor], mask: torch.Tensor
) -> torch.Tensor:
    terms = [
        ((masked_gram(f, mask) - t) ** 2).sum() / ((t**2).sum() + 1e-8)
        for f, t in zip(features, targets, strict=True)
    ]
    return torch.stack(terms).mean()


def total_variation(x: torch.Tensor, repeat: str) -> torch.Tensor:
    """Mean squared step to the right and down neighbours, the wrap-around ones included."""
    p = pad(x, repeat, 1)[..., 1:, 1:]
    dx = p[..., :-1, 1:] - p[..., :-1, :-1]
    dy = p[..., 1:, :-1] - p[..., :-1, :-1]
    return (dx**2).mean() + (dy**2).mean()


def optimise(
    x0: torch.Tensor,
    content: torch.Tensor,
    targets: list[torch.Tensor],
    *,
    encoder: Encoder,
    repeat: str,
    weights: LossWeights,
    iterations: int,
    job: Job,
    lr: float = 0.1,
    on_loss: Callable[[float], None] | None = None,
    region: torch.Tensor | None = None,
) -> torch.Tensor:
    """Optimise the pixels of x0 (NCHW, [0,1]) as one tile with Adam; `region` (1,1,H,W) masks the
    Gram loss."""
    with torch.no_grad():
        _, content_features = encoder.encode(content, repeat)
        content_scale = content_features.pow(2).mean() + 1e-8
    x = x0.detach().contiguous().clone().requires_grad_(True)

    def loss_fn() -> torch.Tensor:
        image = x.contiguous(memory_format=torch.channels_last)
        style_features, features = encoder.encode(image, repeat)
        if region is None:
            loss = weights.style * style_loss(style_features, targets)
        else:
            loss = weights.style * masked_style_loss(style_features, targets, region)
        if weights.content > 0:
            loss = (
                loss + weights.content * (features.float() - content_features).pow(2).mean() / content_scale
            )
        if weights.tv > 0:
            loss = loss + weights.tv * total_variation(x, repeat) * 100.0
        if not torch.isfinite(loss):
            raise EngineError("the style optimisation diverged (loss is not finite); try a lower strength")
        return loss

    opt = torch.optim.Adam([x], lr=lr)
    for _ in range(iterations):
        job.tick()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        opt.step()
        with torch.no_grad():
            x.clamp_(0.0, 1.0)
        if on_loss is not None:
            on_loss(float(loss.detach()))
    return x.detach().clamp(0.0, 1.0)


@dataclass(frozen=True)
class Window:
    """A core of the tile that a window optimises, plus `halo` pixels of context on every side."""

    top: int
    left: int
    height: int
    width: int


def tile_windows(height: int, width: int, core: int, align: int) -> list[Window]:
    """Cores that partition the tile, each starting on the encoder's pooling grid."""

    def spans(size: int) -> list[tuple[int, int]]:
        count = math.ceil(size / core)
        step = math.ceil(size / count / align) * align
        return [(start, min(step, size - start)) for start in range(0, size, step)]

    return [Window(top, left, h, w) for top, h in spans(height) for left, w in spans(width)]


def refine_in_windows(
    current: torch.Tensor,
    content: torch.Tensor,
    targets: list[torch.Tensor],
    *,
    encoder: Encoder,
    repeat: str,
    weights: LossWeights,
    iterations: int,
    job: Job,
    core: int = 512,
    lr: float = 0.1,
    on_loss: Callable[[float], None] | None = None,
) -> torch.Tensor:
    """Optimise a tile too big to hold whole, with the whole tile's gradient at every step.

    The Gram matrices are sums over pixels, so one pass over the windows gives the global
    Grams (hence dLoss/dGram), and a second pass back-propagates that fixed dLoss/dGram
    through each window's core features. Each window carries a halo at least the
    encoder's receptive radius, so its core features equal the whole tile's; the summed
    pixel gradients are then the whole-tile gradient, and one Adam step updates the whole
    tile. The windows are taken through the repeat, so the wrap is just another overlap:
    the result is seamless by construction, like a whole-tile optimisation, and memory is
    bounded by one window. Feathering independently optimised windows (the earlier design)
    left stroke steps along every overlap (seam ratio 4.1 at 3600²).
    """
    windows = tile_windows(
        *encoded_period(encoder, repeat, current.shape[-2], current.shape[-1]), core, encoder.size_multiple
    )
    content_cores, content_scale = window_content_features(encoder, content, repeat, windows)
    x = current.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=lr)
    for _ in range(iterations):
        grad, loss = windowed_gradient(
            x.detach(),
            content_cores,
            content_scale,
            targets,
            encoder=encoder,
            repeat=repeat,
            weights=weights,
            windows=windows,
            job=job,
        )
        with torch.enable_grad():
            tv = weights.tv * total_variation(x, repeat) * 100.0
            tv.backward()
        assert x.grad is not None
        x.grad.add_(grad)
        loss += float(tv.detach())
        if not math.isfinite(loss):
            raise EngineError("the style optimisation diverged (loss is not finite); try a lower strength")
        opt.step()
        opt.zero_grad(set_to_none=True)
        with torch.no_grad():
            x.clamp_(0.0, 1.0)
        if on_loss is not None:
            on_loss(loss)
    return x.detach()


def encoded_period(encoder: Encoder, repeat: str, height: int, width: int) -> tuple[int, int]:
    """The span of the plane whose features the loss reads: the tile, or a mirror tile's 2x2 block of flips."""
    if repeat == "mirror" and encoder.encodes_mirror_period:
        return 2 * height, 2 * width
    return height, width


def window_content_features(
    encoder: Encoder, content: torch.Tensor, repeat: str, windows: list[Window]
) -> tuple[list[torch.Tensor], float]:
    """The content target of each window's core, and their mean square (the content loss's scale)."""
    with torch.no_grad():
        cores = [_core_features(encoder, content, repeat, w)[1] for w in windows]
    count = sum(c.numel() for c in cores)
    return cores, sum(float(c.pow(2).sum()) for c in cores) / count + 1e-8


def windowed_gradient(
    x: torch.Tensor,
    content_cores: list[torch.Tensor],
    content_scale: float,
    targets: list[torch.Tensor],
    *,
    encoder: Encoder,
    repeat: str,
    weights: LossWeights,
    windows: list[Window],
    job: Job,
) -> tuple[torch.Tensor, float]:
    """(dLoss/dx, loss) of the style and content terms for the whole tile, one window in memory at a time."""
    channels = x.shape[1]
    with torch.no_grad():
        sums: list[torch.Tensor] | None = None
        counts = [0] * len(targets)
        for window in windows:
            features, _ = _core_features(encoder, x, repeat, window)
            partial = [_gram_sum(f) for f in features]
            sums = partial if sums is None else [a + b for a, b in zip(sums, partial, strict=True)]
            counts = [n + f.shape[-2] * f.shape[-1] for n, f in zip(counts, features, strict=True)]
        assert sums is not None
        grams = [s / n for s, n in zip(sums, counts, strict=True)]
        norms = [(t**2).sum() + 1e-8 for t in targets]
        style_value = sum(
            float(((g - t) ** 2).sum() / z) for g, t, z in zip(grams, targets, norms, strict=True)
        )
        style_value *= weights.style / len(targets)
        # dLoss/dGram, held fixed for the second pass; divided by each level's pixel count
        # because the windows' Gram sums add up to count * Gram.
        d_grams = [
            weights.style * 2 * (g - t) / (z * len(targets) * n)
            for g, t, z, n in zip(grams, targets, norms, counts, strict=True)
        ]
    grad = torch.zeros(channels, x.shape[-2] * x.shape[-1], dtype=x.dtype, device=x.device)
    content_value = 0.0
    content_count = sum(c.numel() for c in content_cores)
    for window, content_core in zip(windows, content_cores, strict=True):
        job.tick(1 / len(windows))  # progress moves and cancellation is honoured within a step
        span = _span(window, encoder.halo, encoder.size_multiple, repeat, x.shape[-2], x.shape[-1])
        piece = (
            plane_window(x, repeat, span.top, span.left, span.height, span.width)
            .detach()
            .requires_grad_(True)
        )
        with torch.enable_grad():
            features, content_features = _encode_cores(encoder, piece, window, span)
            surrogate = torch.stack(
                [(_gram_sum(f) * d).sum() for f, d in zip(features, d_grams, strict=True)]
            ).sum()
            if weights.content > 0:
                content_term = (content_features.float() - content_core).pow(2).sum()
                content_value += float(content_term.detach())
                surrogate = surrogate + weights.content * content_term / (content_count * content_scale)
            surrogate.backward()
        assert piece.grad is not None
        index = window_indices(repeat, x.shape[-2], x.shape[-1], span.top, span.left, span.height, span.width)
        grad.index_add_(1, index.to(x.device).reshape(-1), piece.grad.reshape(channels, -1))
    loss = style_value + weights.content * content_value / (content_count * content_scale)
    return grad.reshape(x.shape), loss


def _gram_sum(features: torch.Tensor) -> torch.Tensor:
    flat = features.reshape(features.shape[0] * features.shape[1], -1).float()
    return flat @ flat.T


@dataclass(frozen=True)
class _Span:
    """The plane rectangle a window encodes, and where its core sits inside it."""

    top: int
    left: int
    height: int
    width: int
    core_top: int
    core_left: int


def _span(window: Window, halo: int, align: int, repeat: str, tile_h: int, tile_w: int) -> _Span:
    def axis(start: int, size: int, tile: int) -> tuple[int, int, int]:
        # Rounded up to the pooling grid so every pooled level of the window is exact; the
        # extra pixels are more context on the far side.
        first, last = start - halo, start + math.ceil(size / align) * align + halo
        if repeat == "center":
            # No wrap: the tile's own edge bounds the window, so the encoder's edge padding
            # meets it exactly where it meets the whole tile.
            first, last = max(first, 0), min(last, tile)
        return first, last - first, start - first

    top, height, core_top = axis(window.top, window.height, tile_h)
    left, width, core_left = axis(window.left, window.width, tile_w)
    return _Span(top, left, height, width, core_top, core_left)


def _core_features(
    encoder: Encoder, image: torch.Tensor, repeat: str, window: Window
) -> tuple[list[torch.Tensor], torch.Tensor]:
    span = _span(window, encoder.halo, encoder.size_multiple, repeat, image.shape[-2], image.shape[-1])
    piece = plane_window(image, repeat, span.top, span.left, span.height, span.width)
    return _encode_cores(encoder, piece, window, span)


def _encode_cores(
    encoder: Encoder, piece: torch.Tensor, window: Window, span: _Span
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Encode a window and keep the features of its core; the halo only gives them context."""
    # The window's edge is either halo that no core feature sees or, for "center", the tile's
    # own edge: replicate padding is right for both.
    features, content = encoder.encode(piece.contiguous(memory_format=torch.channels_last), "center")

    def core(f: torch.Tensor) -> torch.Tensor:
        stride = round(piece.shape[-2] / f.shape[-2])
        top, left = span.core_top // stride, span.core_left // stride
        return f[
            ..., top : top + math.ceil(window.height / stride), left : left + math.ceil(window.width / stride)
        ]

    return [core(f) for f in features], core(content)
