"""Image ascent (the notes' five steps) and feature inversion (the generative approach)."""

import pytest
import torch

from dlbox.features import load_network
from dlbox.optimize_input import OptimizeConfig
from dlbox.visualize.ascent import image_ascent, parse_indices, unit_scores
from dlbox.visualize.inversion import invert, relative_error


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return load_network("cnn", model_args={"in_channels": 1, "num_classes": 3, "image_size": 12, "channels": [6, 8], "convs_per_stage": 1})


def test_parse_indices():
    assert parse_indices("0-3", 8) == [0, 1, 2, 3]
    assert parse_indices("5,1-2,5", 8) == [5, 1, 2]
    assert parse_indices(None, 40) == list(range(16)) and parse_indices("all", 5) == list(range(5))
    with pytest.raises(ValueError, match="out of range: this layer has 8 channels"):
        parse_indices("0-8", 8)
    with pytest.raises(ValueError, match="like 0-15"):
        parse_indices("a-b", 8)


def test_unit_scores_per_target():
    act = torch.arange(2 * 3 * 3 * 3.0).view(2, 3, 3, 3)
    torch.testing.assert_close(unit_scores(act, "channel"), act.mean(dim=(2, 3)))
    torch.testing.assert_close(unit_scores(act, "neuron"), act[:, :, 1, 1])
    torch.testing.assert_close(unit_scores(act, "layer")[:, 0], act.flatten(1).mean(1))
    dense = torch.rand(2, 5)
    assert torch.equal(unit_scores(dense, "channel"), dense)


@pytest.mark.parametrize("target", ["channel", "neuron"])
def test_ascent_raises_every_channel_above_the_validation_images(net, target):
    val = torch.rand(64, 1, 12, 12, generator=torch.Generator().manual_seed(3))
    layer = "features.stage2.conv1" if target == "channel" else "features.stage2.conv1.bn"  # a neuron: pre-activation
    res = image_ascent(net, layer, [0, 1, 2, 3, 4, 5], target, OptimizeConfig(steps=60, lr=0.05, progress=False), val_images=val)
    assert res.images.shape == (6, 1, 12, 12) and 0 <= res.images.min() and res.images.max() <= 1
    rose = [r > s for r, s in zip(res.reached, res.start)]
    assert sum(rose) >= 5, (res.start, res.reached)
    assert sum(res.beats_validation) >= 5, (res.reached, res.val_max)
    assert res.val_images.shape == (6, 1, 12, 12)


def test_ascent_of_a_whole_layer_and_of_a_dense_unit(net):
    res = image_ascent(net, "features.stage1", None, "layer", OptimizeConfig(steps=30, progress=False))
    assert res.units == [0] and res.reached[0] > res.start[0]
    res = image_ascent(net, "logits", [2], "channel", OptimizeConfig(steps=30, progress=False))
    assert res.reached[0] > res.start[0]


def test_inversion_error_falls_as_iterations_grow(net):
    image = torch.rand(1, 12, 12, generator=torch.Generator().manual_seed(5))
    short = invert(net, image, ["features.stage1.conv1"], OptimizeConfig(steps=10, lr=0.05, progress=False))[0]
    long = invert(net, image, ["features.stage1.conv1"], OptimizeConfig(steps=80, lr=0.05, progress=False, log_every=10))[0]
    assert long.feature_error < short.feature_error < short.start_error
    curve = [e for _, e in long.curve]
    assert curve[-1] < 0.5 * curve[0] and curve[-1] == pytest.approx(long.feature_error, rel=1e-4)
    assert long.image.shape == image.shape


def test_relative_error():
    t = torch.tensor([3.0, 4.0])
    assert float(relative_error(t, t)) == 0
    assert float(relative_error(torch.zeros(2), t)) == pytest.approx(1.0)
