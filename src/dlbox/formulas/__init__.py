"""Formulas of the notes (sections 1.2.1, 3.1-3.4, 3.7, 3.8) as pure, typed functions.

Every function equals what PyTorch computes for the matching module; the tests in
``tests/formulas`` check that with property tests.

Functions that take arrays accept NumPy arrays or torch tensors (``nn.Conv2d(...).weight``
included) and answer in the caller's kind: NumPy in, NumPy out; torch in, torch out on the
input's device (see :mod:`dlbox.formulas._arrays`).
"""

from dlbox.formulas.batch_norm import RunningStats, batch_norm_inference, batch_norm_train, normalize
from dlbox.formulas.conv_arithmetic import (
    conv_output_size,
    conv_transpose_output_size,
    effective_kernel_size,
    pool_output_size,
    same_padding,
)
from dlbox.formulas.conv_matrix import (
    ConvMatrixPattern,
    conv_matrix,
    conv_matrix_pattern,
    kernel_gradient,
    matrix_gradient,
)
from dlbox.formulas.cost import (
    conv2d_macs,
    conv_transpose2d_macs,
    flops_from_macs,
    linear_macs,
    separable_conv2d_macs,
)
from dlbox.formulas.params import (
    batch_norm_params,
    conv2d_params,
    conv_transpose2d_params,
    linear_params,
    separable_conv2d_params,
)
from dlbox.formulas.pooling import max_pool2d, mean_pool2d, pool_windows
from dlbox.formulas.receptive_field import (
    LayerGeometry,
    ReceptiveField,
    grow_receptive_field,
    receptive_field,
    receptive_fields,
)

__all__ = [
    "ConvMatrixPattern",
    "LayerGeometry",
    "ReceptiveField",
    "RunningStats",
    "batch_norm_inference",
    "batch_norm_params",
    "batch_norm_train",
    "conv2d_macs",
    "conv2d_params",
    "conv_matrix",
    "conv_matrix_pattern",
    "conv_output_size",
    "conv_transpose2d_macs",
    "conv_transpose2d_params",
    "conv_transpose_output_size",
    "effective_kernel_size",
    "flops_from_macs",
    "grow_receptive_field",
    "kernel_gradient",
    "linear_macs",
    "linear_params",
    "matrix_gradient",
    "max_pool2d",
    "mean_pool2d",
    "normalize",
    "pool_output_size",
    "pool_windows",
    "receptive_field",
    "receptive_fields",
    "same_padding",
    "separable_conv2d_macs",
    "separable_conv2d_params",
]
