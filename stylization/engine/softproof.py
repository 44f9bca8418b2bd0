"""Soft proof: how an sRGB design prints through a substrate's ICC output profile.

The proof is a LittleCMS proof transform (sRGB -> sRGB, the output profile as the proof, relative
colorimetric both ways), so the screen shows the colours the printer can reach. A second transform
with the gamut check on marks the colours it cannot. The gamut check and the worst CIEDE2000 between
design and proof are computed once per distinct colour, because the proof maps colours and a
pattern repeats few of them a great many times.

Figures (p50 on a 1024x1024 tile, ratio to a plain sRGB transform):
`python -m tests.benchmarks.softproof`.
"""

from __future__ import annotations

import functools
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageCms
from skimage.color import deltaE_ciede2000, rgb2lab

RENDERING_INTENT = ImageCms.Intent.RELATIVE_COLORIMETRIC
# Painted over out-of-gamut pixels in the warning overlay: a colour no print process reaches.
GAMUT_WARNING_COLOUR = (255, 0, 255)
# Pixel codes 0xRRGGBB span 24 bits: a 16 MB table over them finds the distinct colours in one pass.
_COLOUR_CODES = 1 << 24
# The worst colour error is searched on a grid of 6 bits per channel (the centre of each occupied
# cell) and then refined on the exact colours of the cells that come within DELTA_E_REFINE_MARGIN of
# the worst cell: CIEDE2000 is the costly part of a proof, and a styled tile has ~200k colours but
# a few tens of thousands of occupied cells. Within one cell (4 code values a side) CIEDE2000
# moves by well under half the margin, so the colour with the true worst error is always refined.
_GRID_BITS = 6
_GRID_CELLS = 1 << (3 * _GRID_BITS)
DELTA_E_REFINE_MARGIN = 4.0

_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


class ProfileError(ValueError):
    """The bytes are not an ICC profile that a soft proof or a print file can use."""


@dataclass(frozen=True)
class ProfileInfo:
    name: str
    sha256: str
    colour_space: str  # the ICC data colour space, e.g. "CMYK" or "RGB"


@dataclass(frozen=True)
class SoftProof:
    image: Image.Image  # RGB: the design as it prints, shown on an sRGB screen
    out_of_gamut: np.ndarray  # bool, height x width: the pixels the printer cannot reach
    out_of_gamut_fraction: float
    max_delta_e: float  # worst CIEDE2000 between a design pixel and its proof
    profile: ProfileInfo


@dataclass(frozen=True)
class _ProofTransforms:
    proof: ImageCms.ImageCmsTransform
    gamut_check: ImageCms.ImageCmsTransform
    profile: ImageCms.ImageCmsProfile
    info: ProfileInfo


def profile_info(profile_bytes: bytes) -> ProfileInfo:
    """Name, sha256 and colour space of an ICC profile; ProfileError if it is not one."""
    return _transforms(bytes(profile_bytes)).info


def soft_proof(image: Image.Image, profile_bytes: bytes) -> SoftProof:
    """The design as printed through `profile_bytes`, with its gamut mask and colour error."""
    transforms = _transforms(bytes(profile_bytes))
    rgb = image.convert("RGB")

    # The proof, its gamut check and its colour error are functions of the colour, so they are
    # computed once per distinct colour and looked up per pixel: one table over the 2^24 colour
    # codes holds each colour's proof in its low three bytes and its gamut flag in the top one.
    codes = _colour_codes(rgb)
    present = np.zeros(_COLOUR_CODES, dtype=bool)
    present[codes] = True
    colours = np.flatnonzero(present).astype(np.uint32)
    swatch = _codes_to_image(colours)
    proof_of_colours = _transform_array(swatch, transforms.proof)
    # The gamut check paints out-of-gamut colours with LittleCMS's alarm code; everywhere else it
    # agrees with the plain proof, whose pipeline it shares.
    flagged = (_transform_array(swatch, transforms.gamut_check) != proof_of_colours).any(axis=-1)
    proof_codes = proof_of_colours.astype(np.uint32) @ np.array([1, 1 << 8, 1 << 16], dtype=np.uint32)
    table = np.empty(_COLOUR_CODES, dtype=np.uint32)  # only the colours present are ever read
    table[colours] = proof_codes | (flagged.astype(np.uint32) << 24)
    looked_up = table[codes]
    proofed = Image.frombytes("RGB", rgb.size, looked_up.tobytes(), "raw", "RGBX")
    mask = (looked_up >= 1 << 24).reshape(rgb.height, rgb.width)

    max_delta_e = _max_delta_e(colours, transforms.proof)
    return SoftProof(
        image=proofed,
        out_of_gamut=mask,
        out_of_gamut_fraction=float(mask.mean()) if mask.size else 0.0,
        max_delta_e=max_delta_e,
        profile=transforms.info,
    )


