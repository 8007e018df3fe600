"""DeepDream: the target rises, the output has the input's size, octaves work on any size."""

import pytest
import torch

from dlbox.dream.deepdream import DreamConfig, deep_dream, octave_sizes, resolve_class
from dlbox.features import load_network
from dlbox.optimize_input import OptimizeConfig


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    n = load_network("cnn", model_args={"in_channels": 3, "num_classes": 3, "image_size": 16, "channels": [6, 8], "convs_per_stage": 1})
    n.class_names = ["circle", "square", "triangle"]
    return n


def cfg(**kw):
    return DreamConfig(optimize=OptimizeConfig(steps=5, optimizer="sgd", lr=0.02, jitter=2, progress=False), **kw)


def image(h, w, seed=0):
    return torch.rand(3, h, w, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("hw", [(37, 23), (16, 16), (5, 7), (64, 41)])
def test_output_has_the_input_size_for_any_size(net, hw):
    res = deep_dream(net, image(*hw), cfg(layers=["features.stage2"], octaves=3, octave_scale=1.4))
    assert res.image.shape == (3, *hw)
    assert 0 <= res.image.min() and res.image.max() <= 1
    assert res.after > res.before


def test_octave_pyramid():
    assert octave_sizes(100, 60, 4, 2.0, 8) == [(100, 60), (50, 30), (25, 15), (12, 8)]
    assert octave_sizes(20, 20, 4, 2.0, 8) == [(20, 20), (10, 10)]  # smaller octaves than the network accepts are dropped
    with pytest.raises(ValueError, match="greater than 1"):
        octave_sizes(10, 10, 2, 1.0, 1)


def test_targets_channel_neuron_class_rise(net):
    x = image(24, 24, 1)
    for kw in ({"target": "channel", "channel": 3}, {"target": "neuron", "channel": 2, "layers": ["features.stage1.conv1.bn"]},
               {"target": "class", "class_": "triangle"}):
        res = deep_dream(net, x, cfg(**kw))
        assert res.after > res.before, kw


def test_guide_image_amplifies_its_features(net):
    res = deep_dream(net, image(20, 20, 2), cfg(layers=["features.stage1"]), guide=image(16, 16, 3))
    assert res.after > res.before and res.image.shape == (3, 20, 20)


def test_bad_targets_are_clear_errors(net):
    with pytest.raises(ValueError, match="out of range: the model has 3 classes, 0-2 .circle, square, triangle"):
        resolve_class(net, 3)
    with pytest.raises(ValueError, match="not one of the model's classes; valid: circle, square, triangle"):
        resolve_class(net, "hexagon")
    assert resolve_class(net, "square") == 1
    with pytest.raises(ValueError, match="layer features.stage2 has 8 channels"):
        deep_dream(net, image(16, 16), cfg(layers=["features.stage2"], target="channel", channel=8))
    with pytest.raises(KeyError, match="valid layers"):
        deep_dream(net, image(16, 16), cfg(layers=["features.stage7"]))


def test_on_octave_reports_each_octave_smallest_first(net):
    seen = []
    res = deep_dream(net, image(40, 30), cfg(layers=["features.stage2"], octaves=3, octave_scale=1.4), on_octave=seen.append)
    assert [d.index for d in seen] == [0, 1, 2] and all(d.count == 3 for d in seen)
    assert [list(d.size) for d in seen] == [list(s) for s in reversed(res.octave_sizes)]
    assert all(d.steps == 5 and d.seconds >= 0 for d in seen)
    finals = [row["objective"] for row in res.history if row["step"] == 5]  # each octave's last logged objective
    assert [d.objective for d in seen] == pytest.approx(finals)
