"""notes 3.2: a convolution is a sparse matrix; its transpose is the transposed convolution; tied weights' updates sum to the kernel gradient."""

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.formulas import (
    conv_matrix,
    conv_matrix_pattern,
    conv_output_size,
    conv_transpose_output_size,
    kernel_gradient,
    matrix_gradient,
)


@st.composite
def conv_configs(draw):
    groups = draw(st.integers(1, 2))
    c_in, c_out = groups * draw(st.integers(1, 3)), groups * draw(st.integers(1, 3))
    k_h, k_w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride, padding, dilation = draw(st.integers(1, 3)), draw(st.integers(0, 2)), draw(st.integers(1, 2))
    h = draw(st.integers(dilation * (k_h - 1) + 1, 9))
    w = draw(st.integers(dilation * (k_w - 1) + 1, 9))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    weight = rng.normal(size=(c_out, c_in // groups, k_h, k_w))
    x = rng.normal(size=(c_in, h, w))
    return dict(weight=weight, x=x, stride=stride, padding=padding, dilation=dilation, groups=groups)


def _torch_conv(cfg, x):
    return F.conv2d(
        x[None], torch.from_numpy(cfg["weight"]), None, cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"]
    )[0]


def _matrix(cfg):
    return conv_matrix(cfg["weight"], cfg["x"].shape[1:], cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"])


def _output_padding(size: int, out: int, k: int, s: int, p: int, d: int) -> int:
    """The output_padding for which the transposed convolution maps ``out`` back to ``size``."""
    for op in range(max(s, d)):
        try:
            if conv_transpose_output_size(out, k, s, p, op, d) == size:
                return op
        except ValueError:
            continue
    raise AssertionError(f"no output_padding maps {out} back to {size}")


@settings(max_examples=60, deadline=None)
@given(cfg=conv_configs())
def test_matrix_times_flat_image_is_the_convolution(cfg):
    expected = _torch_conv(cfg, torch.from_numpy(cfg["x"])).numpy()
    np.testing.assert_allclose(_matrix(cfg) @ cfg["x"].ravel(), expected.ravel(), rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(cfg=conv_configs(), seed=st.integers(0, 1000))
def test_matrix_transpose_is_the_transposed_convolution(cfg, seed):
    h, w = cfg["x"].shape[1:]
    k_h, k_w = cfg["weight"].shape[2:]
    s, p, d = cfg["stride"], cfg["padding"], cfg["dilation"]
    o_h, o_w = conv_output_size(h, k_h, s, p, d), conv_output_size(w, k_w, s, p, d)
    y = np.random.default_rng(seed).normal(size=(cfg["weight"].shape[0], o_h, o_w))
    # output_padding selects the input size h (several sizes map to the same o_h)
    out_pad = (_output_padding(h, o_h, k_h, s, p, d), _output_padding(w, o_w, k_w, s, p, d))
    expected = F.conv_transpose2d(
        torch.from_numpy(y)[None], torch.from_numpy(cfg["weight"]), None, s, p, out_pad, cfg["groups"], d
    )[0].numpy()
    np.testing.assert_allclose(_matrix(cfg).T @ y.ravel(), expected.ravel(), rtol=1e-12, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(cfg=conv_configs(), seed=st.integers(0, 1000))
def test_summed_tied_updates_equal_autograd_kernel_gradient(cfg, seed):
    weight = torch.from_numpy(cfg["weight"]).requires_grad_(True)
    x = torch.from_numpy(cfg["x"])
    out = F.conv2d(x[None], weight, None, cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"])[0]
    upstream = torch.from_numpy(np.random.default_rng(seed).normal(size=tuple(out.shape)))
    (out * upstream).sum().backward()
    pattern = conv_matrix_pattern(weight.shape, x.shape[1:], cfg["stride"], cfg["padding"], cfg["dilation"], cfg["groups"])
    ours = kernel_gradient(matrix_gradient(upstream.numpy(), cfg["x"]), pattern, tuple(weight.shape))
    np.testing.assert_allclose(ours, weight.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_notes_example_matrix_layout():
    """The 4x4 image, 3x3 kernel example of notes 3.2: row r of M is the kernel placed at output r."""
    kernel = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    matrix = conv_matrix(kernel, (4, 4))
    assert matrix.shape == (4, 16)
    for row, (oy, ox) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        placed = np.zeros((4, 4))
        placed[oy : oy + 3, ox : ox + 3] = kernel[0, 0]
        np.testing.assert_array_equal(matrix[row], placed.ravel())
    # each kernel cell is tied to one position per output pixel: 4 tied positions here
    pattern = conv_matrix_pattern(kernel.shape, (4, 4))
    assert np.bincount(pattern.cells).tolist() == [4] * 9
