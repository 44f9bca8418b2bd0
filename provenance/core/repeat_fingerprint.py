"""Repeat-aware fingerprints: find the record behind a photo of the printed plane.

Every Motif output is a repeat, so any view of the print that holds one full period holds the
whole design, only shifted. The fingerprint works on that period:

1. the lattice of the view (its two shortest translation vectors, so period, orientation and
   shear) comes from the peaks of its overlap-normalised autocorrelation, refined by a least-
   squares fit over every lattice point it can see. Resizing and small rotation only change the
   vectors;
2. every pixel is folded onto one period by its lattice coordinates and averaged there, giving
   a canonical cell of CELL x CELL samples. Seeing more periods only averages more samples;
3. where the view starts (its phase) is a cyclic shift of that cell. The magnitude of the
   cell's low Fourier coefficients does not see a cyclic shift, so it is the search descriptor;
4. the best few records by descriptor are confirmed by phase correlation of their stored cells
   against the query's: the normalised cross-correlation at the best cyclic shift is the score;
5. outputs of one base pattern share its layout and differ in what the style did to it, and the
   layout dominates that correlation. So a record also keeps the cell of its base pattern, and at
   the found alignment the style score correlates what the style changed: the query's and the
   record's cells, each less its least-squares fit from the base cell's channels.

A lattice has more than one short basis (a half drop of a square tile has two equally short
diagonals), and which one a noisy estimate picks is chance. Both the record and the query keep
every near-shortest basis whose first vector is roughly horizontal and second roughly vertical
(`basis_variants`); the query's wider angle window still contains the record's bases after a
small rotation. The "period" of a mirror repeat is its 2 x 2 tiles: that is the plane's
translation cell (the reflections are not translations).

Less than one period seen (or no lattice found) means no repeat-aware answer, and the caller
falls back to the perceptual hashes. Lab notes are in provenance/EXPERIMENTS.md.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field, replace

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from scipy import fft as sfft
from scipy import ndimage

from provenance.core.plane import plane_view

FloatArray = NDArray[np.float64]

CELL = 64  # samples per side of the canonical period
DESCRIPTOR_FREQUENCIES = 6  # Fourier coefficients |m|, |n| <= this, in cycles per period
WORK_SIDE = 512  # long side a query is analysed at
RECORD_SIDE = 1024  # a print tile is fingerprinted at this long side at most
RECORD_ANGLE_DEG = 45.0  # a stored basis: first vector within this of horizontal, second of vertical
QUERY_ANGLE_DEG = 52.0  # the query's window is wider by the rotation it may carry (<= 5°) and then some
NEAR_SHORTEST = 1.15  # basis vectors up to this times the reduced basis' longer vector are kept
MIN_OVERLAP = 0.06  # autocorrelation lags whose overlap is smaller than this fraction are noise
LATTICE_BLUR = 2.0  # px: the band the lattice is read from survives small warps (see EXPERIMENTS.md)
MIN_PEAK = 0.3  # a lattice point's normalised autocorrelation must reach this
MIN_BASIS_PEAK = 0.5  # ... and each of the two basis vectors this
MIN_LATTICE_STRENGTH = 0.6  # ... and the lattice points seen this on average
RELAXED_FROM_PERIODS = 1.6  # views of this many periods or more are held to the relaxed bars:
RELAXED_BASIS_PEAK = 0.35
RELAXED_LATTICE_STRENGTH = 0.45
SEARCH_CANDIDATES = 8  # records confirmed by alignment after the descriptor search
# Chosen on `python -m tests.benchmarks.provenance --photos` (see provenance/EXPERIMENTS.md): the
# confirmed score above which a photo is a probable match of a record.
REPEAT_MATCH_SCORE = 0.84
# Chosen on the bench's calibration split: the style score a probable match must also reach when the
# record keeps its base pattern's cell (outputs of one base pattern score up to 0.18 on training).
REPEAT_STYLE_SCORE = 0.23
# Where the style changed less than this fraction of the record cell's variance, its residual is
# noise: such a record is its base pattern, and the style score cannot and does not apply.
MIN_STYLE_RESIDUAL = 0.02

REPEAT_LATTICES = ("basic", "half_drop", "half_brick", "mirror", "center")
_FORMAT = b"RFP1"
_VERSION_WITH_BASE = 2
_CELL_SCALE = 20.0  # int8 steps per standard deviation: +-6.35 sigma, 1/40 resolution


def repeat_lattice(repeat: str, width: int, height: int) -> FloatArray:
    """The translation basis of the printed plane of a width x height tile (rows are (x, y))."""
    if repeat in ("basic", "center"):  # a centred motif is printed on a plain grid
        return np.array([[width, 0.0], [0.0, height]])
    if repeat == "half_drop":
        return np.array([[width, height / 2], [0.0, height]])
    if repeat == "half_brick":
        return np.array([[width, 0.0], [width / 2, height]])
    if repeat == "mirror":
        return np.array([[2.0 * width, 0.0], [0.0, 2.0 * height]])
    raise ValueError(f"unknown repeat type {repeat!r}; expected one of {', '.join(REPEAT_LATTICES)}")


def fundamental_domain(tile: np.ndarray, repeat: str) -> np.ndarray:
    """Pixels that cover the plane's translation cell exactly once: the tile, or for a mirror
    repeat the tile with its three reflections."""
    if repeat == "mirror":
        top = np.concatenate([tile, tile[:, ::-1]], axis=1)
        return np.concatenate([top, top[::-1]], axis=0)
    return tile


# ---- lattice geometry ---------------------------------------------------------------------------


def reduce_basis(basis: FloatArray) -> FloatArray:
    """Lagrange-Gauss reduction: the two shortest independent vectors of the lattice."""
    u, v = basis[0].astype(np.float64), basis[1].astype(np.float64)
    if u @ u > v @ v:
        u, v = v, u
    for _ in range(64):
        k = round(float(u @ v) / float(u @ u))
        if k == 0:
            break
        v = v - k * u
        if v @ v < u @ u:
            u, v = v, u
        else:
            break
    return np.array([u, v])


def _angle_from(vector: FloatArray, axis: FloatArray) -> float:
    cos = float(vector @ axis) / (float(np.linalg.norm(vector)) + 1e-12)
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def basis_variants(basis: FloatArray, max_angle_deg: float) -> list[FloatArray]:
    """Every near-shortest basis (a, b) of the lattice with a near +x, b near +y (image axes),
    det(a, b) > 0; the first is the most axis-aligned."""
    reduced = reduce_basis(basis)
    v1, v2 = reduced
    area = abs(float(np.linalg.det(reduced)))
    limit = NEAR_SHORTEST * float(np.linalg.norm(v2))
    vectors: list[FloatArray] = []
    for candidate in (v1, v2, v1 + v2, v1 - v2):
        for signed in (candidate, -candidate):
            if np.linalg.norm(signed) <= limit and not any(np.allclose(signed, w) for w in vectors):
                vectors.append(signed)
    found: list[tuple[float, FloatArray]] = []
    x_axis, y_axis = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    for a in vectors:
        for b in vectors:
            det = float(a[0] * b[1] - a[1] * b[0])
            if abs(det - area) > 1e-6 * area:
                continue
            tilt_a, tilt_b = _angle_from(a, x_axis), _angle_from(b, y_axis)
            if tilt_a <= max_angle_deg and tilt_b <= max_angle_deg:
                found.append((tilt_a + tilt_b, np.array([a, b])))
    found.sort(key=lambda item: item[0])
    return [b for _, b in found]


# ---- canonical cells and descriptors ------------------------------------------------------------


def as_channels(rgb: np.ndarray) -> FloatArray:
    array = np.asarray(rgb, dtype=np.float64)
    return array[..., None] if array.ndim == 2 else array[..., :3]


def fold_to_cell(image: FloatArray, basis: FloatArray) -> FloatArray:
    """Average every pixel into the cell bin of its lattice coordinates, then smooth on the torus.

    `image` is (height, width, channels); the cell is (channels, CELL, CELL). Normalised
    convolution (smoothed sums over smoothed counts) fills bins that no pixel hit. Each channel
    is made zero-mean and unit-variance, so a per-channel gain and offset (a colour cast,
    exposure) do not change it, while two outputs of one base pattern in other colours still
    differ in how their channels relate to the layout.
    """
    height, width = image.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    points = np.stack([xs.ravel(), ys.ravel()], axis=1)
    coords = points @ np.linalg.inv(basis)  # p = u*a + v*b  =>  (u, v) = p B^-1
    bins = np.floor((coords - np.floor(coords)) * CELL).astype(np.int64) % CELL
    flat = bins[:, 1] * CELL + bins[:, 0]  # row v, column u
    counts = np.bincount(flat, minlength=CELL * CELL).reshape(CELL, CELL).astype(np.float64)
    counts = ndimage.gaussian_filter(counts, 0.8, mode="wrap")
    channels = []
    for c in range(image.shape[2]):
        sums = np.bincount(flat, weights=image[..., c].ravel(), minlength=CELL * CELL).reshape(CELL, CELL)
        sums = ndimage.gaussian_filter(sums, 0.8, mode="wrap")
        channels.append(_standardise(sums / np.maximum(counts, 1e-9)))
    return np.stack(channels)


def grey_cell(cell: FloatArray) -> FloatArray:
    """The channels' mean, standardised: what the descriptor and the alignment look at."""
    return _standardise(cell.mean(axis=0))


