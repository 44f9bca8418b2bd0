"""Colour spaces: the instant Reinhard preview and luminance-only transfer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

# sRGB (D65) <-> CIE XYZ, IEC 61966-2-1.
_RGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
_XYZ_TO_RGB = np.linalg.inv(_RGB_TO_XYZ)
_WHITE = _RGB_TO_XYZ.sum(axis=1)


def srgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """Lab of sRGB in [0, 1], in the input's float precision (float32 halves a live tile's cost)."""
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _RGB_TO_XYZ.T.astype(rgb.dtype) / _WHITE.astype(rgb.dtype)
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def lab_to_srgb(lab: np.ndarray) -> np.ndarray:
    fy = (lab[..., 0] + 16) / 116
    f = np.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], -1)
    xyz = np.where(f > 6 / 29, f**3, 3 * (6 / 29) ** 2 * (f - 4 / 29)) * _WHITE.astype(lab.dtype)
    linear = np.clip(xyz @ _XYZ_TO_RGB.T.astype(lab.dtype), 0.0, 1.0)
    return np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)


@dataclass(frozen=True)
class LabPalette:
    """The mean and spread of an image's Lab pixels: what Reinhard's transfer matches."""

    mean: tuple[float, float, float]
    std: tuple[float, float, float]


def lab_palette(image: Image.Image) -> LabPalette:
    lab = srgb_to_lab(np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0).reshape(-1, 3)
    mean, std = lab.mean(0), lab.std(0) + 1e-6
    return LabPalette(
        mean=(float(mean[0]), float(mean[1]), float(mean[2])),
        std=(float(std[0]), float(std[1]), float(std[2])),
    )


def reinhard_transfer(content: Image.Image, style: Image.Image, strength: float = 1.0) -> Image.Image:
    """Reinhard et al. 2001 colour transfer: match Lab mean and spread of the style.

    A pointwise map of the content's colours, so a seamless pattern stays seamless;
    it is the instant preview shown while the neural job runs.
    """
    rgb = np.asarray(content.convert("RGB"), dtype=np.float64) / 255.0
    out = _reinhard(rgb, lab_palette(style), strength)
    return Image.fromarray(np.rint(out * 255).astype(np.uint8), mode="RGB")


def reinhard_match(x: torch.Tensor, palette: LabPalette, strength: float = 1.0) -> torch.Tensor:
    """`reinhard_transfer` of an RGB tensor (1,3,H,W) towards a palette computed once."""
    rgb = x[0].permute(1, 2, 0).float().contiguous().numpy()
    out = _reinhard(rgb, palette, strength)
    return torch.from_numpy(out).to(x.dtype).permute(2, 0, 1)[None].contiguous()


def _reinhard(rgb: np.ndarray, palette: LabPalette, strength: float) -> np.ndarray:
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be between 0 and 1, got {strength}")
    src = srgb_to_lab(rgb)
    src_mean, src_std = src.reshape(-1, 3).mean(0), src.reshape(-1, 3).std(0) + 1e-6
    ref_mean, ref_std = np.asarray(palette.mean), np.asarray(palette.std)
    target_mean = src_mean + strength * (ref_mean - src_mean)
    target_std = src_std + strength * (ref_std - src_std)
    out = (src - src_mean) / src_std * target_std + target_mean
    return np.clip(lab_to_srgb(out), 0.0, 1.0)


# YIQ keeps luminance apart from chroma with a linear map, so it is cheap on tensors.
_RGB_TO_YIQ = torch.tensor(
    [[0.299, 0.587, 0.114], [0.595716, -0.274453, -0.321263], [0.211456, -0.522591, 0.311135]]
)
_YIQ_TO_RGB = torch.linalg.inv(_RGB_TO_YIQ)


def rgb_to_yiq(x: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,njhw->nihw", _RGB_TO_YIQ.to(x), x)


def yiq_to_rgb(x: torch.Tensor) -> torch.Tensor:
    return torch.einsum("ij,njhw->nihw", _YIQ_TO_RGB.to(x), x)


def luminance_as_rgb(x: torch.Tensor) -> torch.Tensor:
    y = rgb_to_yiq(x)[:, :1]
    return y.expand(-1, 3, -1, -1).contiguous()


def match_luminance(style_y: torch.Tensor, content_y: torch.Tensor) -> torch.Tensor:
    """Gatys et al. 2017: shift the style's luminance to the content's mean and spread."""
    return ((style_y - style_y.mean()) / (style_y.std() + 1e-6) * content_y.std() + content_y.mean()).clamp(
        0, 1
    )


def with_content_chroma(output: torch.Tensor, content: torch.Tensor) -> torch.Tensor:
    """Preserve-colours: the output's lightness pattern in the base's own colours, in CIE Lab.

    The output's L* is shifted and spread to the base's L* mean and spread (Gatys et al. 2017's
    luminance matching), and a*, b* are the base's. Keeping YIQ chroma at the painting's (darker)
    luminance instead pushed light grounds out of gamut, and the clamp turned a mint ground olive-grey.
    """
    out_lab, base_lab = _tensor_lab(output), _tensor_lab(content)
    lightness = out_lab[..., 0]
    base_l = base_lab[..., 0]
    matched = (lightness - lightness.mean()) / (lightness.std() + 1e-6) * base_l.std() + base_l.mean()
    lab = np.concatenate([np.clip(matched, 0.0, 100.0)[..., None], base_lab[..., 1:]], axis=-1)
    return _lab_tensor(lab, output)


def blend_in_lab(base: torch.Tensor, styled: torch.Tensor, amount: float) -> torch.Tensor:
    """`base` moved `amount` of the way to `styled` in CIE Lab, pixel by pixel.

    The CIE76 difference from the base is then `amount` times the full one, so strength reads
    proportionally: 0.3 is a third of the change, not most of it, and 0 is the base itself."""
    if amount <= 0.0:
        return base
    if amount >= 1.0:
        return styled
    base_lab = _tensor_lab(base)
    return _lab_tensor(base_lab + amount * (_tensor_lab(styled) - base_lab), base)


def _tensor_lab(x: torch.Tensor) -> np.ndarray:
    """(1,3,H,W) RGB tensor -> (H,W,3) Lab array (float32)."""
    return srgb_to_lab(x[0].permute(1, 2, 0).detach().float().cpu().contiguous().numpy())


def _lab_tensor(lab: np.ndarray, like: torch.Tensor) -> torch.Tensor:
    rgb = np.clip(lab_to_srgb(lab.astype(np.float32)), 0.0, 1.0)
    return torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None].to(like)
