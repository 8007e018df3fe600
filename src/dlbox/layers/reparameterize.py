"""The reparameterisation trick (notes 4.1.1; Kingma & Welling 2014, section 2.4)."""

from __future__ import annotations

import torch


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """A draw ``z ~ N(mu, exp(logvar))`` differentiable in ``mu`` and ``logvar``; all ``(B, D)``.

    Kingma & Welling eq. 10 for a diagonal Gaussian: ``z = mu + sigma * eps``, ``eps ~ N(0, I)``.
    """
    if mu.shape != logvar.shape:
        raise ValueError(f"mu shape {tuple(mu.shape)} differs from logvar shape {tuple(logvar.shape)}")
    gen_device = generator.device if generator is not None else mu.device
    eps = torch.randn(mu.shape, generator=generator, device=gen_device, dtype=mu.dtype).to(mu.device)
    return mu + torch.exp(0.5 * logvar) * eps