def _standardise(cell: FloatArray) -> FloatArray:
    centred = cell - cell.mean()
    spread = centred.std()
    return centred / spread if spread > 1e-9 else centred


def _descriptor_indices() -> tuple[np.ndarray, np.ndarray]:
    k = DESCRIPTOR_FREQUENCIES
    rows, cols = [], []
    for n in range(0, k + 1):  # half plane: |F(-m,-n)| = |F(m,n)| for a real cell
        for m in range(-k, k + 1):
            if n == 0 and m <= 0:
                continue
            rows.append(n % CELL)
            cols.append(m % CELL)
    return np.array(rows), np.array(cols)


_ROWS, _COLS = _descriptor_indices()
DESCRIPTOR_SIZE = len(_ROWS)


def phase_invariant_descriptor(cell: FloatArray) -> NDArray[np.float32]:
    """Unit vector of square-rooted Fourier magnitudes of the grey cell: a cyclic shift of the
    cell changes only the phases, so this is the same wherever the view started."""
    magnitude = np.abs(np.fft.fft2(grey_cell(cell)))[_ROWS, _COLS]
    compressed = np.sqrt(magnitude)
    norm = float(np.linalg.norm(compressed))
    return (compressed / norm if norm > 0 else compressed).astype(np.float32)


def align(query_cell: FloatArray, stored_cell: FloatArray) -> tuple[float, tuple[int, int]]:
    """Phase correlation of (channels, CELL, CELL) cells: the normalised cross-correlation, over
    all channels together, at the best cyclic shift, and the shift (rows, columns) that moves the
    stored cell onto the query's."""
    spectra = np.fft.fft2(query_cell) * np.conj(np.fft.fft2(stored_cell))
    correlation = np.fft.ifft2(spectra.sum(axis=0)).real / query_cell.size
    row, col = np.unravel_index(int(np.argmax(correlation)), correlation.shape)
    return float(correlation[row, col]), (int(row), int(col))