def gamut_warning_overlay(proof: SoftProof, *, opacity: float = 1.0) -> Image.Image:
    """The proof with its out-of-gamut pixels painted GAMUT_WARNING_COLOUR (blended by opacity)."""
    if not 0.0 <= opacity <= 1.0:
        raise ValueError(f"opacity must be between 0 and 1, got {opacity!r}")
    pixels = np.asarray(proof.image, dtype=np.float32).copy()
    warning = np.asarray(GAMUT_WARNING_COLOUR, dtype=np.float32)
    pixels[proof.out_of_gamut] = (1 - opacity) * pixels[proof.out_of_gamut] + opacity * warning
    return Image.fromarray(np.rint(pixels).astype(np.uint8), "RGB")


def colours_out_of_gamut(colours: Sequence[str], profile_bytes: bytes) -> dict[str, bool]:
    """For each "#rrggbb" colour, whether the profile's printer cannot reach it."""
    transforms = _transforms(bytes(profile_bytes))
    rgb = [bytes.fromhex(parse_hex(colour)[1:]) for colour in colours]
    swatch = Image.frombytes("RGB", (len(rgb), 1), b"".join(rgb))
    flagged = (
        _transform_array(swatch, transforms.gamut_check) != _transform_array(swatch, transforms.proof)
    ).any(axis=-1)
    return {parse_hex(colour): bool(flag) for colour, flag in zip(colours, flagged, strict=True)}


@dataclass(frozen=True)
class PrintFile:
    data: bytes
    media_type: str
    extension: str
    profile: ProfileInfo


def print_file_bytes(image: Image.Image, profile_bytes: bytes, *, dpi: int) -> PrintFile:
    """The print file for a substrate: the design converted into the output profile's colour space,
    with that profile embedded and the physical resolution set.

    A CMYK profile gives a CMYK TIFF (PNG holds no CMYK); an RGB profile gives a PNG.
    """
    if not isinstance(dpi, int) or not 30 <= dpi <= 2400:
        raise ValueError(f"dpi must be an integer between 30 and 2400, got {dpi!r}")
    transforms = _transforms(bytes(profile_bytes))
    space = transforms.info.colour_space
    if space not in ("CMYK", "RGB"):
        raise ProfileError(f"a print file needs a CMYK or RGB output profile, not {space}")
    converted = ImageCms.profileToProfile(
        image.convert("RGB"), _SRGB, transforms.profile, renderingIntent=RENDERING_INTENT, outputMode=space
    )
    assert converted is not None
    buffer = io.BytesIO()
    if space == "CMYK":
        converted.save(
            buffer,
            format="TIFF",
            dpi=(dpi, dpi),
            icc_profile=bytes(profile_bytes),
            compression="tiff_adobe_deflate",
        )
        return PrintFile(buffer.getvalue(), "image/tiff", "tif", transforms.info)
    converted.save(buffer, format="PNG", dpi=(dpi, dpi), icc_profile=bytes(profile_bytes))
    return PrintFile(buffer.getvalue(), "image/png", "png", transforms.info)


def parse_hex(colour: object) -> str:
    """ "#rrggbb" in lower case; ValueError for anything else."""
    if not isinstance(colour, str) or len(colour) != 7 or colour[0] != "#":
        raise ValueError(f"expected a colour as #rrggbb, got {colour!r}")
    try:
        int(colour[1:], 16)
    except ValueError:
        raise ValueError(f"expected a colour as #rrggbb, got {colour!r}") from None
    return colour.lower()


