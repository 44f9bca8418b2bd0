"""Reading uploads into sRGB RGB images, and moving images to and from tensors."""

from __future__ import annotations

import io
import logging
import warnings

import numpy as np
import torch
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from .errors import ImageError

log = logging.getLogger(__name__)

_SRGB = ImageCms.createProfile("sRGB")


def load_image(data: bytes, *, min_side: int = 64, max_pixels: int = 40_000_000) -> Image.Image:
    """Decode an upload to an RGB image in sRGB, or raise ImageError saying why not."""
    if not data:
        raise ImageError("the file is empty")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; treat it as the bomb it is.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > max_pixels:
                raise ImageError(f"the image is {width}x{height} pixels; the limit is {max_pixels:,} pixels")
            image.load()
    except ImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"the image is too large to decode safely ({exc})") from exc
    except UnidentifiedImageError as exc:
        raise ImageError("the file is not an image format we can read (PNG, JPEG, WebP, TIFF...)") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"the image is damaged or truncated ({exc})") from exc
    if min(width, height) < min_side:
        raise ImageError(f"the image is {width}x{height} pixels; each side needs at least {min_side} pixels")
    upright: Image.Image = ImageOps.exif_transpose(image) or image
    return _to_srgb(upright)


def _to_srgb(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        image = _sixteen_bit_to_l(image)
    alpha = None
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        alpha = image.getchannel("A")
        image = image.convert("RGB" if image.mode in ("RGBA", "RGBa", "PA") else "L")
    if image.mode not in ("RGB", "L", "CMYK"):
        image = image.convert("RGB")
    if icc:
        image = _apply_icc(image, icc)
    image = image.convert("RGB")  # L and CMYK without a profile fall back to Pillow's conversion
    if alpha is not None:
        # Transparent areas of a pattern print on white paper.
        white = Image.new("RGB", image.size, (255, 255, 255))
        image = Image.composite(image, white, alpha)
    return image


def _sixteen_bit_to_l(image: Image.Image) -> Image.Image:
    values = np.asarray(image, dtype=np.float64)
    # Pillow's convert("L") clips 16-bit values instead of scaling them.
    top = (
        1.0
        if image.mode == "F" and values.max(initial=0) <= 1.0
        else (255.0 if values.max(initial=0) <= 255 else 65535.0)
    )
    return Image.fromarray(np.clip(np.rint(values / top * 255.0), 0, 255).astype(np.uint8), mode="L")


def _apply_icc(image: Image.Image, icc: bytes) -> Image.Image:
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        return converted if converted is not None else image
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        log.warning("ignoring an unusable embedded ICC profile (%s); treating the image as sRGB", exc)
        return image


def fit_style(image: Image.Image, max_side: int = 1024) -> Image.Image:
    """Shrink a style image so its long side is at most max_side (the Gram needs no more)."""
    if max(image.size) <= max_side:
        return image
    ratio = max_side / max(image.size)
    size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def to_tensor(image: Image.Image) -> torch.Tensor:
    """RGB image -> float32 NCHW tensor in [0, 1]."""
    array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(array.copy()).permute(2, 0, 1).unsqueeze(0)


def to_image(x: torch.Tensor) -> Image.Image:
    array = x.detach().float().clamp(0, 1).squeeze(0).permute(1, 2, 0).cpu().numpy()
    return Image.fromarray(np.rint(array * 255.0).astype(np.uint8), mode="RGB")