def style_residual(cell: FloatArray, base_cell: FloatArray) -> FloatArray:
    """What the style changed: each channel of `cell` less its least-squares fit from every
    channel of the base pattern's cell (aligned to it) and a constant."""
    channels = cell.shape[0]
    design = np.concatenate([base_cell.reshape(base_cell.shape[0], -1), np.ones((1, CELL * CELL))]).T
    values = cell.reshape(channels, -1).T
    coefficients, *_ = np.linalg.lstsq(design, values, rcond=None)
    return (values - design @ coefficients).T.reshape(cell.shape)


def style_score(query_cell: FloatArray, stored_cell: FloatArray, base_cell: FloatArray) -> float | None:
    """Correlation of what the style changed in the query and in the record, all three cells
    aligned; None where the record's style changed too little of its cell to tell."""
    stored = style_residual(stored_cell, base_cell)
    stored_energy = float((stored**2).sum())
    if stored_energy < MIN_STYLE_RESIDUAL * float((stored_cell**2).sum()):
        return None
    query = style_residual(query_cell, base_cell)
    query_energy = float((query**2).sum())
    if query_energy <= 1e-12:
        return 0.0
    return float((query * stored).sum() / np.sqrt(query_energy * stored_energy))


# ---- the stored fingerprint ---------------------------------------------------------------------


