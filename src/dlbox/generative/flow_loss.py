"""Normalizing flows' negative log-likelihood (notes 4.3; Dinh et al. 2017, "RealNVP", eq. 3 and section 4.1).

Change of variables for ``z = f(y)``: ``log p_Y(y) = log p_Z(f(y)) + log |det df/dy|``. The full chain
for discrete images ``x``:

    x --dequantize--> y in [0, 1)^D --logit--> s in R^D --flow--> z ~ N(0, I)

so ``-log p(y) = -log N(z) - log|det flow| - log|det logit|`` and, per
:mod:`~dlbox.generative.dequantize`, ``-log P(x) <= -log p(y) + D log L``.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Protocol

import torch

from dlbox.generative.dequantize import dequantized_nll_bound, uniform_dequantize
from dlbox.generative.likelihood import bits_per_dim, standard_normal_log_prob

DEFAULT_ALPHA = 0.05  # RealNVP section 4.1


class Flow(Protocol):
    def __call__(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]: ...  # x -> (z, log_det (B,))

    def inverse(self, z: torch.Tensor) -> torch.Tensor: ...


def _check_alpha(alpha: float) -> None:
    if not 0 <= alpha < 0.5:
        raise ValueError(f"logit alpha must lie in [0, 0.5), got {alpha}")


def logit_transform(y: torch.Tensor, alpha: float = DEFAULT_ALPHA) -> tuple[torch.Tensor, torch.Tensor]:
    """``s = logit(alpha + (1 - 2 alpha) y)`` for ``y`` in [0, 1] ``(B, ...)``, and ``log|det ds/dy|`` ``(B,)``.

    RealNVP section 4.1. Per element ``ds/dy = (1 - 2 alpha) / (p (1 - p))`` with ``p = alpha + (1 - 2 alpha) y``.
    """
    _check_alpha(alpha)
    p = alpha + (1 - 2 * alpha) * y
    s = torch.log(p) - torch.log1p(-p)
    log_det = (math.log(1 - 2 * alpha) - torch.log(p) - torch.log1p(-p)).flatten(1).sum(1)
    return s, log_det


def inverse_logit_transform(s: torch.Tensor, alpha: float = DEFAULT_ALPHA) -> torch.Tensor:
    """``y = (sigmoid(s) - alpha) / (1 - 2 alpha)``, the inverse of :func:`logit_transform`."""
    _check_alpha(alpha)
    return (torch.sigmoid(s) - alpha) / (1 - 2 * alpha)


def flow_nll(z: torch.Tensor, log_det: torch.Tensor) -> torch.Tensor:
    """``-log p(input) = -(log N(z; 0, I) + log|det|)`` per sample ``(B,)`` nats (RealNVP eq. 3)."""
    return -(standard_normal_log_prob(z) + log_det)


class FlowNLL(NamedTuple):
    """Per image ``(B,)``: a bound on the discrete NLL in nats and in bits per dimension; ``loss`` = mean bits/dim."""

    loss: torch.Tensor
    nats: torch.Tensor
    bits_per_dim: torch.Tensor


def flow_negative_log_likelihood(
    flow: Flow,
    x: torch.Tensor,
    levels: int,
    alpha: float = DEFAULT_ALPHA,
    generator: torch.Generator | None = None,
) -> FlowNLL:
    """Dequantize ``x`` ``(B, C, H, W)`` on ``levels`` levels, logit it, run the flow, and account every log-det."""
    num_dims = x[0].numel()
    y = uniform_dequantize(x, levels, generator)  # (B, C, H, W) in [0, 1)
    s, log_det_logit = logit_transform(y, alpha)
    z, log_det_flow = flow(s)  # (B, C, H, W), (B,)
    nll_y = flow_nll(z, log_det_flow + log_det_logit)  # density of y on [0, 1)^D
    nats = dequantized_nll_bound(nll_y, num_dims, levels)
    bpd = bits_per_dim(nats, num_dims)
    return FlowNLL(bpd.mean(), nats, bpd)
