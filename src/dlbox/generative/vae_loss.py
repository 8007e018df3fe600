"""The VAE objective (notes 4.1.1; Kingma & Welling 2014; beta-VAE: Higgins et al. 2017).

Negative ELBO per image: ``-log p(x|z)`` (reconstruction, a single ``z`` draw) ``+ beta KL(q(z|x) || N(0, I))``.
Two likelihoods match the ``vae`` model's ``likelihood`` argument:

- ``gaussian``: ``p(x|z) = N(mean, sigma^2 I)`` with a fixed or learnt ``sigma`` (notes 4.1.1's
  ``||X - X^||^2`` is this up to scale). A density: on discrete data it is a valid bound only at
  dequantized inputs (``uniform_dequantize``, then pass ``levels`` to add ``D log L``).
- ``discretized``: the per-pixel discretised logistic, an exact probability of discrete data.

``nats`` and ``bits_per_dim`` always use ``beta = 1`` (the true bound); ``loss`` uses ``beta``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from dlbox.generative.dequantize import dequantized_nll_bound
from dlbox.generative.likelihood import bits_per_dim, discretized_logistic_nll, gaussian_nll
from dlbox.layers.reparameterize import reparameterize

__all__ = [
    "ELBOTerms",
    "discretized_negative_elbo",
    "gaussian_negative_elbo",
    "kl_standard_normal",
    "negative_elbo_terms",
    "reparameterize",
]


def kl_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, diag(exp(logvar))) || N(0, I))`` per sample, ``(B, D) -> (B,)`` nats.

    Kingma & Welling, appendix B: ``-KL = 1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2)``.
    """
    if mu.shape != logvar.shape:
        raise ValueError(f"mu shape {tuple(mu.shape)} differs from logvar shape {tuple(logvar.shape)}")
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar).flatten(1).sum(1)


class ELBOTerms(NamedTuple):
    """``loss``: scalar to minimise (batch mean of ``nll + beta kl``); the rest per image ``(B,)``."""

    loss: torch.Tensor
    nll: torch.Tensor  # reconstruction term -log p(x|z), nats
    kl: torch.Tensor  # KL(q(z|x) || p(z)), nats
    nats: torch.Tensor  # negative ELBO with beta = 1, nats per image
    bits_per_dim: torch.Tensor  # the same per dimension, in bits


def negative_elbo_terms(nll: torch.Tensor, kl: torch.Tensor, num_dims: int, beta: float = 1.0) -> ELBOTerms:
    """Combine per-image ``nll`` and ``kl`` ``(B,)`` into :class:`ELBOTerms` for ``num_dims`` pixels."""
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got {beta}")
    nats = nll + kl  # notes 4.1.1: reconstruction + KL; the ELBO is its negative
    return ELBOTerms((nll + beta * kl).mean(), nll, kl, nats, bits_per_dim(nats, num_dims))


def gaussian_negative_elbo(
    x: torch.Tensor,
    mean: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    log_sigma: torch.Tensor | float = math.log(0.1),
    beta: float = 1.0,
    levels: int | None = None,
) -> ELBOTerms:
    """Negative ELBO of a Gaussian decoder; ``x``, ``mean`` ``(B, C, H, W)``, ``mu``, ``logvar`` ``(B, D)``.

    With ``levels``, ``x`` must be dequantized data and the figures bound the discrete NLL
    (``+ D log L`` per image); without, they are continuous-density values.
    """
    num_dims = x[0].numel()
    nll = gaussian_nll(x, mean, log_sigma)
    if levels is not None:
        nll = dequantized_nll_bound(nll, num_dims, levels)
    return negative_elbo_terms(nll, kl_standard_normal(mu, logvar), num_dims, beta)


def discretized_negative_elbo(
    x: torch.Tensor,
    mean: torch.Tensor,
    log_scale: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    levels: int,
    beta: float = 1.0,
) -> ELBOTerms:
    """Negative ELBO of a discretised-logistic decoder on data ``x`` with ``levels`` levels ``(B, C, H, W)``."""
    nll = discretized_logistic_nll(x, mean, log_scale, levels)
    return negative_elbo_terms(nll, kl_standard_normal(mu, logvar), x[0].numel(), beta)
