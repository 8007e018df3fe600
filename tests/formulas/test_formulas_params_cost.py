"""Parameter counts against sum(numel) and MACs against FlopCounterMode (FLOPs = 2 x MACs)."""

import torch
import torch.nn as nn
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from dlbox.formulas import (
    batch_norm_params,
    conv2d_macs,
    conv2d_params,
    conv_output_size,
    conv_transpose2d_macs,
    conv_transpose2d_params,
    flops_from_macs,
    linear_macs,
    linear_params,
    separable_conv2d_macs,
    separable_conv2d_params,
)

channels = st.integers(1, 16)
kernels = st.integers(1, 5)


def numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def counted_flops(module: nn.Module, x: torch.Tensor) -> int:
    with FlopCounterMode(display=False) as counter:
        module(x)
    return counter.get_total_flops()


def separable(d_in: int, d_out: int, k_h: int, k_w: int, bias: bool) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(d_in, d_in, (k_h, k_w), groups=d_in, bias=bias, device="meta"),
        nn.Conv2d(d_in, d_out, 1, bias=bias, device="meta"),
    )


@settings(max_examples=50, deadline=None)
@given(s_in=st.integers(1, 64), s_out=st.integers(1, 64), bias=st.booleans())
def test_linear_params_and_macs(s_in, s_out, bias):
    layer = nn.Linear(s_in, s_out, bias=bias, device="meta")
    assert linear_params(s_in, s_out, bias) == numel(layer)
    assert flops_from_macs(linear_macs(s_in, s_out)) == counted_flops(layer, torch.empty(1, s_in, device="meta"))


@settings(max_examples=60, deadline=None)
@given(
    g=st.integers(1, 4), cin=channels, cout=channels, k_h=kernels, k_w=kernels,
    bias=st.booleans(), size=st.integers(5, 20), stride=st.integers(1, 3),
)
def test_conv2d_params_and_macs(g, cin, cout, k_h, k_w, bias, size, stride):
    d_in, d_out = g * cin, g * cout
    layer = nn.Conv2d(d_in, d_out, (k_h, k_w), stride=stride, groups=g, bias=bias, device="meta")
    assert conv2d_params(k_h, k_w, d_in, d_out, bias, groups=g) == numel(layer)
    o_h, o_w = conv_output_size(size, k_h, stride), conv_output_size(size, k_w, stride)
    flops = counted_flops(layer, torch.empty(1, d_in, size, size, device="meta"))
    assert flops_from_macs(conv2d_macs(k_h, k_w, d_in, d_out, o_h, o_w, groups=g)) == flops


@settings(max_examples=50, deadline=None)
@given(d_in=channels, d_out=channels, k_h=kernels, k_w=kernels, bias=st.booleans(), size=st.integers(5, 20))
def test_separable_params_and_macs(d_in, d_out, k_h, k_w, bias, size):
    module = separable(d_in, d_out, k_h, k_w, bias)
    assert separable_conv2d_params(k_h, k_w, d_in, d_out, bias) == numel(module)
    o_h, o_w = size - k_h + 1, size - k_w + 1
    flops = counted_flops(module, torch.empty(1, d_in, size, size, device="meta"))
    assert flops_from_macs(separable_conv2d_macs(k_h, k_w, d_in, d_out, o_h, o_w)) == flops


@settings(max_examples=50, deadline=None)
@given(
    g=st.integers(1, 3), cin=channels, cout=channels, k=kernels, stride=st.integers(1, 3),
    bias=st.booleans(), size=st.integers(1, 12),
)
def test_conv_transpose2d_params_and_macs(g, cin, cout, k, stride, bias, size):
    d_in, d_out = g * cin, g * cout
    layer = nn.ConvTranspose2d(d_in, d_out, k, stride=stride, groups=g, bias=bias, device="meta")
    assert conv_transpose2d_params(k, k, d_in, d_out, bias, groups=g) == numel(layer)
    flops = counted_flops(layer, torch.empty(1, d_in, size, size, device="meta"))
    assert flops_from_macs(conv_transpose2d_macs(k, k, d_in, d_out, size, size, groups=g)) == flops


@settings(max_examples=30, deadline=None)
@given(c=st.integers(1, 64), affine=st.booleans())
def test_batch_norm_params(c, affine):
    assert batch_norm_params(c, affine) == numel(nn.BatchNorm2d(c, affine=affine))


def test_separable_is_cheaper_by_the_inception_ratio():
    """notes 3.4.1: separable / standard = 1 / D_out + 1 / (K_w K_h), up to the bias terms."""
    k, d_in, d_out = 3, 32, 64
    ratio = separable_conv2d_params(k, k, d_in, d_out, bias=False) / conv2d_params(k, k, d_in, d_out, bias=False)
    assert abs(ratio - (1 / d_out + 1 / k**2)) < 1e-12
    macs_ratio = separable_conv2d_macs(k, k, d_in, d_out, 8, 8) / conv2d_macs(k, k, d_in, d_out, 8, 8)
    assert abs(macs_ratio - ratio) < 1e-12
