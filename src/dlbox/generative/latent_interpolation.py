"""Paths between two latent codes, to decode along (notes 4.1.1: nearby codes decode to similar images)."""

from __future__ import annotations

import torch


def _weights(steps: int, like: torch.Tensor) -> torch.Tensor:
    if steps < 2:
        raise ValueError(f"an interpolation needs at least 2 steps (both ends), got {steps}")
    return torch.linspace(0.0, 1.0, steps, device=like.device, dtype=like.dtype)


def lerp(z0: torch.Tensor, z1: torch.Tensor, steps: int) -> torch.Tensor:
    """``(steps, *z0.shape)``: ``(1 - w) z0 + w z1`` for ``w`` evenly spaced in [0, 1]."""
    if z0.shape != z1.shape:
        raise ValueError(f"latent shapes differ: {tuple(z0.shape)} vs {tuple(z1.shape)}")
    w = _weights(steps, z0).view(-1, *([1] * z0.dim()))  # (steps, 1, ...)
    return (1 - w) * z0 + w * z1


def slerp(z0: torch.Tensor, z1: torch.Tensor, steps: int) -> torch.Tensor:
    """``(steps, *z0.shape)`` along the great circle (Shoemake 1985; White 2016 for generative models).

    ``sin((1-w) omega) / sin(omega) z0 + sin(w omega) / sin(omega) z1`` with ``omega`` the angle
    between the flattened codes; falls back to :func:`lerp` for (anti)parallel codes.
    """
    if z0.shape != z1.shape:
        raise ValueError(f"latent shapes differ: {tuple(z0.shape)} vs {tuple(z1.shape)}")
    a, b = z0.flatten().double(), z1.flatten().double()
    cos = torch.dot(a, b) / (a.norm() * b.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    if float(torch.sin(omega).abs()) < 1e-6:
        return lerp(z0, z1, steps)
    w = _weights(steps, a).view(-1, 1)  # (steps, 1)
    path = (torch.sin((1 - w) * omega) * a + torch.sin(w * omega) * b) / torch.sin(omega)  # (steps, numel)
    return path.to(z0.dtype).view(steps, *z0.shape)
