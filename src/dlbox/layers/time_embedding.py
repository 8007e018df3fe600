"""Sinusoidal embedding of a (diffusion) timestep (Vaswani et al. 2017, section 3.5; DDPM appendix B)."""

from __future__ import annotations

import math

import torch


def sinusoidal_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """``(B,)`` timesteps -> ``(B, dim)``: ``[sin(t w_0) .. sin(t w_{d/2-1}), cos(t w_0) .. cos(t w_{d/2-1})]``.

    ``w_i = max_period^(-i / (dim/2))`` (the transformer's frequencies; ``dim`` must be even).
    """
    if dim < 2 or dim % 2:
        raise ValueError(f"sinusoidal embedding dim must be an even number >= 2, got {dim}")
    if t.dim() != 1:
        raise ValueError(f"timesteps must be a (B,) tensor, got shape {tuple(t.shape)}")
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / half)  # (dim/2,)
    args = t.float()[:, None] * freqs[None, :]  # (B, dim/2)
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)  # (B, dim)
