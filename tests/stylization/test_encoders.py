"""The packaged EfficientNet-Lite0 encoder: the ImageNet network it claims to be, and repeat-exact features."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from skimage import data

from stylization.engine import Engine, StyleParams, generate_pattern, seam_ratio
from stylization.engine.encoders import (
    EFFICIENTNET_LITE_WEIGHTS,
    EfficientNetLiteEncoder,
    build_encoder,
    encoder_identity,
    packaged_weights_path,
)
from stylization.engine.errors import EngineError
from stylization.engine.metrics import interior_cut_ratio
from stylization.engine.repeat import REPEAT_TYPES, plane_window
from stylization.engine.transfer import (
    Job,
    LossWeights,
    encoded_period,
    gram,
    style_loss,
    tile_windows,
    window_content_features,
    windowed_gradient,
)


@pytest.fixture(scope="module")
def lite0() -> EfficientNetLiteEncoder:
    torch.set_num_threads(1)
    return EfficientNetLiteEncoder("efficientnet_lite0")


def _photo(name: str) -> torch.Tensor:
    image = torch.from_numpy(getattr(data, name)().copy()).permute(2, 0, 1)[None].float() / 255.0
    return F.interpolate(image, size=(224, 224), mode="bilinear", antialias=True, align_corners=False)


@pytest.mark.parametrize(("photo", "label", "probability"), [("chelsea", 285, 0.78), ("coffee", 967, 0.84)])
def test_the_packaged_weights_are_imagenets_efficientnet_lite0(lite0, photo, label, probability):
    # 285 "Egyptian cat", 967 "espresso": the network's own head on scikit-image's bundled photos.
    with torch.no_grad():
        p = lite0.classify(_photo(photo)).softmax(-1)[0]
    assert int(p.argmax()) == label
    assert float(p[label]) == pytest.approx(probability, abs=0.08)


def test_a_weights_file_with_another_digest_is_refused(tmp_path):
    copy = tmp_path / EFFICIENTNET_LITE_WEIGHTS["efficientnet_lite0"][1]
    data_bytes = bytearray(packaged_weights_path("efficientnet_lite0").read_bytes())
    data_bytes[-1] ^= 1
    copy.write_bytes(bytes(data_bytes))
    with pytest.raises(EngineError, match="refusing"):
        EfficientNetLiteEncoder("efficientnet_lite0", copy)


def test_auto_picks_efficientnet_lite0_without_vgg19_weights(tmp_path):
    absent = str(tmp_path / "vgg19-dcbb9e9d.pth")
    digest = EFFICIENTNET_LITE_WEIGHTS["efficientnet_lite0"][2]
    assert encoder_identity("auto", absent) == ("efficientnet_lite0", digest)
    assert build_encoder("auto", absent).weights_sha256 == digest
    assert encoder_identity("random")[0] == "random"


@pytest.mark.parametrize("repeat", ["basic", "half_drop", "half_brick", "mirror"])
def test_lite0_features_of_a_tile_are_those_of_its_printed_plane(lite0, repeat):
    # Encoding the tile with the repeat's padding gives what encoding the plane around it gives:
    # the tile's edge is like any other place in the print. The window's own edge lies in the halo.
    # A mirror tile is read as its 2x2 block of flips, the plane's period.
    torch.manual_seed(1)
    tile = torch.rand(1, 3, 64, 96)
    halo = lite0.halo
    height, width = encoded_period(lite0, repeat, 64, 96)
    plane = plane_window(tile, repeat, -halo, -halo, height + 2 * halo, width + 2 * halo)
    with torch.no_grad():
        features, content = lite0.encode(tile, repeat)
        plane_features, plane_content = lite0.encode(plane, "center")
    for f, g in zip([*features, content], [*plane_features, plane_content], strict=True):
        stride = round(plane.shape[-1] / g.shape[-1])
        core = g[
            ..., halo // stride : halo // stride + f.shape[-2], halo // stride : halo // stride + f.shape[-1]
        ]
        assert float((core - f).abs().max()) < 1e-4 * max(float(f.abs().max()), 1.0)


@pytest.mark.parametrize("repeat", REPEAT_TYPES)
def test_lite0_windowed_gradient_is_the_whole_tiles_gradient(lite0, repeat):
    torch.manual_seed(0)
    x, content = torch.rand(1, 3, 96, 160), torch.rand(1, 3, 96, 160)
    targets = [gram(f) * 1.5 for f in lite0.encode(torch.rand(1, 3, 64, 64), "center")[0]]
    weights = LossWeights.for_strength(0.7, lite0.loss_settings)
    whole = x.clone().requires_grad_(True)
    style_features, features = lite0.encode(whole, repeat)
    content_features = lite0.encode(content, repeat)[1]
    loss = (
        weights.style * style_loss(style_features, targets)
        + weights.content * (features - content_features).pow(2).mean() / content_features.pow(2).mean()
    )
    loss.backward()
    windows = tile_windows(*encoded_period(lite0, repeat, 96, 160), 64, lite0.size_multiple)
    assert len(windows) > 1
    cores, scale = window_content_features(lite0, content, repeat, windows)
    gradient, value = windowed_gradient(
        x,
        cores,
        scale,
        targets,
        encoder=lite0,
        repeat=repeat,
        weights=weights,
        windows=windows,
        job=Job(1, None, None),
    )
    assert value == pytest.approx(loss.item(), rel=1e-4)
    assert float((gradient - whole.grad).norm() / whole.grad.norm()) < 1e-4


@pytest.fixture(scope="module")
def lite0_engine(lite0) -> Engine:
    engine = Engine(device="cpu", encoder="random")
    engine.encoder = lite0.to(memory_format=torch.channels_last)
    engine.encoder_name, engine.weights_sha256 = lite0.name, lite0.weights_sha256
    return engine


@pytest.mark.parametrize("repeat", ["basic", "half_drop", "half_brick", "mirror"])
def test_lite0_stylized_tiles_are_as_smooth_across_their_edge_as_inside(
    lite0_engine, repeat, style_image, short_schedule
):
    ours, interior = [], []
    for seed in range(2):
        base = generate_pattern(repeat, size=96, seed=seed, kind="ditsy")
        tile = lite0_engine.preview(
            base, style_image, repeat=repeat, params=StyleParams(strength=0.9, seed=seed), long_side=96
        ).image
        ours.append(seam_ratio(tile, repeat))
        interior.append(1.0 if repeat == "mirror" else interior_cut_ratio(tile, repeat))
    assert np.mean(ours) <= 1.10 * np.mean(interior), (ours, interior)
