"""Feature encoders for the Gram style loss; every convolution pads through the repeat.

"random" needs no download: shallow multi-scale random filters (Ustyuzhaninov et al. 2017,
He et al. 2016) give usable texture statistics where a deep randomly initialised VGG
collapses (see FACTS: neural-style-pt with random VGG-19 goes flat).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from .errors import EngineError
from .repeat import pad, pool2

log = logging.getLogger(__name__)

VGG19_FILENAME = "vgg19-dcbb9e9d.pth"
# torchvision.models.vgg19().features indices of the layers the loss reads.
_VGG_STYLE_LAYERS = {"relu1_1": 1, "relu2_1": 6, "relu3_1": 11, "relu4_1": 20, "relu5_1": 29}
_VGG_CONTENT_LAYER = ("relu4_2", 22)
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


class Encoder(nn.Module):
    name: str
    weights_sha256: str
    # Working sizes are multiples of this, so every pooled level keeps a whole-pixel half drop.
    size_multiple: int
    # Context a feature needs around it: the receptive radius rounded up to size_multiple.
    # Windows of a large tile carry this much halo, so their core features are the tile's own.
    halo: int

    def encode(self, x: torch.Tensor, repeat: str) -> tuple[list[torch.Tensor], torch.Tensor]:
        """Return (style feature maps, content feature map) for an NCHW image in [0, 1]."""
        raise NotImplementedError


class RandomEncoder(Encoder):
    """Five kernel sizes x 10 filters over five pooled levels.

    Chosen on the bench (Portilla-Simoncelli style distance, 3 styles): 3 sizes x 16 filters
    over 3 levels stayed near 1.0 at 256²; 5 sizes over 4 levels reached ~0.5. A fifth
    level then took 6 patterns from 0.206 to 0.178 at 256² and from 0.319 to 0.238 at 512²
    (SSIM up too) for 10-20% more time; 20 filters per size instead cost 2x for less.
    At 512², 6 patterns (0.240 as is; another seed 0.239), none of these beat the noise between
    configurations (about +-0.03): 20 or 32 filters per size (0.227, 0.305), a sixth level
    (0.255), 60 iterations on the finest level, alone or after 100/80 (0.301, 0.287), TV 0.005
    (0.254), a Sliced-Wasserstein term on the pooled levels (Heitz et al. 2021; 0.20-0.24, +30% time),
    style scale measured on the painting's short side (0.294), no Gram for maps under 16²
    (0.232), and extra weight on each Gram's pixel block (1x: 0.329, 10x: 0.675). What remains
    is mostly large-scale contrast (about half of distance²) and band-magnitude
    autocorrelation (`python -m stylization.bench` splits it by statistic group).
    Later, on 8 patterns: a fourth pyramid level (100/60/40/20) gave 0.243 against 0.268, but
    0.308 against 0.312 on 8 other patterns; Gram terms against shifted copies of each level
    (Berger & Memisevic 2017), a centred colour-covariance term and no TV stayed within the
    noise or cost SSIM. The painting's own off-centre crops score about 0.13 (the bench's
    reference row), so the judge leaves little room below ours.
    Aimed at the magnitude autocorrelation, a second-order path (depthwise random 5x5 filters
    over each level's pooled rectified maps, with their own Grams; a scattering-like cascade)
    took 3 *Starry Night* patterns from 0.414 to 0.262 but SSIM from 0.44 to 0.22, for 1.8x
    the time. With 3x the content weight, 8 patterns gave 0.285 at SSIM 0.30 against 0.268 at
    0.48: on *Shipwreck* it filled the tile with fine speckle (0.294 to 0.683). From the third
    level on only: 0.361 against 0.356 on 4 patterns, SSIM 0.36 against 0.43.
    """

    name = "random"

    @staticmethod
    def config_sha256(*, seed: int = 2017, kernel_sizes: tuple[int, ...] = (3, 5, 7, 9, 11),
                      filters_per_kernel: int = 10, levels: int = 5, content_level: int = 1) -> str:
        """The encoder's identity: its filters are drawn from this configuration and nothing else."""
        config = {"seed": seed, "kernel_sizes": list(kernel_sizes), "filters": filters_per_kernel,
                  "levels": levels, "content_level": content_level, "version": 5}
        return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()

    def __init__(self, *, seed: int = 2017, kernel_sizes: tuple[int, ...] = (3, 5, 7, 9, 11),
                 filters_per_kernel: int = 10, levels: int = 5, content_level: int = 1) -> None:
        super().__init__()
        self.kernel_sizes = kernel_sizes
        self.levels = levels
        self.content_level = content_level
        # A half drop survives each [1 3 3 1] pooling exactly while the height divides by 4.
        self.size_multiple = 2 ** levels
        # Each level's filters reach max(k)//2 pooled pixels; each [1 3 3 1] pooling two more.
        deepest = 2 ** (levels - 1)
        radius = max(kernel_sizes) // 2 * deepest + 2 * (deepest - 1)
        self.halo = -(-radius // self.size_multiple) * self.size_multiple
        self.weights_sha256 = self.config_sha256(seed=seed, kernel_sizes=kernel_sizes,
                                                 filters_per_kernel=filters_per_kernel, levels=levels,
                                                 content_level=content_level)
        generator = torch.Generator().manual_seed(seed)
        self.filters = nn.ParameterList()
        for _level in range(levels):
            for k in kernel_sizes:
                w = torch.randn(filters_per_kernel, 3, k, k, generator=generator)
                # Zero mean: a filter responds to structure, not to the flat colour of the tile.
                w = w - w.mean(dim=(1, 2, 3), keepdim=True)
                w = w / w.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
                self.filters.append(nn.Parameter(w, requires_grad=False))

    def encode(self, x: torch.Tensor, repeat: str) -> tuple[list[torch.Tensor], torch.Tensor]:
        h = (x - 0.5) * 4.0
        margin = max(self.kernel_sizes) // 2
        features: list[torch.Tensor] = []
        content = None
        for level in range(self.levels):
            padded = pad(h, repeat, margin)
            maps = []
            for i, k in enumerate(self.kernel_sizes):
                trim = margin - k // 2
                view = padded[..., trim:padded.shape[-2] - trim, trim:padded.shape[-1] - trim] if trim else padded
                maps.append(F.relu(F.conv2d(view, self.filters[level * len(self.kernel_sizes) + i])))
            # The filters are zero-mean and blind to flat colour; the pixels themselves carry
            # the palette into the Gram (its uncentred second moments include the means).
            level_features = torch.cat([*maps, h], dim=1)
            features.append(level_features)
            if level == self.content_level:
                content = level_features
            if level + 1 < self.levels:
                h = pool2(h, repeat)
        assert content is not None
        return features, content


class VGG19Encoder(Encoder):
    name = "vgg19"
    size_multiple = 32
    halo = 96  # receptive radius of relu5_1: 85 px (13 3x3 convolutions and 4 poolings)

    def __init__(self, weights_path: str | Path, *, expected_sha256: str | None = None) -> None:
        super().__init__()
        from torchvision.models import vgg19

        path = Path(weights_path)
        self.weights_sha256 = verify_weights(path, expected_sha256)
        model = vgg19(weights=None)
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            model.load_state_dict(state)
        except (RuntimeError, KeyError, OSError) as exc:
            raise EngineError(f"{path} is not a torchvision VGG-19 state dict: {exc}") from exc
        last = max(max(_VGG_STYLE_LAYERS.values()), _VGG_CONTENT_LAYER[1])
        self.layers = nn.Sequential(*list(model.features.children())[: last + 1]).eval()
        for module in self.layers:
            if isinstance(module, nn.Conv2d):
                module.padding = (0, 0)  # the repeat-aware pad replaces zero padding
            if isinstance(module, nn.ReLU):
                module.inplace = False
        for p in self.layers.parameters():
            p.requires_grad_(False)
        self.register_buffer("mean", torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1))
        self._style_at = {i: name for name, i in _VGG_STYLE_LAYERS.items()}

    def encode(self, x: torch.Tensor, repeat: str) -> tuple[list[torch.Tensor], torch.Tensor]:
        h = (x - self.get_buffer("mean")) / self.get_buffer("std")
        features: list[torch.Tensor] = []
        content = None
        for i, module in enumerate(self.layers):
            h = module(pad(h, repeat, 1)) if isinstance(module, nn.Conv2d) else module(h)
            if i in self._style_at:
                features.append(h)
            if i == _VGG_CONTENT_LAYER[1]:
                content = h
        assert content is not None
        return features, content


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_weights(path: Path, expected_sha256: str | None = None) -> str:
    """Refuse weights whose SHA-256 differs from the expected digest.

    torchvision names its files <arch>-<first 8 hex of the SHA-256>.pth; that prefix is
    the expectation unless the caller passes a full or prefix digest explicitly.
    """
    if not path.is_file():
        raise EngineError(f"VGG-19 weights not found at {path}")
    expected = expected_sha256
    if expected is None:
        match = re.search(r"-([0-9a-f]{8,64})\.pth$", path.name)
        if match is None:
            raise EngineError(f"cannot verify {path.name}: pass expected_sha256 or use torchvision's file name")
        expected = match.group(1)
    expected = expected.lower()
    if len(expected) < 8 or not re.fullmatch(r"[0-9a-f]+", expected):
        raise EngineError(f"expected SHA-256 {expected_sha256!r} is not a hex digest of at least 8 digits")
    actual = sha256_file(path)
    if not actual.startswith(expected):
        raise EngineError(f"VGG-19 weights at {path} have SHA-256 {actual}, expected {expected}...; refusing them")
    return actual


def default_vgg19_path() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / VGG19_FILENAME


def encoder_identity(name: str, weights_path: str | None = None, expected_sha256: str | None = None) -> tuple[str, str]:
    """The (name, weights_sha256) that `build_encoder` would give, without building the network:
    a web process names the style models it lists by them, and must not load VGG-19 to do so."""
    if name not in {"auto", "random", "vgg19"}:
        raise ValueError(f"unknown encoder {name!r}; expected auto, random or vgg19")
    path = Path(weights_path) if weights_path else default_vgg19_path()
    if name == "vgg19" or (name == "auto" and path.is_file()):
        return VGG19Encoder.name, verify_weights(path, expected_sha256)
    return RandomEncoder.name, RandomEncoder.config_sha256()


def build_encoder(name: str, weights_path: str | None = None, expected_sha256: str | None = None) -> Encoder:
    if name == "random":
        return RandomEncoder()
    path = Path(weights_path) if weights_path else default_vgg19_path()
    if name == "vgg19":
        return VGG19Encoder(path, expected_sha256=expected_sha256)
    if name == "auto":
        if path.is_file():
            log.info("encoder auto: using VGG-19 weights at %s", path)
            return VGG19Encoder(path, expected_sha256=expected_sha256)
        log.info("encoder auto: no VGG-19 weights at %s, using the random multi-scale encoder", path)
        return RandomEncoder()
    raise ValueError(f"unknown encoder {name!r}; expected auto, random or vgg19")
