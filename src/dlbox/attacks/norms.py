"""Perturbation norms, projections onto epsilon balls and random starts (batched, per image).

Every function treats dimension 0 as the batch: a perturbation ``delta`` of
shape ``(B, C, H, W)`` has one norm per image. Images live in [0, 1]; the
adversarial image ``x + delta`` is clamped back into that box after every
projection. Clamping never leaves the ball: it only shrinks ``|delta_i|``
coordinate-wise, which lowers both the L-infinity and the L2 norm.
"""

from __future__ import annotations

import math

import torch

NORMS = ("linf", "l2")
_TINY = 1e-12


def check_norm(norm: str) -> str:
    if norm not in NORMS:
        raise ValueError(f"norm {norm!r} is not valid; use one of {', '.join(NORMS)}")
    return norm


def max_eps(norm: str, shape: tuple[int, ...]) -> float:
    """The largest meaningful budget for images in [0, 1] of ``shape`` (C, H, W): the box's radius."""
    check_norm(norm)
    return 1.0 if norm == "linf" else math.sqrt(math.prod(shape))


def check_eps(eps: float, norm: str, shape: tuple[int, ...]) -> float:
    """``eps`` if it lies in (0, max_eps]; otherwise a ValueError saying the valid range."""
    top = max_eps(norm, shape)
    if not (isinstance(eps, (int, float)) and math.isfinite(eps) and 0 < eps <= top):
        raise ValueError(
            f"epsilon {eps!r} is out of range for the {norm} norm on {'x'.join(map(str, shape))} images; "
            f"use a value in (0, {top:.4g}]" + (" (pixels are in [0, 1])" if norm == "linf" else "")
        )
    return float(eps)


def norm_of(delta: torch.Tensor, norm: str) -> torch.Tensor:
    """Per-image norm of ``delta (B, ...)`` -> ``(B,)``."""
    flat = delta.flatten(1)
    if check_norm(norm) == "linf":
        return flat.abs().amax(1)
    return flat.norm(p=2, dim=1)


def _view(v: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return v.view(-1, *([1] * (like.ndim - 1)))


def project(delta: torch.Tensor, eps: float | torch.Tensor, norm: str) -> torch.Tensor:
    """The closest point of the ``norm`` ball of radius ``eps`` (scalar or per image ``(B,)``)."""
    if check_norm(norm) == "linf":
        if isinstance(eps, torch.Tensor):
            e = _view(eps, delta)
            return torch.maximum(torch.minimum(delta, e), -e)
        return delta.clamp(-eps, eps)
    n = norm_of(delta, "l2")
    e = eps if isinstance(eps, torch.Tensor) else torch.full_like(n, float(eps))
    scale = torch.clamp(e / (n + _TINY), max=1.0)
    return delta * _view(scale, delta)


def clip_to_box(x: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
    """``delta`` with ``x + delta`` clamped into [0, 1]."""
    return (x + delta).clamp(0.0, 1.0) - x


def steepest_step(grad: torch.Tensor, norm: str) -> torch.Tensor:
    """The unit-norm direction of steepest ascent for ``norm``: sign(g) for L-inf, g/||g|| for L2."""
    if check_norm(norm) == "linf":
        return grad.sign()
    return grad / _view(norm_of(grad, "l2") + _TINY, grad)


def random_in_ball(shape: tuple[int, ...], eps: float, norm: str, generator: torch.Generator | None = None,
                   device: torch.device | str = "cpu") -> torch.Tensor:
    """Uniform samples from the ``norm`` ball of radius ``eps``, one per image of ``shape (B, ...)``."""
    if check_norm(norm) == "linf":
        u = torch.rand(shape, generator=generator, device=device)
        return (2 * u - 1) * eps
    d = math.prod(shape[1:])
    g = torch.randn(shape, generator=generator, device=device)
    direction = g / _view(norm_of(g, "l2") + _TINY, g)
    radius = torch.rand(shape[0], generator=generator, device=device) ** (1.0 / d) * eps  # uniform in volume
    return direction * _view(radius, g)
