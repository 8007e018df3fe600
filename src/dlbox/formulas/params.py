"""Parameter counts of layers (notes 1.2.1, 3.1.1, 3.4.1, 3.7, 3.8).

Each count equals ``sum(p.numel() for p in module.parameters())`` of the matching torch
module. Buffers (batch norm's running statistics) are not parameters and are not counted.
"""

from __future__ import annotations

from dlbox.formulas._checks import check_groups


def linear_params(s_in: int, s_out: int, bias: bool = True) -> int:
    """Parameters of a dense layer ``R^{s_in} -> R^{s_out}`` (``nn.Linear``)."""
    # notes 1.2.1: S_in * S_out + S_out
    return s_in * s_out + (s_out if bias else 0)


def conv2d_params(k_h: int, k_w: int, d_in: int, d_out: int, bias: bool = True, groups: int = 1) -> int:
    """Parameters of ``nn.Conv2d(d_in, d_out, (k_h, k_w), groups=groups, bias=bias)``.

    With ``groups`` each output channel sees only ``d_in / groups`` input channels
    (``groups == d_in`` is a depthwise convolution).
    """
    check_groups(d_in, d_out, groups)
    # notes 3.1.1: (K_w * K_h) * D_in * D_out + D_out, with D_in / groups channels per kernel
    return (k_w * k_h) * (d_in // groups) * d_out + (d_out if bias else 0)


def separable_conv2d_params(k_h: int, k_w: int, d_in: int, d_out: int, bias: bool = True) -> int:
    """Parameters of a depthwise-separable convolution: a ``k_h x k_w`` depthwise conv then a 1x1 conv.

    Matches ``nn.Sequential(nn.Conv2d(d_in, d_in, (k_h, k_w), groups=d_in, bias=bias),
    nn.Conv2d(d_in, d_out, 1, bias=bias))``; with ``bias`` each of the two convolutions has its own.
    """
    biases = d_in + d_out if bias else 0
    # notes 3.4.1: (K_w * K_h) * D_in + (1 * 1 * D_in) * D_out, plus the two layers' biases
    return (k_w * k_h) * d_in + (1 * 1 * d_in) * d_out + biases


def conv_transpose2d_params(
    k_h: int, k_w: int, d_in: int, d_out: int, bias: bool = True, groups: int = 1
) -> int:
    """Parameters of ``nn.ConvTranspose2d(d_in, d_out, (k_h, k_w), groups=groups, bias=bias)``.

    A transposed convolution has the weights of the convolution it transposes (``d_out -> d_in``),
    so the kernel count is the same as :func:`conv2d_params`'s; only the bias has ``d_out`` entries.
    """
    check_groups(d_in, d_out, groups)
    # notes 3.7 + 3.1.1: (K_w * K_h) * D_in * (D_out / groups) + D_out
    return (k_w * k_h) * d_in * (d_out // groups) + (d_out if bias else 0)


def batch_norm_params(num_features: int, affine: bool = True) -> int:
    """Learned parameters of ``nn.BatchNorm2d(num_features, affine=affine)``: one gamma and one beta per channel."""
    # notes 3.8: gamma and beta are learned (mu and sigma^2 are statistics, not parameters)
    return 2 * num_features if affine else 0
