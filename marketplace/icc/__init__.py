"""The default ICC output profile of each physical substrate, shipped with the code.

Keys are `marketplace.models.Substrate` values; a digital download is never printed, so it has no
entry. Sources and licences: ATTRIBUTION.md beside this file.
"""

from __future__ import annotations

from pathlib import Path

ICC_DIR = Path(__file__).resolve().parent

DEFAULT_PROFILE_FILES: dict[str, str] = {
    "fabric": "artifex-swop-cmyk.icc",
    "wallpaper": "artifex-swop-cmyk.icc",
    "gift_wrap": "artifex-swop-cmyk.icc",
}


def default_profile_bytes(substrate: str) -> bytes:
    """The shipped profile for `substrate`; KeyError for a substrate that is never printed."""
    return (ICC_DIR / DEFAULT_PROFILE_FILES[substrate]).read_bytes()
