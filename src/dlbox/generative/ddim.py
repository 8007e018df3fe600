"""DDIM sampling (Song et al. 2021) in ``S`` steps with any epsilon-predicting network.

``eta = 0`` gives the deterministic implicit model, ``eta = 1`` the DDPM posterior noise:
with ``S = T`` and ``eta = 1`` a DDIM step equals :func:`~dlbox.generative.ddpm.ddpm_step`
(``sigma_t^2 = beta~_t`` and the same mean, see the tests). The network and the
sample space are as in :mod:`~dlbox.generative.ddpm`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from dlbox.generative.ddpm import EpsModel, model_device, standard_normal
from dlbox.generative.noise_schedule import NoiseSchedule


def ddim_timesteps(num_timesteps: int, num_steps: int) -> list[int]:
    """The ``S`` decreasing timesteps visited, evenly spaced and starting at ``T - 1`` ("trailing").

    ``t_i = T - 1 - floor(i T / S)`` for ``i = 0 .. S-1``; ``S = T`` visits every step.
    """
    if not 1 <= num_steps <= num_timesteps:
        raise ValueError(f"DDIM num_steps must lie in 1..{num_timesteps} (the schedule's T), got {num_steps}")
    return [num_timesteps - 1 - (i * num_timesteps) // num_steps for i in range(num_steps)]


def ddim_step(
    schedule: NoiseSchedule,
    eps: torch.Tensor,
    x_t: torch.Tensor,
    t: int,
    t_prev: int,
    eta: float,
    noise: torch.Tensor | None,
    clip_denoised: bool = True,
) -> torch.Tensor:
    """One step ``x_t -> x_{t_prev}`` (``t_prev = -1`` means the clean image, ``alpha_bar = 1``); ``(B, ...)``."""
    if not 0 <= t_prev + 1 <= t:
        raise ValueError(f"DDIM needs -1 <= t_prev < t, got t={t} t_prev={t_prev}")
    a_t = float(schedule.alpha_bars[t])
    a_prev = float(schedule.alpha_bars[t_prev]) if t_prev >= 0 else 1.0
    x0_hat = schedule.predict_x0(x_t, t, eps)
    if clip_denoised:
        x0_hat = x0_hat.clamp(-1.0, 1.0)
        eps = (x_t - a_t**0.5 * x0_hat) / (1 - a_t) ** 0.5  # the noise consistent with the clipped x0
    # DDIM eq. 16: sigma_t(eta) = eta sqrt((1 - a_prev) / (1 - a_t)) sqrt(1 - a_t / a_prev)
    sigma = eta * ((1 - a_prev) / (1 - a_t)) ** 0.5 * (1 - a_t / a_prev) ** 0.5
    # DDIM eq. 12: x_prev = sqrt(a_prev) x0_hat + sqrt(1 - a_prev - sigma^2) eps + sigma z
    x_prev = a_prev**0.5 * x0_hat + max(1 - a_prev - sigma**2, 0.0) ** 0.5 * eps
    if sigma > 0:
        if noise is None:
            raise ValueError(f"ddim_step needs noise when sigma > 0 (eta={eta}, t={t})")
        x_prev = x_prev + sigma * noise
    return x_prev


@torch.no_grad()
def sample(
    model: EpsModel,
    schedule: NoiseSchedule,
    shape: Sequence[int],
    num_steps: int = 50,
    eta: float = 0.0,
    generator: torch.Generator | None = None,
    clip_denoised: bool = True,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """``shape = (B, C, H, W)`` samples after ``num_steps`` DDIM steps from ``x_T ~ N(0, I)``.

    Noise is drawn from ``generator`` in this order: ``x_T``, then one tensor per step whose sigma is
    positive (none when ``eta = 0``), the same order as :func:`dlbox.generative.ddpm.sample` at ``S = T``.
    ``device`` defaults to the network's (a module's first parameter's).
    """
    if eta < 0:
        raise ValueError(f"DDIM eta must be >= 0 (0 deterministic, 1 DDPM-like), got {eta}")
    steps = ddim_timesteps(schedule.num_timesteps, num_steps)
    device = model_device(model) if device is None else device
    x = standard_normal(shape, generator, device, dtype)  # (B, C, H, W) = x_T
    for t, t_prev in zip(steps, steps[1:] + [-1]):
        t_batch = torch.full((x.shape[0],), t, dtype=torch.long, device=x.device)
        eps = model(x, t_batch)
        needs_noise = eta > 0 and t_prev >= 0
        noise = standard_normal(shape, generator, device, dtype) if needs_noise else None
        x = ddim_step(schedule, eps, x, t, t_prev, eta, noise, clip_denoised)
    return x
