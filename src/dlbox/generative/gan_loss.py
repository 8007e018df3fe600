"""GAN losses on discriminator logits (notes 4.2; Goodfellow et al. 2014; hinge: Lim & Ye 2017, Miyato et al. 2018).

Every function takes raw logits ``D(x)`` of shape ``(B,)`` (or any shape) and returns a scalar mean.
``sigma`` is the logistic sigmoid and ``log sigma(a) = -softplus(-a)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, real_label: float = 1.0) -> torch.Tensor:
    """``-E[log sigma(D(x))] - E[log(1 - sigma(D(G(z))))]``: real labelled 1, fake 0 (Goodfellow eq. 1).

    ``real_label`` < 1 is one-sided label smoothing (Salimans et al. 2016, section 3.4): the real images' target
    is ``real_label``, ``-E[t log sigma(D(x)) + (1 - t) log(1 - sigma(D(x)))]``, the fakes' stays 0.
    """
    real = real_label * F.softplus(-real_logits) + (1.0 - real_label) * F.softplus(real_logits)
    return real.mean() + F.softplus(fake_logits).mean()


def generator_loss_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """``-E[log sigma(D(G(z)))]``: the generator's non-saturating loss (Goodfellow section 3)."""
    return F.softplus(-fake_logits).mean()


def generator_loss_saturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """``E[log(1 - sigma(D(G(z))))]``: the minimax generator loss; its gradient vanishes when D wins."""
    return -F.softplus(fake_logits).mean()


def discriminator_loss_hinge(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """``E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]`` (Miyato et al. 2018, eq. 16-17)."""
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def generator_loss_hinge(fake_logits: torch.Tensor) -> torch.Tensor:
    """``-E[D(G(z))]``: the generator's loss paired with the hinge discriminator loss."""
    return -fake_logits.mean()
