"""Repeat-preserving neural style transfer for seamless surface patterns (no Django here)."""

from .colour import reinhard_transfer
from .engine import Engine, StylizeResult, check_render_size
from .errors import Cancelled, EngineError, ImageError
from .images import fit_style, load_image
from .layout import print_sheet, tile_layout
from .metrics import seam_ratio, ssim_luma
from .params import StyleParams
from .patterns import PATTERN_KINDS, generate_pattern
from .printing import print_png_bytes
from .repeat import REPEAT_TYPES, pad
from .vectorize import VectorResult, vectorize_tile

__all__ = [
    "REPEAT_TYPES",
    "PATTERN_KINDS",
    "check_render_size",
    "StyleParams",
    "Engine",
    "StylizeResult",
    "Cancelled",
    "EngineError",
    "ImageError",
    "load_image",
    "fit_style",
    "reinhard_transfer",
    "generate_pattern",
    "tile_layout",
    "print_png_bytes",
    "print_sheet",
    "vectorize_tile",
    "VectorResult",
    "seam_ratio",
    "ssim_luma",
    "pad",
]
