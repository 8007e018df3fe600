"""Transposed convolutions initialised to bilinear upsampling (notes 3.11.1)."""

import pytest
import torch
import torch.nn.functional as F

from dlbox.layers.bilinear import BilinearUpsample, bilinear_kernel, bilinear_kernel_1d


@pytest.mark.parametrize("factor", [2, 3, 4, 8, 32])
def test_initialisation_equals_bilinear_interpolation(factor):
    torch.manual_seed(factor)
    x = torch.randn(2, 3, 5, 7)
    up = BilinearUpsample(3, factor)
    expected = F.interpolate(x, scale_factor=factor, mode="bilinear", align_corners=False)
    assert up(x).shape == expected.shape
    torch.testing.assert_close(up(x), expected, atol=1e-5, rtol=1e-5)


def test_zero_edge_matches_in_the_interior_only():
    x = torch.randn(1, 2, 6, 6)
    up = BilinearUpsample(2, 4, edge="zeros")
    expected = F.interpolate(x, scale_factor=4, mode="bilinear", align_corners=False)
    torch.testing.assert_close(up(x)[..., 4:-4, 4:-4], expected[..., 4:-4, 4:-4], atol=1e-5, rtol=1e-5)
    assert (up(x) - expected).abs().max() > 0.01  # zero padding darkens the border


def test_kernel_values_and_channel_diagonal():
    torch.testing.assert_close(bilinear_kernel_1d(2), torch.tensor([0.25, 0.75, 0.75, 0.25]))
    torch.testing.assert_close(bilinear_kernel_1d(3), torch.tensor([1 / 3, 2 / 3, 1, 2 / 3, 1 / 3]))
    w = bilinear_kernel(3, 2)
    assert w.shape == (3, 3, 4, 4)
    assert w[0, 1].abs().sum() == 0 and w[1, 1].sum() > 0


def test_learnable_or_frozen():
    up = BilinearUpsample(2, 2)
    before = up.up.weight.detach().clone()
    opt = torch.optim.SGD(up.parameters(), lr=0.1)
    up(torch.randn(1, 2, 4, 4)).pow(2).sum().backward()
    opt.step()
    assert not torch.equal(before, up.up.weight)
    assert not BilinearUpsample(2, 2, learnable=False).up.weight.requires_grad
