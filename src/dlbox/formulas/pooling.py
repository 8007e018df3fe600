"""Max and mean pooling as filters sliding over the image (notes 3.3).

Shapes: ``x`` is ``(..., H, W)``; the result is ``(..., O_h, O_w)`` with the sizes of
:func:`dlbox.formulas.conv_arithmetic.pool_output_size` (floor mode). Mean pooling counts the
zero padding in its average, as ``nn.AvgPool2d``'s default ``count_include_pad=True`` does.
Arrays may be NumPy arrays or torch tensors; results are of the same kind (torch: on the input's device).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from dlbox.formulas._arrays import numpy_or_torch


@numpy_or_torch
def pool_windows(
    x: np.ndarray, kernel: int, stride: int | None = None, padding: int = 0, fill: float = 0.0
) -> np.ndarray:
    """Every ``kernel x kernel`` window the filter visits: ``(..., O_h, O_w, kernel, kernel)``."""
    step = kernel if stride is None else stride
    pad = [(0, 0)] * (x.ndim - 2) + [(padding, padding)] * 2
    padded = np.pad(x, pad, constant_values=fill)
    # notes 3.3 + 3.1: the filter visits positions S apart over the padded image
    return sliding_window_view(padded, (kernel, kernel), axis=(-2, -1))[..., ::step, ::step, :, :]


@numpy_or_torch
def max_pool2d(x: np.ndarray, kernel: int, stride: int | None = None, padding: int = 0) -> np.ndarray:
    """Max pooling; padded pixels are ``-inf`` so they never win."""
    # notes 3.3: the maximum of the pixels within the kernel
    return pool_windows(x, kernel, stride, padding, fill=-np.inf).max(axis=(-2, -1))


@numpy_or_torch
def mean_pool2d(x: np.ndarray, kernel: int, stride: int | None = None, padding: int = 0) -> np.ndarray:
    """Mean (average) pooling; padded pixels count as zeros."""
    # notes 3.3: the average of the pixels within the kernel
    return pool_windows(x, kernel, stride, padding, fill=0.0).mean(axis=(-2, -1))
