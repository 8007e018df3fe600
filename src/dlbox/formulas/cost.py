"""Compute cost of layers, in multiply-accumulates (MACs) and floating-point operations (FLOPs).

One MAC is one multiplication plus one addition, so ``FLOPs = 2 x MACs`` (the convention of
``torch.utils.flop_counter.FlopCounterMode``). The notes' "number of FLOPS is of order" counts
MACs; every function here says which unit it returns in its name. Bias additions are not
counted (as in ``FlopCounterMode``). Counts are per sample.
"""

from __future__ import annotations

from dlbox.formulas._checks import check_groups


def linear_macs(s_in: int, s_out: int) -> int:
    """MACs of a dense layer ``R^{s_in} -> R^{s_out}`` on one input vector."""
    # notes 1.2.1: S_in * S_out
    return s_in * s_out


def conv2d_macs(
    k_h: int, k_w: int, d_in: int, d_out: int, o_h: int, o_w: int, groups: int = 1
) -> int:
    """MACs of ``nn.Conv2d(d_in, d_out, (k_h, k_w), groups=groups)`` producing an ``o_h x o_w`` output."""
    check_groups(d_in, d_out, groups)
    # notes 3.1.1: (K_w * K_h) * D_in * D_out * (O_w * O_h), with D_in / groups channels per kernel
    return (k_w * k_h) * (d_in // groups) * d_out * (o_w * o_h)


def separable_conv2d_macs(k_h: int, k_w: int, d_in: int, d_out: int, o_h: int, o_w: int) -> int:
    """MACs of a depthwise ``k_h x k_w`` convolution followed by a 1x1 convolution, ``o_h x o_w`` output."""
    # notes 3.4: D_in kernels k x k x 1, then D_out kernels 1 x 1 x D_in, each applied at O_w * O_h positions
    depthwise = conv2d_macs(k_h, k_w, d_in, d_in, o_h, o_w, groups=d_in)
    pointwise = conv2d_macs(1, 1, d_in, d_out, o_h, o_w)
    return depthwise + pointwise


def conv_transpose2d_macs(
    k_h: int, k_w: int, d_in: int, d_out: int, i_h: int, i_w: int, groups: int = 1
) -> int:
    """MACs of ``nn.ConvTranspose2d(d_in, d_out, (k_h, k_w), groups=groups)`` on an ``i_h x i_w`` input.

    Each input pixel is spread into a ``k_h x k_w`` patch of ``d_out / groups`` channels.
    """
    check_groups(d_in, d_out, groups)
    # notes 3.7: each pixel is upsampled into a k x k patch: (K_w * K_h) * D_in * (D_out / groups) * (I_w * I_h)
    return (k_w * k_h) * d_in * (d_out // groups) * (i_w * i_h)


def flops_from_macs(macs: int) -> int:
    """FLOPs of ``macs`` multiply-accumulates: one multiplication and one addition each."""
    return 2 * macs
