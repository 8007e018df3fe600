"""The diffusion forward process (notes 4.4; Ho et al. 2020, "DDPM"): beta schedules and q.

This is the "scheduler" of the network / process / sampler split. Timesteps are
0-indexed, ``t = 0 .. T-1``: ``betas[t]`` is the variance added by step ``t``, so
``x_t`` is the image after ``t + 1`` noising steps and ``alpha_bars[t] = prod_{s<=t} alpha_s``.
The samplers (:mod:`~dlbox.generative.ddpm`, :mod:`~dlbox.generative.ddim`) take ``alpha_bar = 1``
before the first step (``t = -1`` is the clean image).

All schedule arrays are float64 (the cumulative product loses digits in float32);
:meth:`NoiseSchedule.gather` casts the values it picks to the input's dtype and device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

import torch


def linear_betas(num_timesteps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02) -> torch.Tensor:
    """``(T,)`` float64 betas increasing linearly from ``beta_start`` to ``beta_end`` (DDPM section 4)."""
    _check_timesteps(num_timesteps)
    if not 0 < beta_start <= beta_end < 1:
        raise ValueError(f"linear betas need 0 < beta_start <= beta_end < 1, got {beta_start} and {beta_end}")
    return torch.linspace(beta_start, beta_end, num_timesteps, dtype=torch.float64)


def cosine_betas(num_timesteps: int = 1000, offset: float = 0.008, max_beta: float = 0.999) -> torch.Tensor:
    """``(T,)`` float64 betas of the cosine schedule (Nichol & Dhariwal 2021, eq. 17).

    ``alpha_bar(t) = f(t) / f(0)`` with ``f(t) = cos^2((t/T + s) / (1 + s) * pi/2)``, and
    ``beta_t = 1 - alpha_bar(t+1) / alpha_bar(t)`` clipped to ``max_beta`` (their section 3.2).
    """
    _check_timesteps(num_timesteps)
    if offset < 0 or not 0 < max_beta < 1:
        raise ValueError(f"cosine betas need offset >= 0 and 0 < max_beta < 1, got {offset} and {max_beta}")
    steps = torch.arange(num_timesteps + 1, dtype=torch.float64) / num_timesteps  # (T+1,) t/T for t = 0..T
    # Nichol & Dhariwal eq. 17: f(t) = cos^2(((t/T + s) / (1 + s)) * pi/2)
    f = torch.cos((steps + offset) / (1 + offset) * math.pi / 2) ** 2
    alpha_bar = f / f[0]
    return (1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(max=max_beta)  # (T,)


def _check_timesteps(num_timesteps: int) -> None:
    if num_timesteps < 1:
        raise ValueError(f"num_timesteps must be at least 1, got {num_timesteps}")


@dataclass(frozen=True)
class NoiseSchedule:
    """Every per-timestep constant of the forward process, all ``(T,)`` float64.

    Build it with ``NoiseSchedule.from_betas(linear_betas())``.
    """

    betas: torch.Tensor
    alphas: torch.Tensor
    alpha_bars: torch.Tensor
    alpha_bars_prev: torch.Tensor
    posterior_variance: torch.Tensor
    posterior_mean_coef_x0: torch.Tensor
    posterior_mean_coef_xt: torch.Tensor

    @classmethod
    def from_betas(cls, betas: torch.Tensor) -> NoiseSchedule:
        betas = torch.as_tensor(betas, dtype=torch.float64).flatten()
        if betas.numel() < 1 or not bool(((betas > 0) & (betas < 1)).all()):
            raise ValueError("betas must be a non-empty sequence of values in (0, 1)")
        # DDPM eq. 4 notation: alpha_t = 1 - beta_t, alpha_bar_t = prod_{s<=t} alpha_s
        alphas = 1.0 - betas
        alpha_bars = torch.cumprod(alphas, dim=0)
        alpha_bars_prev = torch.cat([alpha_bars.new_ones(1), alpha_bars[:-1]])
        # DDPM eq. 7: beta~_t = (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) * beta_t
        posterior_variance = (1 - alpha_bars_prev) / (1 - alpha_bars) * betas
        # DDPM eq. 7: mu~_t = sqrt(alpha_bar_{t-1}) beta_t / (1 - alpha_bar_t) x_0
        #                   + sqrt(alpha_t) (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) x_t
        coef_x0 = alpha_bars_prev.sqrt() * betas / (1 - alpha_bars)
        coef_xt = alphas.sqrt() * (1 - alpha_bars_prev) / (1 - alpha_bars)
        return cls(betas, alphas, alpha_bars, alpha_bars_prev, posterior_variance, coef_x0, coef_xt)

    @property
    def num_timesteps(self) -> int:
        return int(self.betas.numel())

    def to(self, device: torch.device | str) -> NoiseSchedule:
        """The same schedule with every array on ``device`` (still float64), so gathers copy nothing."""
        return replace(self, **{f.name: getattr(self, f.name).to(device) for f in fields(self)})

    def gather(self, values: torch.Tensor, t: torch.Tensor | int, like: torch.Tensor) -> torch.Tensor:
        """``values[t]`` shaped ``(B, 1, ..., 1)`` (or a scalar for an int ``t``) to broadcast against
        ``like`` ``(B, ...)``, in its dtype and on its device."""
        if isinstance(t, int):
            if not 0 <= t < self.num_timesteps:
                raise ValueError(f"timesteps must lie in 0..{self.num_timesteps - 1}, got {t}")
            return values[t].to(device=like.device, dtype=like.dtype)
        t = self.check_t(t, like.shape[0])
        picked = values.to(like.device)[t.to(like.device)]  # (B,)
        return picked.to(like.dtype).view(-1, *([1] * (like.dim() - 1)))

    def check_t(self, t: torch.Tensor | int, batch: int) -> torch.Tensor:
        """``t`` as a long ``(batch,)`` tensor; a 0-d value is broadcast; out-of-range values raise."""
        t = torch.as_tensor(t, dtype=torch.long)
        if t.dim() == 0:
            t = t.expand(batch)
        if t.shape != (batch,):
            raise ValueError(f"timesteps must be an int or a ({batch},) tensor, got shape {tuple(t.shape)}")
        if bool((t < 0).any()) or bool((t >= self.num_timesteps).any()):
            raise ValueError(f"timesteps must lie in 0..{self.num_timesteps - 1}, got {t.min().item()}..{t.max().item()}")
        return t

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor | int, noise: torch.Tensor) -> torch.Tensor:
        """A draw of ``x_t ~ q(x_t | x_0)``; ``x0`` and ``noise`` ``(B, ...)``, ``t`` ``(B,)``.

        DDPM eq. 4: ``x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps``.
        """
        if noise.shape != x0.shape:
            raise ValueError(f"noise shape {tuple(noise.shape)} differs from x0 shape {tuple(x0.shape)}")
        a = self.gather(self.alpha_bars, t, x0)
        return a.sqrt() * x0 + (1 - a).sqrt() * noise

    def predict_x0(self, x_t: torch.Tensor, t: torch.Tensor | int, eps: torch.Tensor) -> torch.Tensor:
        """``x_0`` implied by a noise prediction: DDPM eq. 4 solved for ``x_0``."""
        a = self.gather(self.alpha_bars, t, x_t)
        return (x_t - (1 - a).sqrt() * eps) / a.sqrt()

    def posterior_mean_variance(
        self, x0: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor | int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean ``(B, ...)`` and variance ``(B, 1, ..., 1)`` (0-d for an int ``t``) of ``q(x_{t-1} | x_t, x_0)``
        (DDPM eqs. 6-7).

        At ``t = 0`` the variance is 0 and the mean is ``x_0``.
        """
        mean = self.gather(self.posterior_mean_coef_x0, t, x_t) * x0 + self.gather(self.posterior_mean_coef_xt, t, x_t) * x_t
        return mean, self.gather(self.posterior_variance, t, x_t)