@dataclass(frozen=True)
class RepeatFingerprint:
    """What a record keeps: per basis variant, its canonical cell (int8) and its descriptor, and
    where the record knows its base pattern, the base pattern's cell on the same basis."""

    repeat: str
    tile_size: tuple[int, int]  # width, height
    cells: tuple[FloatArray, ...]
    descriptors: NDArray[np.float32] = field(repr=False)
    base_cells: tuple[FloatArray, ...] = field(default=(), repr=False)

    def to_bytes(self) -> bytes:
        version = _VERSION_WITH_BASE if self.base_cells else 1
        header = struct.pack(
            "<4sB10sHHBB",
            _FORMAT,
            version,
            self.repeat.encode().ljust(10),
            *self.tile_size,
            len(self.cells),
            self.cells[0].shape[0],
        )
        return (
            header
            + b"".join(_quantise(c) for c in self.cells)
            + self.descriptors.astype(np.float16).tobytes()
            + b"".join(_quantise(c) for c in self.base_cells)
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> RepeatFingerprint:
        head = struct.calcsize("<4sB10sHHBB")
        magic, version, repeat, width, height, count, channels = struct.unpack("<4sB10sHHBB", data[:head])
        if magic != _FORMAT:
            raise ValueError("not a repeat fingerprint")
        size = channels * CELL * CELL

        def cells_at(offset: int) -> tuple[FloatArray, ...]:
            return tuple(
                np.frombuffer(data, np.int8, size, offset + i * size)
                .reshape(channels, CELL, CELL)
                .astype(np.float64)
                / _CELL_SCALE
                for i in range(count)
            )

        descriptors_at = head + count * size
        descriptors = np.frombuffer(data, np.float16, count * DESCRIPTOR_SIZE, descriptors_at)
        base_cells = (
            cells_at(descriptors_at + 2 * count * DESCRIPTOR_SIZE) if version >= _VERSION_WITH_BASE else ()
        )
        return cls(
            repeat.decode().strip(),
            (width, height),
            cells_at(head),
            descriptors.reshape(count, DESCRIPTOR_SIZE).astype(np.float32),
            base_cells,
        )


def _quantise(cell: FloatArray) -> bytes:
    return np.clip(np.rint(cell * _CELL_SCALE), -127, 127).astype(np.int8).tobytes()


def fingerprint_tile(
    tile: Image.Image | np.ndarray, repeat: str, *, base: Image.Image | np.ndarray | None = None
) -> RepeatFingerprint:
    """The record-time fingerprint: the lattice is known exactly from the tile and its repeat.

    `base` is the base pattern the tile was stylized from (same layout, any size): its cells on the
    same bases let the style score tell this output from others of the same base pattern."""
    array = _rgb(tile)
    height, width = array.shape[:2]
    # A print tile can be thousands of pixels; CELL x CELL bins need far fewer.
    array = _even_resize(array, max(1.0, max(height, width) / RECORD_SIDE))
    basis = repeat_lattice(repeat, array.shape[1], array.shape[0])
    domain = as_channels(fundamental_domain(array, repeat))
    variants = basis_variants(basis, RECORD_ANGLE_DEG)
    finer = design_lattice(array, repeat)
    if finer is not None:
        # The design repeats more often than its tile (checks, stripes): a photo will show the
        # finer lattice, and the tile's pixels cover its cell evenly, so fold on that one too.
        variants += basis_variants(finer, RECORD_ANGLE_DEG)
    fingerprint = fingerprint_from_domain(domain, variants, repeat, (width, height))
    if base is None:
        return fingerprint
    base_array = _rgb(base)
    base_array = _even_resize(base_array, max(1.0, max(base_array.shape[:2]) / RECORD_SIDE))
    # The same lattice bases in the base pattern's pixels (its tile may be another size).
    to_base = np.diag([base_array.shape[1] / array.shape[1], base_array.shape[0] / array.shape[0]])
    base_domain = as_channels(fundamental_domain(base_array, repeat))
    base_cells = tuple(fold_to_cell(base_domain, basis @ to_base) for basis in variants)
    return RepeatFingerprint(
        fingerprint.repeat, fingerprint.tile_size, fingerprint.cells, fingerprint.descriptors, base_cells
    )


def _rgb(image: Image.Image | np.ndarray) -> np.ndarray:
    return np.asarray(image.convert("RGB") if isinstance(image, Image.Image) else image)


def fingerprint_from_domain(
    domain: FloatArray, bases: list[FloatArray], repeat: str, tile_size: tuple[int, int]
) -> RepeatFingerprint:
    cells = tuple(fold_to_cell(domain, basis) for basis in bases)
    descriptors = np.stack([phase_invariant_descriptor(c) for c in cells])
    return RepeatFingerprint(repeat, tile_size, cells, descriptors)


def design_lattice(tile: np.ndarray, repeat: str) -> FloatArray | None:
    """The lattice the printed design actually shows, when it is finer than the tile's (in tile
    pixels), estimated as a photo's would be from 2.5 x 2.5 periods of the plane."""
    height, width = tile.shape[:2]
    declared = repeat_lattice(repeat, width, height)
    span = 2.5 * np.abs(declared).max(axis=0)
    shrink = max(1.0, float(span.max()) / (2 * WORK_SIDE))  # the view is analysed at WORK_SIDE anyway
    small = _even_resize(tile, shrink)
    view = plane_view(
        small, repeat, 0, 0, int(span[1] * small.shape[0] / height), int(span[0] * small.shape[1] / width)
    )
    working, scale = _working_image(Image.fromarray(view.astype(np.uint8)))
    estimate = estimate_lattice(working.mean(axis=2))
    if estimate is None:
        return None
    basis = estimate.basis * scale * np.array([width / small.shape[1], height / small.shape[0]])
    declared_area = abs(float(np.linalg.det(declared)))
    ratio = declared_area / abs(float(np.linalg.det(basis)))
    # A true finer lattice divides the tile's cell a whole number of times.
    if ratio < 1.5 or abs(ratio - round(ratio)) > 0.1:
        return None
    return basis


def _even_resize(tile: np.ndarray, shrink: float) -> np.ndarray:
    """The tile shrunk by `shrink` with even sides (a half drop or brick needs a whole half)."""
    if shrink <= 1.0:
        return tile
    height, width = tile.shape[:2]
    size = (max(2, 2 * round(width / shrink / 2)), max(2, 2 * round(height / shrink / 2)))
    return np.asarray(
        Image.fromarray(np.asarray(tile[..., :3], dtype=np.uint8)).resize(size, Image.Resampling.LANCZOS)
    )


# ---- lattice estimation of a query --------------------------------------------------------------


@dataclass(frozen=True)
class LatticeEstimate:
    basis: FloatArray  # rows a, b in the query's own pixels (x, y)
    strength: float  # mean normalised autocorrelation over the lattice points seen
    periods_seen: float  # sqrt(view area / cell area)


def _working_image(image: Image.Image) -> tuple[FloatArray, float]:
    """RGB at WORK_SIDE long side, and the factor from working to original pixels."""
    rgb = image.convert("RGB")
    scale = max(rgb.size) / WORK_SIDE
    if scale > 1:
        rgb = rgb.resize(
            (max(1, round(rgb.width / scale)), max(1, round(rgb.height / scale))), Image.Resampling.LANCZOS
        )
    else:
        scale = 1.0
    return np.asarray(rgb, dtype=np.float64), scale


def normalised_autocorrelation(grey: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Correlation of the image with itself shifted by every lag (dx, dy), normalised by the
    energy of the overlap, so a lag with a small overlap still peaks near 1; and the overlap's
    fraction of the image. Both are fftshifted: lag 0 sits at (height, width)."""
    height, width = grey.shape
    detail = ndimage.gaussian_filter(grey, LATTICE_BLUR) - ndimage.gaussian_filter(
        grey, max(height, width) / 20
    )
    detail -= detail.mean()
    shape = (2 * height, 2 * width)
    spectrum = sfft.rfft2(detail, shape)
    spectrum_sq = sfft.rfft2(detail**2, shape)
    spectrum_mask = sfft.rfft2(np.ones_like(detail), shape)

    def corr(f: np.ndarray, g: np.ndarray) -> FloatArray:  # sum_p f(p) g(p + lag), from spectra
        return np.fft.fftshift(sfft.irfft2(np.conj(f) * g, shape))

    product = corr(spectrum, spectrum)
    energy_a = corr(spectrum_sq, spectrum_mask)
    energy_b = corr(spectrum_mask, spectrum_sq)
    lag_y = np.abs(np.arange(shape[0]) - height)[:, None]
    lag_x = np.abs(np.arange(shape[1]) - width)[None, :]
    overlap = np.clip(height - lag_y, 0, None) * np.clip(width - lag_x, 0, None) / (height * width)
    # An overlap with almost no energy (a flat ground) says nothing: keep it from dividing by ~0.
    floor = max((0.01 * float((detail**2).sum())) ** 2, 1e-12)
    normalised = np.clip(product / np.sqrt(np.maximum(energy_a * energy_b, floor)), -1.0, 1.0)
    normalised[overlap < MIN_OVERLAP] = 0.0
    return normalised, overlap


def _peaks(normalised: FloatArray, centre: tuple[int, int]) -> list[tuple[float, FloatArray]]:
    cy, cx = centre
    # The central lobe: everything connected to lag 0 while the correlation stays high. A design
    # with broad flat grounds can join it to the lattice peaks; then a higher level separates them.
    for level in (MIN_PEAK, 0.5, 0.7, 0.85):
        lobe, _ = ndimage.label(normalised > level)
        central = lobe[cy, cx]
        rows, cols = np.nonzero(lobe == central)
        if np.abs(rows - cy).max() < 0.4 * cy and np.abs(cols - cx).max() < 0.4 * cx:
            break
    local_max = ndimage.maximum_filter(normalised, size=5) == normalised
    ys, xs = np.nonzero(local_max & (normalised > MIN_PEAK) & (lobe != central))
    peaks = []
    for y, x in zip(ys, xs, strict=True):
        dy, dx = y - cy, x - cx
        if dy > 0 or (dy == 0 and dx > 0):  # one of each ± pair
            peaks.append((float(normalised[y, x]), np.array([float(dx), float(dy)])))
    peaks.sort(key=lambda p: -p[0])
    return peaks[:12]


def _lattice_points(
    basis: FloatArray, shape: tuple[int, int], reach: int = 4
) -> list[tuple[int, int, FloatArray]]:
    height, width = shape
    points = []
    for m in range(-reach, reach + 1):
        for n in range(0, reach + 1):
            if n == 0 and m <= 0:
                continue
            lag = m * basis[0] + n * basis[1]
            if abs(lag[0]) < width * (1 - MIN_OVERLAP) and abs(lag[1]) < height * (1 - MIN_OVERLAP):
                points.append((m, n, lag))
    return points


def _sample(normalised: FloatArray, centre: tuple[int, int], lag: FloatArray) -> float:
    y, x = round(centre[0] + lag[1]), round(centre[1] + lag[0])
    if not (1 <= y < normalised.shape[0] - 1 and 1 <= x < normalised.shape[1] - 1):
        return 0.0
    return float(normalised[y - 1 : y + 2, x - 1 : x + 2].max())


def _lattice_score(
    normalised: FloatArray,
    centre: tuple[int, int],
    basis: FloatArray,
    view: tuple[int, int],
    overlap: FloatArray,
) -> float:
    values = []
    for _, _, lag in _lattice_points(basis, view):
        y, x = round(centre[0] + lag[1]), round(centre[1] + lag[0])
        if overlap[y, x] >= MIN_OVERLAP:
            values.append(_sample(normalised, centre, lag))
    return float(np.mean(values)) if len(values) >= 2 else 0.0


def _refine(
    normalised: FloatArray,
    centre: tuple[int, int],
    basis: FloatArray,
    view: tuple[int, int],
    overlap: FloatArray,
) -> FloatArray:
    """Least-squares basis from the sub-pixel peak positions of every lattice point seen."""
    for _ in range(2):
        rows, targets, weights = [], [], []
        for m, n, lag in _lattice_points(basis, view):
            y, x = round(centre[0] + lag[1]), round(centre[1] + lag[0])
            if overlap[y, x] < MIN_OVERLAP or not (
                3 <= y < normalised.shape[0] - 3 and 3 <= x < normalised.shape[1] - 3
            ):
                continue
            window = normalised[y - 2 : y + 3, x - 2 : x + 3]
            iy, ix = np.unravel_index(int(np.argmax(window)), window.shape)
            py, px = y - 2 + iy, x - 2 + ix
            value = normalised[py, px]
            if value < MIN_PEAK or not (
                1 <= py < normalised.shape[0] - 1 and 1 <= px < normalised.shape[1] - 1
            ):
                continue
            sub_x = _parabola(normalised[py, px - 1], value, normalised[py, px + 1])
            sub_y = _parabola(normalised[py - 1, px], value, normalised[py + 1, px])
            rows.append((m, n))
            targets.append((px + sub_x - centre[1], py + sub_y - centre[0]))
            weights.append(value * overlap[py, px])
        if len(rows) < 2:
            break
        a, t, w = np.array(rows, float), np.array(targets), np.sqrt(np.array(weights))
        if np.linalg.matrix_rank(a) < 2:
            break
        basis = np.linalg.lstsq(a * w[:, None], t * w[:, None], rcond=None)[0]
    return basis


def _parabola(left: float, middle: float, right: float) -> float:
    denominator = left - 2 * middle + right
    return 0.0 if abs(denominator) < 1e-12 else float(np.clip(0.5 * (left - right) / denominator, -0.5, 0.5))


def estimate_lattice(grey: FloatArray) -> LatticeEstimate | None:
    """The view's translation lattice, or None where no two independent periods show."""
    height, width = grey.shape
    if min(height, width) < 32:
        return None
    normalised, overlap = normalised_autocorrelation(grey)
    centre = (height, width)
    peaks = _peaks(normalised, centre)
    best: tuple[float, float, FloatArray] | None = None
    candidates = []
    for i, (_, p) in enumerate(peaks):
        for _, q in peaks[i + 1 :]:
            cross = abs(p[0] * q[1] - p[1] * q[0])
            if cross < 0.15 * np.linalg.norm(p) * np.linalg.norm(q):
                continue
            basis = reduce_basis(np.array([p, q]))
            area = abs(float(np.linalg.det(basis)))
            if area < 64:
                continue
            candidates.append(
                (_lattice_score(normalised, centre, basis, (height, width), overlap), area, basis)
            )
    if not candidates:
        return None
    top = max(c[0] for c in candidates)
    # A super-lattice scores like the true one (its points are a subset), so the smallest cell
    # among the near-best wins; a spurious sub-lattice falls between peaks and scores low.
    for score, area, basis in candidates:
        if score >= 0.9 * top and (best is None or area < best[1] * 0.97):
            best = (score, area, basis)
    assert best is not None
    basis = reduce_basis(_refine(normalised, centre, best[2], (height, width), overlap))
    area = abs(float(np.linalg.det(basis)))
    if area < 64:
        return None
    # Both periods must show clearly, and the lattice as a whole: below one period a design's
    # chance resemblances give weak, inconsistent peaks (they claimed 1.0-1.3 periods). A view of
    # two periods or more is not fooled that way, and there a warp (perspective, folds) is what
    # lowers the peaks, so it is held to a lower bar.
    periods = float(np.sqrt(height * width / area))
    relaxed = periods >= RELAXED_FROM_PERIODS
    strength_needed = RELAXED_LATTICE_STRENGTH if relaxed else MIN_LATTICE_STRENGTH
    peak_needed = RELAXED_BASIS_PEAK if relaxed else MIN_BASIS_PEAK
    if best[0] < strength_needed or min(_sample(normalised, centre, v) for v in basis) < peak_needed:
        return None
    return LatticeEstimate(basis=basis, strength=best[0], periods_seen=periods)


# ---- the query ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryFingerprint:
    lattice: LatticeEstimate  # in working pixels
    scale: float  # working pixel -> original pixel
    cells: tuple[FloatArray, ...]
    bases: tuple[FloatArray, ...]
    descriptors: NDArray[np.float32]


def fingerprint_query(image: Image.Image) -> QueryFingerprint | None:
    """None when the view shows no lattice or less than one period: use the perceptual hashes."""
    working, scale = _working_image(image)
    lattice = estimate_lattice(working.mean(axis=2))
    if lattice is None or lattice.periods_seen < 1.0:
        return None
    bases = tuple(basis_variants(lattice.basis, QUERY_ANGLE_DEG))
    if not bases:
        return None
    cells = tuple(fold_to_cell(working, b) for b in bases)
    descriptors = np.stack([phase_invariant_descriptor(c) for c in cells])
    return QueryFingerprint(lattice, scale, cells, bases, descriptors)


@dataclass(frozen=True)
class RepeatMatch:
    key: str
    score: float  # normalised cross-correlation of the aligned cells, in [-1, 1]
    periods_seen: float
    shift: tuple[int, int]  # cell samples (rows, columns) that align the record's cell to the query's
    query_variant: int
    record_variant: int
    # What the style changed, correlated at that alignment; None where the record keeps no base
    # pattern cell or its style changed too little to tell.
    style_score: float | None = None

    @property
    def probable(self) -> bool:
        """A probable match: the aligned cells agree, and so does what the style changed."""
        return self.score >= REPEAT_MATCH_SCORE and (
            self.style_score is None or self.style_score >= REPEAT_STYLE_SCORE
        )


def confirm(query: QueryFingerprint, key: str, stored: RepeatFingerprint) -> RepeatMatch:
    """Best alignment over every pair of (query basis, record basis), with its style score."""
    best: RepeatMatch | None = None
    for qi, query_cell in enumerate(query.cells):
        for ri, stored_cell in enumerate(stored.cells):
            score, shift = align(query_cell, stored_cell)
            if best is None or score > best.score:
                best = RepeatMatch(key, score, query.lattice.periods_seen, shift, qi, ri)
    assert best is not None
    if not stored.base_cells:
        return best
    rolled = [
        np.roll(c[best.record_variant], best.shift, axis=(1, 2)) for c in (stored.cells, stored.base_cells)
    ]
    return replace(best, style_score=style_score(query.cells[best.query_variant], *rolled))


class RepeatIndex:
    """Exhaustive descriptor search, then alignment of the best few.

    One matrix product over every stored basis variant: at 10 000 records that is about
    2.5 M multiply-adds, cheaper than any ANN index would make it (see EXPERIMENTS.md)."""

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._fingerprints: dict[str, RepeatFingerprint] = {}
        self._rows: list[NDArray[np.float32]] = []
        self._owner: list[int] = []
        self._matrix: NDArray[np.float32] | None = None

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: str, fingerprint: RepeatFingerprint) -> None:
        index = len(self._keys)
        self._keys.append(key)
        self._fingerprints[key] = fingerprint
        for row in fingerprint.descriptors:
            self._rows.append(row.astype(np.float32))
            self._owner.append(index)
        self._matrix = None

    def nearest_by_descriptor(self, query: QueryFingerprint, count: int = SEARCH_CANDIDATES) -> list[str]:
        if not self._keys:
            return []
        if self._matrix is None:
            self._matrix = np.stack(self._rows)
        similarity = (query.descriptors @ self._matrix.T).max(axis=0)
        per_record = np.full(len(self._keys), -np.inf, dtype=np.float32)
        np.maximum.at(per_record, np.array(self._owner), similarity)
        order = np.argsort(-per_record)[:count]
        return [self._keys[i] for i in order]

    def search(self, query: QueryFingerprint, count: int = SEARCH_CANDIDATES) -> list[RepeatMatch]:
        """The confirmed candidates, probable matches first, then best score first."""
        matches = [
            confirm(query, key, self._fingerprints[key]) for key in self.nearest_by_descriptor(query, count)
        ]
        return sorted(matches, key=lambda m: (not m.probable, -m.score))
