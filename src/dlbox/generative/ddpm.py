"""DDPM ancestral sampling (notes 4.4; Ho et al. 2020, Algorithm 2) with any epsilon-predicting network.

The network is any callable ``model(x_t, t) -> eps`` with ``x_t`` ``(B, ...)`` and ``t`` a long
``(B,)`` tensor of 0-indexed timesteps (see :mod:`~dlbox.generative.noise_schedule`). Samples
are in the network's space (``[-1, 1]`` for images trained through
:func:`~dlbox.generative.diffusion_loss.diffusion_loss`). The sampler leaves the
network's train/eval mode alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn as nn

from dlbox.generative.noise_schedule import NoiseSchedule

EpsModel = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def model_device(model: EpsModel) -> torch.device | None:
    """The device of an ``nn.Module``'s first parameter; ``None`` (the default device) for a plain callable."""
    if isinstance(model, nn.Module):
        return next(iter(model.parameters()), torch.empty(0)).device
    return None


def standard_normal(
    shape: Sequence[int], generator: torch.Generator | None, device: torch.device | str | None, dtype: torch.dtype
) -> torch.Tensor:
    """``N(0, I)`` noise of ``shape`` drawn from ``generator`` (on the generator's device), moved to ``device``."""
    gen_device = generator.device if generator is not None else device
    return torch.randn(tuple(shape), generator=generator, device=gen_device, dtype=dtype).to(device)


def ddpm_step(
    schedule: NoiseSchedule,
    eps: torch.Tensor,
    x_t: torch.Tensor,
    t: int,
    noise: torch.Tensor | None,
    clip_denoised: bool = True,
) -> torch.Tensor:
    """One reverse step ``x_t -> x_{t-1}`` given the predicted noise ``eps`` (all ``(B, ...)``).

    The mean is the posterior mean of ``q(x_{t-1} | x_t, x0_hat)`` at the predicted clean image
    (DDPM eq. 7 with eq. 4 solved for ``x_0``; without clipping this equals eq. 11), the variance
    is ``beta~_t`` (the posterior variance, DDPM section 3.2). ``noise`` is unused at ``t = 0``.
    """
    x0_hat = schedule.predict_x0(x_t, t, eps)
    if clip_denoised:
        x0_hat = x0_hat.clamp(-1.0, 1.0)
    mean, variance = schedule.posterior_mean_variance(x0_hat, x_t, t)
    if t == 0:
        return mean
    if noise is None:
        raise ValueError(f"ddpm_step needs noise at t={t} > 0")
    # DDPM Algorithm 2, line 4: x_{t-1} = mu + sigma_t z
    return mean + variance.sqrt() * noise


@torch.no_grad()
def sample(
    model: EpsModel,
    schedule: NoiseSchedule,
    shape: Sequence[int],
    generator: torch.Generator | None = None,
    clip_denoised: bool = True,
    device: torch.device | str | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """``shape = (B, C, H, W)`` samples after ``T`` reverse steps from ``x_T ~ N(0, I)``.

    Noise is drawn from ``generator`` in this order: ``x_T``, then one tensor per step with ``t > 0``.
    ``device`` defaults to the network's (a module's first parameter's).
    """
    device = model_device(model) if device is None else device
    x = standard_normal(shape, generator, device, dtype)  # (B, C, H, W) = x_T
    for t in reversed(range(schedule.num_timesteps)):
        t_batch = torch.full((x.shape[0],), t, dtype=torch.long, device=x.device)
        eps = model(x, t_batch)
        noise = standard_normal(shape, generator, device, dtype) if t > 0 else None
        x = ddpm_step(schedule, eps, x, t, noise, clip_denoised)
    return x
