"""The diffusion training objective (notes 4.4; Ho et al. 2020, eq. 14, "L_simple").

A training step: ``x0 = to_diffusion_range(images)``, ``loss = diffusion_loss(model, schedule, x0)``,
backward. Sampling (:mod:`~dlbox.generative.ddpm`, :mod:`~dlbox.generative.ddim`) returns the same
range; :func:`from_diffusion_range` maps it back to images.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from dlbox.generative.ddpm import EpsModel
from dlbox.generative.noise_schedule import NoiseSchedule


def to_diffusion_range(images: torch.Tensor) -> torch.Tensor:
    """Images in [0, 1] -> [-1, 1] (DDPM section 4: data scaled linearly to [-1, 1])."""
    return images * 2.0 - 1.0


def from_diffusion_range(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] -> images in [0, 1], clamped."""
    return ((x + 1.0) / 2.0).clamp(0.0, 1.0)


def min_snr_weights(schedule: NoiseSchedule, t: torch.Tensor, gamma: float) -> torch.Tensor:
    """``(B,)`` float64 weights ``min(SNR_t, gamma) / SNR_t`` of the epsilon loss (Hang et al. 2023, "Min-SNR", sec. 3.4).

    ``SNR_t = alpha_bar_t / (1 - alpha_bar_t)``. Weighting the epsilon error so equals the x0 error clamped at
    ``gamma``: low-noise steps, whose large SNR makes them easy and their gradients conflict with the rest, count less;
    steps with ``SNR_t <= gamma`` keep weight 1. The network still predicts epsilon, so every sampler works unchanged.
    """
    if gamma <= 0:
        raise ValueError(f"the min-SNR gamma must be positive, got {gamma}")
    a = schedule.alpha_bars.to(t.device)[schedule.check_t(t, t.shape[0]).to(t.device)]  # (B,)
    snr = a / (1 - a)  # Hang et al. 2023, eq. 3 notation: SNR(t) = alpha_t^2 / sigma_t^2
    return snr.clamp(max=gamma) / snr  # Hang et al. 2023, sec. 3.4: w_t = min(SNR(t), gamma) / SNR(t) for epsilon


def diffusion_loss(
    model: EpsModel,
    schedule: NoiseSchedule,
    x0: torch.Tensor,
    t: torch.Tensor | None = None,
    noise: torch.Tensor | None = None,
    generator: torch.Generator | None = None,
    min_snr_gamma: float | None = None,
) -> torch.Tensor:
    """Scalar ``E_{t, eps} ||eps - eps_theta(x_t, t)||^2`` (mean over elements) for ``x0`` ``(B, ...)``.

    ``t`` ``(B,)`` defaults to uniform draws from ``0..T-1`` and ``noise`` to ``N(0, I)``, both from
    ``generator``; pass them to evaluate on fixed draws. ``min_snr_gamma`` weights each image's error by
    :func:`min_snr_weights` (None: DDPM's unweighted ``L_simple``).
    """
    b = x0.shape[0]
    gen_device = generator.device if generator is not None else x0.device
    if t is None:
        t = torch.randint(0, schedule.num_timesteps, (b,), generator=generator, device=gen_device).to(x0.device)
    if noise is None:
        noise = torch.randn(x0.shape, generator=generator, device=gen_device, dtype=x0.dtype).to(x0.device)
    x_t = schedule.q_sample(x0, t, noise)  # DDPM Algorithm 1, line 5
    if min_snr_gamma is None:
        return F.mse_loss(model(x_t, t), noise)
    per_image = (model(x_t, t).float() - noise.float()).pow(2).flatten(1).mean(1)  # (B,)
    return (min_snr_weights(schedule, t, min_snr_gamma).to(per_image) * per_image).mean()
