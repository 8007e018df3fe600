"""Convolution arithmetic: the output size of convolution, transposed convolution and pooling.

Sizes are per spatial axis (call once for the height, once for the width). ``padding``
is *per side*, as in ``nn.Conv2d``; the notes' ``P`` is the total padding, ``2 * padding``.
"""

from __future__ import annotations

from typing import Literal

PaddingMode = int | Literal["same", "valid"]


def effective_kernel_size(kernel: int, dilation: int = 1) -> int:
    """Span in pixels of a ``kernel``-tap kernel whose taps are ``dilation`` pixels apart."""
    _require_positive(kernel=kernel, dilation=dilation)
    # notes 3.7 (dilated convolution): the taps are not contiguous, the kernel spans d * (K - 1) + 1 pixels
    return dilation * (kernel - 1) + 1


def same_padding(kernel: int, dilation: int = 1) -> tuple[int, int]:
    """(before, after) padding that keeps the size at stride 1, split as PyTorch's ``padding='same'`` does."""
    # notes 3.1 ("same": the minimum padding needed): with S = 1 the size is kept when P = K - 1
    total = effective_kernel_size(kernel, dilation) - 1
    return total // 2, total - total // 2


def conv_output_size(
    size: int, kernel: int, stride: int = 1, padding: PaddingMode = 0, dilation: int = 1
) -> int:
    """Output size along one axis of a convolution, as ``nn.Conv2d`` computes it.

    ``padding`` is the per-side padding, or ``"valid"`` (none) or ``"same"`` (output size
    equals ``size``; PyTorch only allows it with ``stride == 1``). Incomplete windows at the
    end are dropped, hence the floor division.
    """
    _require_positive(size=size, stride=stride)
    if padding == "same":
        if stride != 1:
            raise ValueError("padding='same' is only defined for stride 1 (as in PyTorch)")
        return size
    pad = 0 if padding == "valid" else _non_negative("padding", padding)
    total_padding = 2 * pad  # the notes' P
    span = effective_kernel_size(kernel, dilation)
    if size + total_padding < span:
        raise ValueError(f"kernel span {span} is larger than the padded input {size + total_padding}")
    # notes 3.1: (W + P - K) / S + 1
    return (size + total_padding - span) // stride + 1


def conv_transpose_output_size(
    size: int,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Output size along one axis of a transposed convolution, as ``nn.ConvTranspose2d`` computes it.

    It inverts :func:`conv_output_size`: ``output_padding`` (``< max(stride, dilation)``) picks
    which of the ``stride`` input sizes that map to ``size`` is produced.
    """
    _require_positive(size=size, stride=stride)
    _non_negative("padding", padding)
    if not 0 <= output_padding < max(stride, dilation):
        raise ValueError(f"output_padding must be in [0, max(stride, dilation)), got {output_padding}")
    span = effective_kernel_size(kernel, dilation)
    # notes 3.7 (stride < 1 view): solve W' = (W + P - K) / S + 1 for W: (O - 1) * S - P + K
    out = (size - 1) * stride - 2 * padding + span + output_padding
    if out < 1:  # PyTorch raises here, or returns an empty tensor on some non-dilated code paths
        raise ValueError(f"transposed convolution output size {out} is not positive")
    return out


def pool_output_size(
    size: int,
    kernel: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Output size along one axis of ``nn.MaxPool2d`` / ``nn.AvgPool2d`` (``stride`` defaults to ``kernel``).

    With ``ceil_mode`` a last partial window is kept, unless it would start in the right padding.
    """
    step = kernel if stride is None else stride
    _require_positive(size=size, stride=step)
    span = effective_kernel_size(kernel, dilation)
    if not 0 <= padding <= kernel // 2:
        raise ValueError(f"padding must be in [0, kernel // 2] = [0, {kernel // 2}], got {padding}")
    # notes 3.3 + 3.1: a pooling layer slides its filter like a convolution: (W + P - K) / S + 1
    out = _divide(size + 2 * padding - span, step, ceil_mode) + 1
    if ceil_mode and (out - 1) * step >= size + padding:
        out -= 1
    if out < 1:
        raise ValueError(f"pooling span {span} is larger than the padded input {size + 2 * padding}")
    return out


def _divide(numerator: int, denominator: int, ceil: bool) -> int:
    return -(-numerator // denominator) if ceil else numerator // denominator


def _require_positive(**values: int) -> None:
    for name, value in values.items():
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")


def _non_negative(name: str, value: int) -> int:
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value}")
    return value
