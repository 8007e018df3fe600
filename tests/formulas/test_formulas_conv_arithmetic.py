"""Output-size formulas against the shapes PyTorch produces (small CPU tensors: meta tensors skip some checks)."""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.formulas import (
    conv_output_size,
    conv_transpose_output_size,
    pool_output_size,
    receptive_field,
    same_padding,
)

sizes = st.integers(1, 40)
kernels = st.integers(1, 7)
strides = st.integers(1, 4)
dilations = st.integers(1, 3)


def _image(h: int, w: int, channels: int = 1) -> torch.Tensor:
    return torch.zeros(1, channels, h, w)


def _torch_or_error(fn):
    try:
        return fn()
    except (RuntimeError, ValueError):
        return "error"


def _ours_or_error(fn):
    try:
        return fn()
    except ValueError:
        return "error"


@settings(max_examples=80, deadline=None)
@given(h=sizes, w=sizes, k=kernels, s=strides, p=st.integers(0, 3), d=dilations)
def test_conv_output_size_equals_pytorch(h, w, k, s, p, d):
    weight = torch.zeros(1, 1, k, k)
    expected = _torch_or_error(lambda: tuple(F.conv2d(_image(h, w), weight, None, s, p, d).shape[2:]))
    ours = _ours_or_error(lambda: (conv_output_size(h, k, s, p, d), conv_output_size(w, k, s, p, d)))
    assert ours == expected


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@settings(max_examples=50, deadline=None)
@given(h=sizes, k=kernels, d=dilations, mode=st.sampled_from(["same", "valid"]))
def test_conv_output_size_string_padding_equals_pytorch(h, k, d, mode):
    weight = torch.zeros(1, 1, k, k)
    expected = _torch_or_error(lambda: F.conv2d(_image(h, h), weight, None, 1, mode, d).shape[2])
    assert _ours_or_error(lambda: conv_output_size(h, k, 1, mode, d)) == expected


def test_same_padding_with_stride_is_rejected_like_pytorch():
    with pytest.raises(ValueError, match="stride 1"):
        conv_output_size(10, 3, stride=2, padding="same")


@settings(max_examples=50, deadline=None)
@given(k=kernels, d=dilations)
def test_same_padding_split_keeps_size(k, d):
    before, after = same_padding(k, d)
    x = F.pad(_image(11, 11), (before, after, before, after))
    weight = torch.zeros(1, 1, k, k)
    assert F.conv2d(x, weight, dilation=d).shape[2:] == (11, 11)


@settings(max_examples=80, deadline=None)
@given(h=st.integers(1, 20), k=kernels, s=strides, p=st.integers(0, 3), op=st.integers(0, 3), d=dilations)
def test_conv_transpose_output_size_equals_pytorch(h, k, s, p, op, d):
    weight = torch.zeros(1, 1, k, k)
    expected = _torch_or_error(
        lambda: F.conv_transpose2d(_image(h, h), weight, None, s, p, op, 1, d).shape[2]
    )
    if expected == 0:  # an empty output: PyTorch raises on some code paths and not on others
        expected = "error"
    assert _ours_or_error(lambda: conv_transpose_output_size(h, k, s, p, op, d)) == expected


@settings(max_examples=50, deadline=None)
@given(h=st.integers(1, 20), k=kernels, s=strides, p=st.integers(0, 3), d=dilations)
def test_conv_transpose_inverts_conv_size(h, k, s, p, d):
    """Every input size that a conv maps to O is reached from O by some output_padding."""
    try:
        out = conv_output_size(h, k, s, p, d)
    except ValueError:
        return
    reached = {_ours_or_error(lambda: conv_transpose_output_size(out, k, s, p, op, d)) for op in range(max(s, d))}
    assert h in reached


@settings(max_examples=80, deadline=None)
@given(
    h=sizes, k=kernels, s=st.one_of(st.none(), strides), p=st.integers(0, 3), d=dilations, ceil=st.booleans()
)
def test_max_pool_output_size_equals_pytorch(h, k, s, p, d, ceil):
    expected = _torch_or_error(lambda: F.max_pool2d(_image(h, h), k, s, p, d, ceil).shape[2])
    assert _ours_or_error(lambda: pool_output_size(h, k, s, p, d, ceil)) == expected


@settings(max_examples=50, deadline=None)
@given(h=sizes, k=kernels, s=st.one_of(st.none(), strides), p=st.integers(0, 3), ceil=st.booleans())
def test_avg_pool_output_size_equals_pytorch(h, k, s, p, ceil):
    expected = _torch_or_error(lambda: F.avg_pool2d(_image(h, h), k, s, p, ceil).shape[2])
    assert _ours_or_error(lambda: pool_output_size(h, k, s, p, 1, ceil)) == expected


layer_specs = st.lists(
    st.tuples(st.sampled_from(["conv", "pool"]), st.integers(1, 4), st.integers(1, 3), st.integers(1, 2)),
    min_size=1,
    max_size=4,
)


@settings(max_examples=50, deadline=None)
@given(layers=layer_specs)
def test_receptive_field_equals_extent_of_input_gradient(layers):
    """The input pixels with a non-zero gradient for output pixel (0, 0) span exactly the receptive field."""
    geometry = [(k, s, d if kind == "conv" else 1) for kind, k, s, d in layers]
    size = receptive_field(geometry)
    x = torch.ones(1, 1, size, size, dtype=torch.float64, requires_grad=True)
    y = x
    for (kind, k, s, _), (_, _, d) in zip(layers, geometry):
        if kind == "conv":
            y = F.conv2d(y, torch.ones(1, 1, k, k, dtype=torch.float64), stride=s, dilation=d)
        else:
            y = F.avg_pool2d(y, k, s)  # the mean spreads gradient to every pixel of the window
    y[0, 0, 0, 0].backward()
    touched = torch.nonzero(x.grad[0, 0].abs().sum(dim=0)).flatten()
    assert int(touched.max() - touched.min()) + 1 == size
    assert int(touched.min()) == 0
