"""The buyer-facing controls of a personalization."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

# Which part of the base pattern the style paints: everything, its motifs, or its ground (the
# design's dominant flat colour). The marketplace's validation reads this tuple.
REGIONS: tuple[str, ...] = ("all", "motifs", "ground")
# The ranges every caller validates against (the marketplace's models, services, API and forms read
# these names): the engine is their one home because it cannot import the marketplace.
STRENGTH_RANGE: tuple[float, float] = (0.0, 1.0)
STYLE_SCALE_RANGE: tuple[float, float] = (0.25, 4.0)
# A seed fits a signed 32-bit integer column, as the personalization and the order line store it.
SEED_MAX = 2**31 - 1


@dataclass(frozen=True)
class StyleParams:
    strength: float = 0.7  # 0 keeps the base pattern, 1 is the strongest transfer
    preserve_colors: bool = False  # transfer only luminance; keep the base pattern's chroma
    style_scale: float = 1.0  # >1 paints bigger brush strokes
    seed: int = 0
    regions: str = "all"

    def __post_init__(self) -> None:
        if not (
            isinstance(self.strength, (int, float))
            and math.isfinite(self.strength)
            and STRENGTH_RANGE[0] <= self.strength <= STRENGTH_RANGE[1]
        ):
            raise ValueError(
                f"strength must be between {STRENGTH_RANGE[0]:g} and {STRENGTH_RANGE[1]:g}, got {self.strength!r}"
            )
        if not isinstance(self.preserve_colors, bool):
            raise ValueError(f"preserve_colors must be true or false, got {self.preserve_colors!r}")
        if not (
            isinstance(self.style_scale, (int, float))
            and math.isfinite(self.style_scale)
            and STYLE_SCALE_RANGE[0] <= self.style_scale <= STYLE_SCALE_RANGE[1]
        ):
            raise ValueError(
                f"style_scale must be between {STYLE_SCALE_RANGE[0]:g} and {STYLE_SCALE_RANGE[1]:g}, "
                f"got {self.style_scale!r}"
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed <= SEED_MAX:
            raise ValueError(f"seed must be an integer between 0 and {SEED_MAX}, got {self.seed!r}")
        if self.regions not in REGIONS:
            raise ValueError(f"regions must be one of {', '.join(REGIONS)}, got {self.regions!r}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
