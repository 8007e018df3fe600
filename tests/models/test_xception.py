"""Depthwise-separable convolutions and the xception family."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from dlbox.layers import SeparableConv2d
from dlbox.models import create_model
from dlbox.models.xception import XceptionBlock


def _numel(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize(("d_in", "d_out", "k"), [(3, 8, 3), (16, 32, 3), (8, 4, 5), (1, 1, 1)])
def test_separable_param_count(d_in, d_out, k):
    sep = SeparableConv2d(d_in, d_out, k, bias=False)
    assert _numel(sep) == k * k * d_in + d_in * d_out
    full = nn.Conv2d(d_in, d_out, k, bias=False)
    assert _numel(full) == k * k * d_in * d_out
    with_bias = SeparableConv2d(d_in, d_out, k, bias=True)
    assert _numel(with_bias) == k * k * d_in + d_in * d_out + d_in + d_out


def test_separable_equals_composed_full_convolution():
    torch.manual_seed(0)
    sep = SeparableConv2d(3, 5, 3, padding="same", bias=False)
    # W[o, i] = P[o, i] * D[i]: a rank-constrained standard convolution
    depth = sep.depthwise.weight[:, 0]  # (D_in, k, k)
    point = sep.pointwise.weight[:, :, 0, 0]  # (D_out, D_in)
    weight = point[:, :, None, None] * depth[None]
    x = torch.rand(2, 3, 7, 7)
    assert torch.allclose(sep(x), F.conv2d(x, weight, padding=1), atol=1e-5)
    assert sep.depthwise.groups == 3


@pytest.mark.parametrize(("stride", "padding", "dilation"), [(1, "same", 1), (2, "same", 1), (1, "valid", 1), (1, "same", 2)])
def test_separable_output_shape(stride, padding, dilation):
    sep = SeparableConv2d(4, 6, 3, stride=stride, padding=padding, dilation=dilation)
    out = sep(torch.rand(1, 4, 11, 11))
    p = dilation if padding == "same" else 0
    side = (11 + 2 * p - dilation * 2 - 1) // stride + 1
    assert out.shape == (1, 6, side, side)


def test_block_shortcuts():
    down = XceptionBlock(8, 16, downsample=True)
    assert down.shortcut.conv.stride == (2, 2)
    assert down(torch.rand(2, 8, 7, 7)).shape == (2, 16, 4, 4)
    same = XceptionBlock(16, 16, reps=3, downsample=False).eval()
    assert isinstance(same.shortcut, nn.Identity)
    # zero the last BN of the branch: the block must then return its input (identity residual)
    with torch.no_grad():
        same.branch.unit3.bn.weight.zero_()
        same.branch.unit3.bn.bias.zero_()
        x = torch.randn(2, 16, 5, 5)
        assert torch.allclose(same(x), x)


def test_xception_model_structure():
    model = create_model("xception", in_channels=3, image_size=32, num_classes=4, entry_channels=(16, 24), middle_blocks=3, stem_channels=8, exit_channels=32)
    model.eval()
    with torch.no_grad():
        assert model.features(torch.rand(1, 3, 32, 32)).shape == (1, 32, 8, 8)
    names = dict(model.named_modules())
    for n in ("features.stem", "features.entry1", "features.entry2", "features.middle3", "features.exit.sep", "head.fc"):
        assert n in names
    assert "features.middle4" not in names
    depthwise = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.groups > 1 and m.groups == m.in_channels]
    assert len(depthwise) == 2 * 2 + 3 * 3 + 1  # entry reps + middle reps + exit
    residual = [m for m in model.modules() if isinstance(m, XceptionBlock)]
    assert len(residual) == 5
    assert model(torch.rand(2, 3, 32, 32)).shape == (2, 4)
