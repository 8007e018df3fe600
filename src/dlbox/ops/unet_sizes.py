"""Size arithmetic of the U-Net (notes 3.11.2), per spatial side.

Padded (``padding="same"``) 3x3 convolutions keep sizes, so the output is the
input. The original, unpadded (``"valid"``) U-Net loses 2 pixels per 3x3
convolution (4 per conv-conv pair), halves at each max-pool and doubles at each
2x2 transposed convolution. With ``d`` levels an input ``s`` gives::

    encoder level i:   s_i -> s_i - 4  (must be even)  -> pool -> s_{i+1} = (s_i - 4) / 2
    bottleneck:        s_d -> b = s_d - 4
    decoder level:     u   -> 2u - 4                     (d times, starting from u = b)

so the valid inputs are ``s = 2^d m + 4 (2^d - 1)`` for a bottleneck input
``m >= 8`` (smaller ``m`` shrinks the decoder to nothing). At ``d = 4``:
572 -> 388, as in the U-Net paper (``m = 32``).
"""

from __future__ import annotations

CONV_LOSS = 4  # two unpadded 3x3 convolutions per level: 2 pixels each
MIN_BOTTLENECK_INPUT = 8  # smallest m whose decoder output stays positive (b = 4 is a fixed point of 2u - 4)


class UNetSizeError(ValueError):
    """An input size a valid (unpadded) U-Net cannot take; the message names the nearest valid sizes."""


def valid_input_size(m: int, depth: int) -> int:
    """The input side whose bottleneck input is ``m``: ``2^d m + 4 (2^d - 1)``."""
    return 2**depth * m + CONV_LOSS * (2**depth - 1)


def nearest_valid_sizes(size: int, depth: int) -> tuple[int | None, int]:
    """``(largest valid size <= size or None, smallest valid size >= size)`` for a valid U-Net."""
    step = 2**depth
    m = (size - CONV_LOSS * (step - 1)) // step  # floor
    below = valid_input_size(m, depth) if m >= MIN_BOTTLENECK_INPUT else None
    m_up = max(MIN_BOTTLENECK_INPUT, m if below == size else m + 1)
    return below, valid_input_size(m_up, depth)


def valid_output_size(size: int, depth: int) -> int:
    """Output side of a valid U-Net for input side ``size``; :class:`UNetSizeError` if no integral sizes."""
    if depth < 1:
        raise ValueError(f"U-Net depth must be at least 1, got {depth}")
    s = size
    for level in range(depth):
        s -= CONV_LOSS
        if s <= 0 or s % 2:
            _raise(size, depth, f"level {level + 1} convolutions give {s}, which max-pooling cannot halve")
        s //= 2
    if s < MIN_BOTTLENECK_INPUT:
        _raise(size, depth, f"the bottleneck input would be {s} (at least {MIN_BOTTLENECK_INPUT} needed)")
    u = s - CONV_LOSS
    for _ in range(depth):
        u = 2 * u - CONV_LOSS
    return u


def output_size(size: int, depth: int, padding: str) -> int:
    """Output side of a U-Net with ``padding`` ``'same'`` (== ``size``) or ``'valid'``."""
    if padding == "same":
        if size < 2**depth:
            raise UNetSizeError(f"U-Net input side {size} is smaller than 2^depth = {2**depth}")
        return size
    if padding == "valid":
        return valid_output_size(size, depth)
    raise ValueError(f"U-Net padding must be 'same' or 'valid', got {padding!r}")


def _raise(size: int, depth: int, why: str) -> None:
    below, above = nearest_valid_sizes(size, depth)
    near = f"{below} or {above}" if below is not None else f"{above}"
    raise UNetSizeError(
        f"input side {size} does not give integral sizes in a valid (unpadded) U-Net of depth {depth}: {why}; "
        f"nearest valid input sizes: {near} (valid sizes are 2^{depth}*m + {CONV_LOSS * (2**depth - 1)}, m >= {MIN_BOTTLENECK_INPUT})"
    )
