"""White-box gradient attacks (notes 3.10.1): FGSM, iterative FGSM and PGD, L-infinity or L2.

The notes' method: with ``f(x)`` the network's output distribution and ``p``
the wanted one, iterate ``x <- x - a * dL(f(x), p)/dx``; after enough steps the
classifier answers ``argmax p``. Bounding the total change ``||x' - x|| <= eps``
and projecting back after every step is PGD (Madry et al.); one step of size
``eps`` is FGSM (Goodfellow et al.); PGD without the random start is iterative
FGSM (Kurakin et al.). Untargeted attacks instead ascend ``L(f(x), y)`` for the
true label ``y``.

All functions are pure: they take a model (used in eval mode, left in the mode
it had), a batch of images in [0, 1] and labels, and return an
:class:`~dlbox.attacks.base.AttackResult`; the whole batch moves at once.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from dlbox.attacks.base import AttackResult, ascent_objective, check_target, succeeded, target_classes
from dlbox.attacks.norms import check_eps, check_norm, clip_to_box, project, random_in_ball, steepest_step


class _EvalMode:
    """Run a model in eval mode (batch-norm statistics, no dropout) and restore its mode after."""

    def __init__(self, model: nn.Module):
        self.model, self.was = model, model.training

    def __enter__(self) -> nn.Module:
        self.model.eval()
        return self.model

    def __exit__(self, *exc: object) -> None:
        self.model.train(self.was)


def _check(images: torch.Tensor, labels: torch.Tensor, eps: float, norm: str, target: torch.Tensor | None) -> None:
    if images.ndim != 4:
        raise ValueError(f"images must be (B, C, H, W), got shape {tuple(images.shape)}")
    if labels.shape != (images.shape[0],):
        raise ValueError(f"labels must be (B,) with B={images.shape[0]}, got {tuple(labels.shape)}")
    check_norm(norm)
    check_eps(eps, norm, tuple(images.shape[1:]))
    check_target(target, images.shape[0])


def _objective_and_grad(model: nn.Module, x: torch.Tensor, delta: torch.Tensor, labels: torch.Tensor,
                        target: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Logits, per-image objective and its gradient with respect to ``delta`` (parameters get no .grad)."""
    delta = delta.detach().requires_grad_(True)
    with torch.enable_grad():
        logits = model(x + delta)
        objective = ascent_objective(logits, labels, target)
        (grad,) = torch.autograd.grad(objective.sum(), delta)
    return logits.detach(), objective.detach(), grad


def _finish(model: nn.Module, adv: torch.Tensor, labels: torch.Tensor, target: torch.Tensor | None,
            queries: torch.Tensor) -> AttackResult:
    adv = adv.clamp(0.0, 1.0)  # x + delta can round a hair outside the box
    with torch.no_grad():
        probs = model(adv).float().softmax(1)
    conf, pred = probs.max(1)
    success = pred != labels if target is None else pred == target_classes(target)
    return AttackResult(adv, success, pred, conf, queries, target_classes(target))


def fgsm(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, eps: float, norm: str = "linf",
         target: torch.Tensor | None = None) -> AttackResult:
    """Fast gradient (sign) method: one step of length ``eps`` along the steepest direction.

    L-infinity: ``x' = x + eps * sign(g)``; L2: ``x' = x + eps * g / ||g||``; with
    ``g`` the gradient of the objective (see :func:`~dlbox.attacks.base.ascent_objective`).
    """
    _check(images, labels, eps, norm, target)
    x = images.detach()
    with _EvalMode(model):
        _, _, grad = _objective_and_grad(model, x, torch.zeros_like(x), labels, target)
        delta = clip_to_box(x, project(eps * steepest_step(grad, norm), eps, norm))
        queries = torch.full((len(x),), 2, dtype=torch.long, device=x.device)  # one gradient + one check
        return _finish(model, x + delta, labels, target, queries)


def pgd(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, eps: float, norm: str = "linf",
        steps: int = 40, step_size: float | None = None, target: torch.Tensor | None = None,
        random_start: bool = True, restarts: int = 1, generator: torch.Generator | None = None) -> AttackResult:
    """Projected gradient descent within the ``norm`` ball of radius ``eps``.

    Each step moves ``step_size`` (default ``2.5 * eps / steps``) along the
    steepest direction of the objective, projects onto the ball and clamps to
    [0, 1]. ``random_start`` begins at a uniform point of the ball. Every
    iterate is checked; an image keeps its best one (successful first, then
    highest objective), so a later step that drifts back cannot undo success.
    ``restarts`` > 1 retries, from new random starts, only the images not yet
    fooled. ``queries`` counts forward+backward passes per image.
    """
    _check(images, labels, eps, norm, target)
    if steps < 1 or restarts < 1:
        raise ValueError(f"steps and restarts must be at least 1, got {steps} and {restarts}")
    alpha = 2.5 * eps / steps if step_size is None else float(step_size)
    if alpha <= 0:
        raise ValueError(f"step size must be positive, got {alpha}")
    x = images.detach()
    n = len(x)
    best = x.clone()
    best_key = torch.full((n,), float("-inf"), device=x.device)  # success * BIG + objective
    queries = torch.zeros(n, dtype=torch.long, device=x.device)
    todo = torch.arange(n, device=x.device)
    with _EvalMode(model):
        for _ in range(restarts):
            xs, ys = x[todo], labels[todo]
            ts = None if target is None else target[todo]
            if random_start:
                delta = clip_to_box(xs, random_in_ball(tuple(xs.shape), eps, norm, generator, xs.device))
            else:
                delta = torch.zeros_like(xs)
            for step in range(steps + 1):
                if step < steps:
                    logits, objective, grad = _objective_and_grad(model, xs, delta, ys, ts)
                else:  # the last iterate is only checked: no gradient needed
                    with torch.no_grad():
                        logits = model(xs + delta)
                        objective = ascent_objective(logits, ys, ts)
                key = objective + 1e6 * succeeded(logits, ys, ts).float()
                better = key > best_key[todo]
                best_key[todo] = torch.where(better, key, best_key[todo])
                best[todo] = torch.where(better[:, None, None, None], xs + delta, best[todo])
                queries[todo] += 1
                if step == steps:
                    break
                delta = delta + alpha * steepest_step(grad, norm)
                delta = clip_to_box(xs, project(delta, eps, norm))
            todo = todo[best_key[todo] < 1e5]  # not yet fooled
            if len(todo) == 0:
                break
        return _finish(model, best, labels, target, queries)


def iterative_fgsm(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, eps: float, norm: str = "linf",
                   steps: int = 10, step_size: float | None = None, target: torch.Tensor | None = None) -> AttackResult:
    """Iterative FGSM (basic iterative method): PGD from the clean image, no random start."""
    return pgd(model, images, labels, eps, norm, steps, step_size, target, random_start=False, restarts=1)