@functools.lru_cache(maxsize=16)
def _transforms(profile_bytes: bytes) -> _ProofTransforms:
    """Both proof transforms of one profile. Building them takes a few hundred milliseconds, far
    more than applying them, so they are kept per profile (a shop has a handful)."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(profile_bytes))
        name = ImageCms.getProfileDescription(profile).strip()
        space = profile.profile.xcolor_space.strip()
        proof, gamut_check = (
            ImageCms.buildProofTransform(
                _SRGB,
                _SRGB,
                profile,
                "RGB",
                "RGB",
                renderingIntent=RENDERING_INTENT,
                proofRenderingIntent=RENDERING_INTENT,
                flags=flags,
            )
            for flags in (
                ImageCms.Flags.SOFTPROOFING,
                ImageCms.Flags.SOFTPROOFING | ImageCms.Flags.GAMUTCHECK,
            )
        )
    except (OSError, ImageCms.PyCMSError, TypeError, ValueError) as error:
        raise ProfileError(f"not a usable ICC output profile: {error}") from None
    info = ProfileInfo(name=name, sha256=hashlib.sha256(profile_bytes).hexdigest(), colour_space=space)
    return _ProofTransforms(proof=proof, gamut_check=gamut_check, profile=profile, info=info)


def _max_delta_e(colours: np.ndarray, proof: ImageCms.ImageCmsTransform) -> float:
    """The worst CIEDE2000 between each colour code and its proof (see _GRID_BITS)."""
    if not len(colours):
        return 0.0
    cell_of_colour = _grid_cell(colours)
    occupied = np.zeros(_GRID_CELLS, dtype=bool)
    occupied[cell_of_colour] = True
    cells = np.flatnonzero(occupied)
    cell_errors = _delta_e_of_codes(_grid_cell_centre(cells), proof)
    worst = np.zeros(_GRID_CELLS, dtype=bool)
    worst[cells[cell_errors >= cell_errors.max() - DELTA_E_REFINE_MARGIN]] = True
    candidates = colours[worst[cell_of_colour]]
    return float(_delta_e_of_codes(candidates, proof).max())


def _grid_cell(codes: np.ndarray) -> np.ndarray:
    """The grid cell of each colour code: the top _GRID_BITS of each channel, packed."""
    drop, keep = 8 - _GRID_BITS, (1 << _GRID_BITS) - 1
    return (
        ((codes >> drop) & keep)
        | (((codes >> (8 + drop)) & keep) << _GRID_BITS)
        | (((codes >> (16 + drop)) & keep) << (2 * _GRID_BITS))
    )


def _grid_cell_centre(cells: np.ndarray) -> np.ndarray:
    """The colour code at the centre of each grid cell."""
    drop, keep = 8 - _GRID_BITS, (1 << _GRID_BITS) - 1
    half = 1 << (drop - 1)
    channels = [((cells >> (i * _GRID_BITS)) & keep) << drop | half for i in range(3)]
    return (channels[0] | channels[1] << 8 | channels[2] << 16).astype(np.uint32)


def _delta_e_of_codes(codes: np.ndarray, proof: ImageCms.ImageCmsTransform) -> np.ndarray:
    swatch = _codes_to_image(codes)
    original_lab = rgb2lab(np.asarray(swatch, dtype=np.float32).reshape(-1, 3) / 255.0)
    proof_lab = rgb2lab(_transform_array(swatch, proof).astype(np.float32) / 255.0)
    return np.asarray(deltaE_ciede2000(original_lab, proof_lab))


def _colour_codes(image: Image.Image) -> np.ndarray:
    """Each pixel as one integer (R + G<<8 + B<<16): one comparison per pixel, not three."""
    return np.frombuffer(image.tobytes("raw", "RGBX"), dtype=np.uint32) & 0xFFFFFF


def _codes_to_image(codes: np.ndarray) -> Image.Image:
    rgb = np.stack([codes & 0xFF, (codes >> 8) & 0xFF, (codes >> 16) & 0xFF], axis=-1).astype(np.uint8)
    return Image.fromarray(rgb.reshape(1, -1, 3), "RGB")


def _transform_array(image: Image.Image, transform: ImageCms.ImageCmsTransform) -> np.ndarray:
    result = ImageCms.applyTransform(image, transform)
    assert result is not None
    return np.asarray(result).reshape(-1, 3)
