"""Pixel likelihoods of decoders in nats per image, and bits per dimension.

Discrete data follow :mod:`~dlbox.generative.dequantize`'s convention: ``x = k / (L-1)``, level ``k``
owning the bin ``[k/L, (k+1)/L)``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from dlbox.generative.dequantize import from_levels, to_levels

LOG_2PI = math.log(2 * math.pi)


def bits_per_dim(nll_nats: torch.Tensor, num_dims: int) -> torch.Tensor:
    """Nats per image -> bits per dimension: ``nll / (D ln 2)``."""
    return nll_nats / (num_dims * math.log(2))


def standard_normal_log_prob(z: torch.Tensor) -> torch.Tensor:
    """``log N(z; 0, I)`` summed per sample: ``(B, ...) -> (B,)``."""
    return -0.5 * (z.pow(2) + LOG_2PI).flatten(1).sum(1)


def gaussian_nll(x: torch.Tensor, mean: torch.Tensor, log_sigma: torch.Tensor | float) -> torch.Tensor:
    """``-log N(x; mean, sigma^2 I)`` per image, ``(B, ...) -> (B,)`` nats (a density: continuous ``x``).

    ``log_sigma`` is a float or a tensor broadcasting against ``x`` (a learnt global or per-pixel scale).
    """
    if x.shape != mean.shape:
        raise ValueError(f"data shape {tuple(x.shape)} differs from decoder mean shape {tuple(mean.shape)}")
    log_sigma = torch.as_tensor(log_sigma, dtype=x.dtype, device=x.device)
    # -log N = 0.5 ((x - m) / sigma)^2 + log sigma + 0.5 log(2 pi), summed over pixels
    per_pixel = 0.5 * ((x - mean) * torch.exp(-log_sigma)).pow(2) + log_sigma + 0.5 * LOG_2PI
    return per_pixel.expand_as(x).flatten(1).sum(1)


def discretized_logistic_nll(x: torch.Tensor, mean: torch.Tensor, log_scale: torch.Tensor, levels: int) -> torch.Tensor:
    """``-log P(k)`` per image (exact, nats) of a per-pixel logistic discretised into ``levels`` bins.

    ``P(k) = sigma((k+1)/L - mean)/s) - sigma((k/L - mean)/s)`` with the first bin's lower edge at
    ``-inf`` and the last bin's upper edge at ``+inf`` (Salimans et al. 2017, "PixelCNN++", eq. 2).
    ``x`` (data on the grid), ``mean``, ``log_scale``: ``(B, C, H, W)``; returns ``(B,)``.
    """
    if not x.shape == mean.shape == log_scale.shape:
        raise ValueError(f"shapes differ: data {tuple(x.shape)}, mean {tuple(mean.shape)}, log_scale {tuple(log_scale.shape)}")
    k = to_levels(x, levels).to(mean.dtype)
    inv_s = torch.exp(-log_scale)
    a = ((k + 1) / levels - mean) * inv_s  # upper edge, standardised
    b = (k / levels - mean) * inv_s  # lower edge, standardised
    first, last = k == 0, k == levels - 1
    zero = torch.zeros_like(a)
    # sigma(a) - sigma(b) = sigma(a) sigma(-b) (1 - e^{b-a}): a log-sum that stays finite for tiny bins;
    # a term drops out where its edge is infinite (first/last bin), avoiding inf * 0 in the gradient.
    log_p = (
        torch.where(last, zero, F.logsigmoid(a))
        + torch.where(first, zero, F.logsigmoid(-b))
        + torch.where(first | last, zero, torch.log(-torch.expm1(b - a)))
    )
    return -log_p.flatten(1).sum(1)


def sample_discretized_logistic(
    mean: torch.Tensor, log_scale: torch.Tensor, levels: int, generator: torch.Generator | None = None
) -> torch.Tensor:
    """A draw from the discretised logistic, as data values ``k / (L-1)``; ``(B, C, H, W)``."""
    gen_device = generator.device if generator is not None else mean.device
    u = torch.rand(mean.shape, generator=generator, device=gen_device, dtype=mean.dtype).to(mean.device)
    u = u.clamp(1e-6, 1 - 1e-6)
    y = mean + torch.exp(log_scale) * (torch.log(u) - torch.log1p(-u))  # inverse logistic CDF
    k = torch.floor(y * levels).clamp(0, levels - 1)
    return from_levels(k, levels)
