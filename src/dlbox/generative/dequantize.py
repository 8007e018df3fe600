"""Discrete pixels <-> continuous values for likelihood models (notes 4.3; Theis et al. 2016, section 3.1).

Convention used by every likelihood in dlbox: data with ``L = levels`` intensity levels is stored as
``x = k / (L - 1)`` in [0, 1] (digits: ``L = 17``, 8-bit images: ``L = 256``). Level ``k`` owns the
bin ``[k / L, (k + 1) / L)`` of width ``1 / L``; uniform dequantization draws ``y`` in that bin.
A density ``p`` on [0, 1]^D then bounds the discrete likelihood (Jensen):
``-log P(k) <= E_u[-log p(y)] + D log L``.
"""

from __future__ import annotations

import math

import torch

GRID_TOLERANCE = 1e-3  # in units of one level


def to_levels(x: torch.Tensor, levels: int) -> torch.Tensor:
    """Integer levels ``k = round(x (L - 1))`` of data ``x`` in [0, 1]; off-grid data raises ``ValueError``."""
    if levels < 2:
        raise ValueError(f"levels must be at least 2, got {levels}")
    scaled = x.detach().double() * (levels - 1)
    k = scaled.round()
    if bool((k < 0).any()) or bool((k > levels - 1).any()):
        raise ValueError(f"data must lie in [0, 1], got values in [{float(x.min())}, {float(x.max())}]")
    off = float((scaled - k).abs().max()) if x.numel() else 0.0
    if off > GRID_TOLERANCE:
        raise ValueError(
            f"data is not on a grid of {levels} levels (k / {levels - 1}): a value is {off:.3f} levels off; "
            "pass the levels the data was quantised to (17 for digits, 256 for 8-bit images), or use unresized images"
        )
    return k.long()


def from_levels(k: torch.Tensor, levels: int) -> torch.Tensor:
    """Levels ``k`` -> data ``k / (L - 1)`` in [0, 1] (float32)."""
    return k.float() / (levels - 1)


def uniform_dequantize(x: torch.Tensor, levels: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """``y = (k + u) / L`` with ``u ~ U[0, 1)``: continuous values in [0, 1), same shape and dtype as ``x``."""
    k = to_levels(x, levels).to(x.dtype)
    gen_device = generator.device if generator is not None else x.device
    u = torch.rand(x.shape, generator=generator, device=gen_device, dtype=x.dtype).to(x.device)
    # u is kept a hair below 1 (a few float32 ulps of k + u at L levels): otherwise k + u can round up to k + 1 and
    # the value lands in the next level's bin (L = 216: 215 + 0.99999994 == 216.0 in float32)
    u = u.clamp(max=1.0 - max(levels, 16) * 2.0**-20)
    return (k + u) / levels


def quantize(y: torch.Tensor, levels: int) -> torch.Tensor:
    """The data value of the bin holding ``y``: ``clamp(floor(y L), 0, L-1) / (L - 1)`` (inverse of dequantizing)."""
    k = torch.floor(y * levels).clamp(0, levels - 1)
    return k / (levels - 1)


def dequantized_nll_bound(density_nll: torch.Tensor, num_dims: int, levels: int) -> torch.Tensor:
    """Upper bound on the discrete NLL (nats) from a density's NLL at dequantized data: ``+ D log L``."""
    # P(k) = int_bin p(y) dy >= exp(E_u log p(y)) / L^D  (Jensen; Theis et al. 2016 eq. 5)
    return density_nll + num_dims * math.log(levels)
