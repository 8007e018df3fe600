"""A convolution written as a sparse matrix (notes 3.2), its transpose, and its kernel gradient.

Shapes: ``weight`` is ``(C_out, C_in / groups, K_h, K_w)`` (``nn.Conv2d.weight``), one input
image is ``(C_in, H, W)`` and one output ``(C_out, O_h, O_w)``. The matrix ``M`` has shape
``(C_out * O_h * O_w, C_in * H * W)`` and acts on the row-major flattened image.
Arrays may be NumPy arrays or torch tensors; results are of the same kind (torch: on the input's device).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dlbox.formulas._arrays import numpy_or_torch
from dlbox.formulas.conv_arithmetic import conv_output_size

Pair = int | tuple[int, int]


@dataclass(frozen=True)
class ConvMatrixPattern:
    """Where each kernel cell lands in ``M``: entry ``k`` is ``M[rows[k], cols[k]] = weight.flat[cells[k]]``."""

    shape: tuple[int, int]
    rows: np.ndarray
    cols: np.ndarray
    cells: np.ndarray


def conv_matrix_pattern(
    weight_shape: tuple[int, int, int, int],
    input_size: tuple[int, int],
    stride: Pair = 1,
    padding: Pair = 0,
    dilation: Pair = 1,
    groups: int = 1,
) -> ConvMatrixPattern:
    """The sparsity pattern of the convolution matrix; taps that fall in the zero padding are dropped."""
    c_out, c_in_group, k_h, k_w = weight_shape
    (s_h, s_w), (p_h, p_w), (d_h, d_w) = _pair(stride), _pair(padding), _pair(dilation)
    h, w = input_size
    o_h = conv_output_size(h, k_h, s_h, p_h, d_h)
    o_w = conv_output_size(w, k_w, s_w, p_w, d_w)
    co, oy, ox, ci, ky, kx = np.meshgrid(
        np.arange(c_out), np.arange(o_h), np.arange(o_w), np.arange(c_in_group),
        np.arange(k_h), np.arange(k_w), indexing="ij",
    )
    # notes 3.2: output pixel (oy, ox) reads input pixel (oy*S - P + ky*D, ox*S - P + kx*D) through kernel cell (ky, kx)
    iy, ix = oy * s_h - p_h + ky * d_h, ox * s_w - p_w + kx * d_w
    channel = (co // (c_out // groups)) * c_in_group + ci
    inside = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
    rows = (co * o_h + oy) * o_w + ox
    cols = (channel * h + iy) * w + ix
    cells = ((co * c_in_group + ci) * k_h + ky) * k_w + kx
    shape = (c_out * o_h * o_w, c_in_group * groups * h * w)
    return ConvMatrixPattern(shape, rows[inside], cols[inside], cells[inside])


@numpy_or_torch
def conv_matrix(
    weight: np.ndarray,
    input_size: tuple[int, int],
    stride: Pair = 1,
    padding: Pair = 0,
    dilation: Pair = 1,
    groups: int = 1,
) -> np.ndarray:
    """The (dense storage of the sparse) matrix ``M`` with ``M @ x.ravel() == conv2d(x).ravel()``.

    ``M.T @ y.ravel()`` is the transposed convolution of ``y`` with the same weights, which is
    why that operation is called *transposed*.
    """
    pattern = conv_matrix_pattern(weight.shape, input_size, stride, padding, dilation, groups)
    matrix = np.zeros(pattern.shape, dtype=weight.dtype)
    # notes 3.2: the positions tied to one kernel cell all hold that cell's weight
    matrix[pattern.rows, pattern.cols] = weight.ravel()[pattern.cells]
    return matrix


@numpy_or_torch
def matrix_gradient(grad_output: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Gradient of the loss w.r.t. every entry of ``M`` (a dense layer's ``delta a^T``, notes 2.2).

    ``grad_output``: ``(C_out, O_h, O_w)`` or flat; ``x``: ``(C_in, H, W)`` or flat. Returns ``M``'s shape.
    """
    # notes 2.2: dL/dW = delta . a^T, with delta = dL/d(output) and a = the flattened input
    return np.outer(grad_output.ravel(), x.ravel())


@numpy_or_torch
def kernel_gradient(grad_matrix: np.ndarray, pattern: ConvMatrixPattern, weight_shape: tuple[int, ...]) -> np.ndarray:
    """Kernel gradient from the gradient of ``M``: the updates of all positions tied to one kernel cell, summed.

    The notes suggest updating tied positions "with the same value (e.g. the mean)"; the sum is the
    exact gradient of the shared weight (the mean is the sum divided by the number of tied positions).
    """
    grad = np.zeros(int(np.prod(weight_shape)), dtype=grad_matrix.dtype)
    # notes 3.2: positions corresponding to the same kernel cell share one update
    np.add.at(grad, pattern.cells, grad_matrix[pattern.rows, pattern.cols])
    return grad.reshape(weight_shape)


def _pair(value: Pair) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))
