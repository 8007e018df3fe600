"""Robustness transforms applied to the image before every forward pass.

An image that excites a unit only at one exact pixel alignment is adversarial
noise, not a feature. Randomly jittering, rescaling and rotating it at every step
(differentiably, so the gradient flows back through the transform) makes the
optimisation keep only patterns that survive small changes of view.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def jitter(x: torch.Tensor, shift_y: int, shift_x: int) -> torch.Tensor:
    """Roll ``(B, C, H, W)`` by whole pixels (wrapping around): exact and cheap."""
    return torch.roll(x, shifts=(shift_y, shift_x), dims=(2, 3))


def affine(x: torch.Tensor, scale: float = 1.0, degrees: float = 0.0) -> torch.Tensor:
    """Scale about the centre and rotate by ``degrees``; borders reflect. Same size out."""
    if scale == 1.0 and degrees == 0.0:
        return x
    a = math.radians(degrees)
    cos, sin = math.cos(a) / scale, math.sin(a) / scale
    theta = torch.tensor([[cos, -sin, 0.0], [sin, cos, 0.0]], dtype=x.dtype, device=x.device)
    grid = F.affine_grid(theta.expand(x.shape[0], 2, 3), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


class RobustnessTransforms:
    """Random jitter (pixels), scale (+-fraction) and rotation (+-degrees), drawn anew at every call."""

    def __init__(self, jitter: int = 0, scale: float = 0.0, rotate: float = 0.0, seed: int = 0):
        if jitter < 0 or scale < 0 or rotate < 0:
            raise ValueError("jitter, scale and rotate must be non-negative")
        if scale >= 1:
            raise ValueError(f"scale is a fraction (0.1 = +-10%), got {scale}")
        self.jitter, self.scale, self.rotate = int(jitter), float(scale), float(rotate)
        self.gen = torch.Generator().manual_seed(seed)

    @property
    def active(self) -> bool:
        return bool(self.jitter or self.scale or self.rotate)

    def _uniform(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * float(torch.rand((), generator=self.gen))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.jitter:
            dy, dx = torch.randint(-self.jitter, self.jitter + 1, (2,), generator=self.gen).tolist()
            x = jitter(x, dy, dx)
        if self.scale or self.rotate:
            s = self._uniform(1 - self.scale, 1 + self.scale) if self.scale else 1.0
            r = self._uniform(-self.rotate, self.rotate) if self.rotate else 0.0
            x = affine(x, s, r)
        return x
