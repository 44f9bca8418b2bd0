"""The buyer-facing controls of a personalization."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

# Which part of the base pattern the style paints: everything, its motifs, or its ground (the
# design's dominant flat colour). The marketplace's validation reads this tuple.
REGIONS: tuple[str, ...] = ("all", "motifs", "ground")


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
            and 0.0 <= self.strength <= 1.0
        ):
            raise ValueError(f"strength must be between 0 and 1, got {self.strength!r}")
        if not isinstance(self.preserve_colors, bool):
            raise ValueError(f"preserve_colors must be true or false, got {self.preserve_colors!r}")
        if not (
            isinstance(self.style_scale, (int, float))
            and math.isfinite(self.style_scale)
            and 0.25 <= self.style_scale <= 4.0
        ):
            raise ValueError(f"style_scale must be between 0.25 and 4, got {self.style_scale!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        if self.regions not in REGIONS:
            raise ValueError(f"regions must be one of {', '.join(REGIONS)}, got {self.regions!r}")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
