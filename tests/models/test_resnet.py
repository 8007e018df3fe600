"""Residual blocks (sum / concat merge, identity shortcut) and the resnet family (dilation per stage)."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from dlbox.layers import ResidualBlock
from dlbox.models import create_model


def _features_shape(model, c, s):
    model.eval()
    with torch.no_grad():
        return tuple(model.features(torch.rand(1, c, s, s)).shape[1:])


@pytest.mark.parametrize("merge", ["sum", "concat"])
@pytest.mark.parametrize(("c_in", "c_out", "stride"), [(8, 8, 1), (8, 16, 2), (6, 10, 1)])
def test_merge_output_shapes(merge, c_in, c_out, stride):
    block = ResidualBlock(c_in, c_out, stride=stride, merge=merge).eval()
    out = block(torch.rand(2, c_in, 9, 9))
    side = (9 - 1) // stride + 1
    assert out.shape == (2, c_out, side, side)


def test_concat_splits_channels_between_branch_and_shortcut():
    block = ResidualBlock(8, 16, stride=2, merge="concat")
    assert block.branch.conv2.out_channels == 8
    assert block.shortcut.conv.out_channels == 8
    block = ResidualBlock(8, 8, merge="concat")
    assert not isinstance(block.shortcut, nn.Identity)  # concat always needs a projected half


def test_concat_is_concatenation_of_branch_and_shortcut():
    block = ResidualBlock(4, 8, merge="concat", activation="identity").eval()
    x = torch.rand(2, 4, 6, 6)
    with torch.no_grad():
        expected = torch.cat([block.branch(x), block.shortcut(x)], dim=1)
        assert torch.allclose(block(x), expected)


def test_identity_shortcut_when_shapes_match():
    block = ResidualBlock(8, 8, stride=1, merge="sum").eval()
    assert isinstance(block.shortcut, nn.Identity)
    assert not any(isinstance(m, nn.Conv2d) and m.kernel_size == (1, 1) for m in block.modules())
    # Silence the residual branch: the block must then be act(x), i.e. the input passes unchanged.
    with torch.no_grad():
        block.branch.bn2.weight.zero_()
        block.branch.bn2.bias.zero_()
        x = torch.randn(2, 8, 5, 5)
        assert torch.allclose(block(x), torch.relu(x))


@pytest.mark.parametrize(("c_in", "c_out", "stride"), [(8, 16, 1), (8, 8, 2)])
def test_projection_shortcut_when_shapes_change(c_in, c_out, stride):
    block = ResidualBlock(c_in, c_out, stride=stride)
    assert isinstance(block.shortcut.conv, nn.Conv2d)
    assert block.shortcut.conv.kernel_size == (1, 1) and block.shortcut.conv.stride == (stride, stride)


def test_block_validation():
    with pytest.raises(ValueError, match="merge"):
        ResidualBlock(4, 4, merge="product")
    with pytest.raises(ValueError, match="even"):
        ResidualBlock(4, 5, merge="concat")


def test_resnet_stages_halve_resolution():
    model = create_model("resnet", in_channels=3, image_size=32, widths=(8, 16, 32), layers=(1, 2, 1))
    assert _features_shape(model, 3, 32) == (32, 8, 8)
    names = dict(model.named_modules())
    assert "features.stem.conv" in names and "features.stage2.block2.branch.conv1.conv" in names
    assert "features.stage3.block1" in names and "features.stage3.block2" not in names


@pytest.mark.parametrize("merge", ["sum", "concat"])
def test_resnet_merge_variants_run(merge):
    model = create_model("resnet", in_channels=1, image_size=8, widths=(8, 16), layers=(1, 1), merge=merge, num_classes=4)
    assert model(torch.rand(2, 1, 8, 8)).shape == (2, 4)
    assert _features_shape(model, 1, 8) == (16, 4, 4)


def test_dilation_per_stage_keeps_resolution():
    kw = dict(in_channels=1, image_size=16, widths=(4, 8, 16), layers=(1, 1, 1))
    plain = create_model("resnet", **kw)
    dilated = create_model("resnet", dilation=(1, 2, 4), **kw)
    assert _features_shape(plain, 1, 16) == (16, 4, 4)
    assert _features_shape(dilated, 1, 16) == (16, 16, 16)
    partly = create_model("resnet", dilation=(1, 1, 2), **kw)
    assert _features_shape(partly, 1, 16) == (16, 8, 8)  # stage2 strides, stage3 keeps stage2's size
    assert dilated.features.stage3.block1.branch.conv1.conv.dilation == (4, 4)
    # same parameters (every stage changes width, so both use projection shortcuts):
    # dilation changes the sampling, not the kernels
    assert sum(p.numel() for p in plain.parameters()) == sum(p.numel() for p in dilated.parameters())


def test_resnet_validation():
    with pytest.raises(ValueError, match="widths"):
        create_model("resnet", layers=(1, 1), widths=(8,))
    with pytest.raises(ValueError, match="dilation"):
        create_model("resnet", layers=(1, 1), widths=(8, 8), dilation=(1, 2, 3))


def test_resnet18_layout():
    model = create_model("resnet18", in_channels=3, num_classes=7)
    blocks = [n for n, m in model.named_modules() if isinstance(m, ResidualBlock)]
    assert len(blocks) == 8
    assert model.head.fc.in_features == 512 and model.head.fc.out_features == 7
