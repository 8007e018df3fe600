"""VGG-style cnn: padding, stride, pooling, dilation and the flatten head."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from dlbox.layers import ConvBlock, resolve_padding
from dlbox.models import create_model


def _out(n, k, s, p, d=1):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _feature_hw(model, c, h, w):
    model.eval()
    with torch.no_grad():
        return tuple(model.features(torch.zeros(1, c, h, w)).shape[1:])


@pytest.mark.parametrize(("padding", "kernel"), [("same", 3), ("same", 5), ("valid", 3), ("valid", 5), (1, 3)])
def test_padding_output_shapes(padding, kernel):
    model = create_model(
        "cnn", in_channels=1, image_size=(21, 24), channels=(4, 6), convs_per_stage=2, kernel=kernel, padding=padding, pool="none"
    )
    p = {"same": (kernel - 1) // 2, "valid": 0}.get(padding, padding)
    h, w = 21, 24
    for _ in range(4):  # 2 stages x 2 convs
        h, w = _out(h, kernel, 1, p), _out(w, kernel, 1, p)
    assert _feature_hw(model, 1, 21, 24) == (6, h, w)
    if padding == "same":
        assert (h, w) == (21, 24)


@pytest.mark.parametrize("stride", [1, 2, 3])
def test_stride_applies_to_first_conv_of_each_stage(stride):
    model = create_model("cnn", in_channels=3, image_size=32, channels=(4, 8), stride=stride, pool="max")
    h = 32
    for _ in range(2):
        h = _out(h, 3, stride, 1)  # first conv strided, 'same' padding 1
        h = _out(h, 3, 1, 1)
        h //= 2  # pool
    assert _feature_hw(model, 3, 32, 32) == (8, h, h)
    stage = model.features.stage1
    assert stage.conv1.conv.stride == (stride, stride) and stage.conv2.conv.stride == (1, 1)


def _pool_io(model, x):
    seen = {}
    pool = model.features.stage1.pool
    handle = pool.register_forward_hook(lambda m, i, o: seen.update(inp=i[0], out=o))
    model.eval()
    with torch.no_grad():
        model(x)
    handle.remove()
    return pool, seen["inp"], seen["out"]


def test_max_vs_mean_pooling():
    x = torch.rand(2, 1, 8, 8)
    torch.manual_seed(0)
    mx = create_model("cnn", channels=(4,), pool="max")
    torch.manual_seed(0)
    mean = create_model("cnn", channels=(4,), pool="mean")
    pool, inp, out = _pool_io(mx, x)
    assert isinstance(pool, nn.MaxPool2d) and torch.equal(out, F.max_pool2d(inp, 2))
    pool, inp2, out2 = _pool_io(mean, x)
    assert isinstance(pool, nn.AvgPool2d) and torch.allclose(out2, F.avg_pool2d(inp2, 2))
    assert torch.equal(inp, inp2)  # same weights: only the pooling differs
    assert not torch.allclose(out, out2)
    none = create_model("cnn", channels=(4,), pool="none")
    assert "features.stage1.pool" not in dict(none.named_modules())
    with pytest.raises(ValueError, match="pool"):
        create_model("cnn", pool="median")


def _receptive_field(model, size=33):
    """Side of the input region that influences the centre output pixel (measured by autograd)."""
    x = torch.zeros(1, 1, size, size, requires_grad=True)
    out = model.features(x)
    out[0, :, out.shape[2] // 2, out.shape[3] // 2].sum().backward()
    rows = torch.nonzero(x.grad[0, 0].abs().sum(1)).flatten()
    return int(rows.max() - rows.min() + 1)


@pytest.mark.parametrize("dilation", [2, 3])
def test_dilation_grows_receptive_field_not_params(dilation):
    kw = dict(in_channels=1, image_size=33, channels=(3, 3), convs_per_stage=2, pool="none", batch_norm=False, activation="identity")
    torch.manual_seed(0)
    base = create_model("cnn", **kw)
    torch.manual_seed(0)
    dil = create_model("cnn", dilation=dilation, **kw)
    assert sum(p.numel() for p in base.parameters()) == sum(p.numel() for p in dil.parameters())
    # four 3x3 convs: RF = 1 + 4 * d * (3 - 1)
    assert _receptive_field(base) == 1 + 4 * 2
    assert _receptive_field(dil) == 1 + 4 * 2 * dilation
    assert _feature_hw(dil, 1, 33, 33) == (3, 33, 33)  # 'same' padding accounts for dilation


def test_dilation_per_stage():
    model = create_model("cnn", channels=(4, 4), dilation=[1, 2], pool="none")
    assert model.features.stage1.conv1.conv.dilation == (1, 1)
    assert model.features.stage2.conv2.conv.dilation == (2, 2)
    with pytest.raises(ValueError, match="dilation"):
        create_model("cnn", channels=(4, 4), dilation=[1, 2, 3])


def test_resolve_padding():
    assert resolve_padding("same", 3) == 1 and resolve_padding("same", 3, dilation=2) == 2
    assert resolve_padding("valid", 5) == 0 and resolve_padding(2, 5) == 2
    with pytest.raises(ValueError):
        resolve_padding("same", 4)
    with pytest.raises(ValueError):
        resolve_padding("full", 3)


@pytest.mark.parametrize("hidden", [[], [16], [16, 12]])
def test_flatten_head_in_features_is_c_h_w(hidden):
    model = create_model(
        "cnn", in_channels=3, image_size=(12, 20), num_classes=5, channels=(4, 6), head_pool="flatten", hidden=hidden, dropout=0.1
    )
    c, h, w = _feature_hw(model, 3, 12, 20)
    assert (c, h, w) == (6, 3, 5)
    modules = dict(model.named_modules())
    first = modules["head.fc1"] if hidden else modules["head.fc"]
    assert first.in_features == c * h * w
    assert isinstance(modules["head.flatten"], nn.Flatten) and "head.pool" not in modules
    for i, width in enumerate(hidden, start=1):
        assert modules[f"head.fc{i}"].out_features == width
        assert isinstance(modules[f"head.act{i}"], nn.ReLU)
    assert modules["head.fc"].out_features == 5
    assert model(torch.rand(2, 3, 12, 20)).shape == (2, 5)


def test_avg_head_in_features_is_channels():
    model = create_model("cnn", in_channels=1, image_size=8, channels=(4, 7), head_pool="avg")
    modules = dict(model.named_modules())
    assert isinstance(modules["head.pool"], nn.AdaptiveAvgPool2d)
    assert modules["head.fc"].in_features == 7
    assert model(torch.rand(2, 1, 16, 16)).shape == (2, 10)  # global pooling takes any size


def test_stable_layer_names():
    names = dict(create_model("cnn", channels=(4, 8)).named_modules())
    for n in ("features.stage1.conv1.conv", "features.stage1.conv1.bn", "features.stage1.conv1.act",
              "features.stage2.conv2.conv", "features.stage2.pool", "head.fc"):
        assert n in names
    no_bn = dict(create_model("cnn", channels=(4,), batch_norm=False).named_modules())
    assert "features.stage1.conv1.bn" not in no_bn
    assert no_bn["features.stage1.conv1.conv"].bias is not None


def test_conv_block_params():
    block = ConvBlock(3, 8, kernel=3)
    assert block.conv.bias is None  # bias is redundant before batch norm
    assert sum(p.numel() for p in block.parameters()) == 3 * 3 * 3 * 8 + 2 * 8


def test_too_small_image_is_a_clear_value_error():
    with pytest.raises(ValueError, match="image_size"):
        create_model("cnn", image_size=4, channels=(8, 8, 8))
