"""One entry point for every attack: pick FGSM, iterative FGSM, PGD or the evolution strategy by name.

:func:`attack` runs the named method over any number of images, ``batch_size``
at a time, with one seeded generator for the random starts and mutations, and
concatenates the per-batch :class:`~dlbox.attacks.base.AttackResult` records.
The method's own settings are keyword arguments with the papers' usual
defaults; a setting another method uses is ignored.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from dlbox.attacks.base import AttackResult, check_target, target_classes
from dlbox.attacks.evolution import evolution_attack
from dlbox.attacks.gradient import fgsm, iterative_fgsm, pgd
from dlbox.attacks.norms import check_eps, check_norm

METHODS = ("fgsm", "ifgsm", "pgd", "evolution")
DEFAULT_STEPS = {"ifgsm": 10, "pgd": 40}


def check_method(method: str) -> str:
    if method not in METHODS:
        raise ValueError(f"attack method {method!r} is not valid; use one of {', '.join(METHODS)}")
    return method


def check_settings(steps: int | None = None, restarts: int = 1, population: int = 8, offspring: int = 24,
                   max_queries: int = 2000, batch_size: int = 512) -> None:
    """The counts :func:`attack` takes, each with a clear error naming it and its valid range."""
    for key, value in (("restarts", restarts), ("population", population), ("offspring", offspring), ("batch_size", batch_size)):
        if value < 1:
            raise ValueError(f"{key} must be at least 1, got {value}")
    if steps is not None and steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    if max_queries < population + 1:
        raise ValueError(f"max_queries must be at least population + 1 = {population + 1}, got {max_queries}")


def attack(
    model: nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    eps: float,
    method: str = "pgd",
    norm: str = "linf",
    target: torch.Tensor | None = None,
    *,
    steps: int | None = None,
    step_size: float | None = None,
    random_start: bool = True,
    restarts: int = 1,
    population: int = 8,
    offspring: int = 24,
    sigma: float = 1.0,
    max_queries: int = 2000,
    batch_size: int = 512,
    seed: int = 0,
) -> AttackResult:
    """Attack ``images (N, C, H, W)`` in [0, 1] with true ``labels (N,)`` inside the ``norm`` ball of radius ``eps``.

    ``method``: ``fgsm`` | ``ifgsm`` | ``pgd`` (white-box; ``steps`` default 10 / 40,
    ``step_size`` default ``2.5 * eps / steps``, PGD's ``random_start`` and
    ``restarts``) | ``evolution`` (black-box; ``population`` mu, ``offspring``
    lambda, ``sigma`` the initial mutation strength as a fraction of ``eps``,
    ``max_queries`` per image). ``target``: None (untargeted), class indices
    ``(N,)`` or distributions ``(N, K)``. The result's rows follow ``images``.
    """
    check_method(method)
    check_norm(norm)
    check_eps(eps, norm, tuple(images.shape[1:]))
    check_settings(steps, restarts, population, offspring, max_queries, batch_size)
    check_target(target, images.shape[0])
    if len(images) == 0:
        return AttackResult(images.clone(), torch.zeros(0, dtype=torch.bool, device=images.device),
                            labels.clone(), torch.zeros(0, device=images.device), torch.zeros(0, dtype=torch.long, device=images.device),
                            target_classes(target))
    gen = torch.Generator(device=images.device).manual_seed(seed)
    parts = []
    for i in range(0, len(images), batch_size):
        x, y = images[i : i + batch_size], labels[i : i + batch_size]
        t = None if target is None else target[i : i + batch_size]
        if method == "fgsm":
            parts.append(fgsm(model, x, y, eps, norm, t))
        elif method == "ifgsm":
            parts.append(iterative_fgsm(model, x, y, eps, norm, steps or DEFAULT_STEPS["ifgsm"], step_size, t))
        elif method == "pgd":
            parts.append(pgd(model, x, y, eps, norm, steps or DEFAULT_STEPS["pgd"], step_size, t, random_start, restarts, gen))
        else:
            parts.append(evolution_attack(model, x, y, eps, norm, t, population, offspring, sigma, max_queries, gen))
    return concat_results(parts)


def concat_results(parts: list[AttackResult]) -> AttackResult:
    """The per-batch results of one attack as one result (rows in batch order)."""
    def cat(name: str) -> torch.Tensor:
        return torch.cat([getattr(p, name) for p in parts])

    has_target = parts[0].target is not None
    return AttackResult(cat("adversarial"), cat("success"), cat("pred"), cat("confidence"), cat("queries"),
                        cat("target") if has_target else None)
