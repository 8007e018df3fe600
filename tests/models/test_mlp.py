"""mlp: depth, width, activation, dropout."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from dlbox.layers import ACTIVATIONS
from dlbox.models import create_model


@pytest.mark.parametrize(("depth", "width"), [(1, 4), (3, 16)])
def test_depth_width_and_param_count(depth, width):
    model = create_model("mlp", in_channels=3, image_size=(4, 6), num_classes=5, depth=depth, width=width, dropout=0.0)
    linears = [m for m in model.features.modules() if isinstance(m, nn.Linear)]
    assert len(linears) == depth
    assert linears[0].in_features == 3 * 4 * 6
    assert all(m.out_features == width for m in linears)
    fan_ins = [3 * 4 * 6] + [width] * (depth - 1)
    expected = sum(f * width + width for f in fan_ins) + width * 5 + 5
    assert sum(p.numel() for p in model.parameters()) == expected
    assert model(torch.rand(2, 3, 4, 6)).shape == (2, 5)


@pytest.mark.parametrize("activation", ["tanh", "gelu", "sigmoid"])
def test_activation(activation):
    model = create_model("mlp", depth=2, width=8, activation=activation)
    acts = [model.features.act1, model.features.act2]
    assert all(isinstance(a, ACTIVATIONS[activation]) for a in acts)


def test_unknown_activation_lists_valid():
    with pytest.raises(ValueError) as exc:
        create_model("mlp", activation="swishy")
    for name in ACTIVATIONS:
        assert name in str(exc.value)


def test_dropout():
    none = create_model("mlp", depth=2, width=8, dropout=0.0)
    assert not any(isinstance(m, nn.Dropout) for m in none.modules())
    some = create_model("mlp", depth=2, width=8, dropout=0.5)
    drops = [m for m in some.modules() if isinstance(m, nn.Dropout)]
    assert len(drops) == 2 and all(d.p == 0.5 for d in drops)
    x = torch.rand(4, 1, 8, 8)
    some.train()
    assert not torch.equal(some(x), some(x))  # stochastic in training
    some.eval()
    assert torch.equal(some(x), some(x))


def test_layer_names():
    names = dict(create_model("mlp", depth=2, width=8).named_modules())
    for n in ("features.flatten", "features.fc1", "features.act1", "features.fc2", "head.fc"):
        assert n in names


@pytest.mark.parametrize("kw", [dict(depth=0), dict(width=0)])
def test_invalid_sizes(kw):
    with pytest.raises(ValueError):
        create_model("mlp", **kw)
