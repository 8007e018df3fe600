"""Black-box evolutionary attack (notes 3.10.1, "evolutionary approach").

The attacker sees only the model's output probabilities: no weights, no
gradients. A (mu + lambda) evolution strategy searches, independently for each
image, the set of perturbations ``delta`` with ``||delta|| <= eps`` and
``x + delta`` in [0, 1]:

1. start ``mu`` parents at random points of the ball's surface (corners for L-inf),
2. each generation, breed ``lambda`` children: uniform crossover of two
   parents chosen from the population, then Gaussian mutation of strength
   ``sigma * eps``, then projection back onto the ball and the [0, 1] box,
3. query the model on every child (one query each), score them by the
   log-probability margin (negative = fooled; see :func:`~dlbox.attacks.base.margin`),
4. keep the best ``mu`` of parents and children (elitism), adapt ``sigma``
   by the one-fifth success rule, and stop an image as soon as one member fools the model or its query
   budget would be exceeded.

All images and all children of a generation are evaluated in batched forward
passes; finished images drop out of the batch.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn as nn

from dlbox.attacks.base import AttackResult, check_target, margin, target_classes
from dlbox.attacks.norms import check_eps, check_norm, clip_to_box, norm_of, project

QueryFn = Callable[[torch.Tensor], torch.Tensor]  # images (N, C, H, W) -> probabilities (N, K)


def probabilities(model: nn.Module) -> QueryFn:
    """A black-box view of ``model``: images in, softmax probabilities out, never a gradient."""

    @torch.no_grad()
    def query(images: torch.Tensor) -> torch.Tensor:
        was = model.training
        model.eval()
        try:
            return model(images).float().softmax(1)
        finally:
            model.train(was)

    return query


def _evaluate(query: QueryFn, images: torch.Tensor, chunk: int) -> torch.Tensor:
    """Log-probabilities of ``images`` through ``query``, in chunks of at most ``chunk`` images."""
    with torch.no_grad():
        probs = torch.cat([query(images[i : i + chunk]) for i in range(0, len(images), chunk)])
    return probs.float().clamp_min(1e-30).log()


def _surface(shape: tuple[int, ...], eps: float, norm: str, gen: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """Random points on the ball's boundary: the corners ``+-eps`` for L-inf, radius ``eps`` for L2."""
    g = torch.randn(shape, generator=gen, device=device)
    if norm == "linf":
        return eps * g.sign()
    return eps * g / norm_of(g, "l2").clamp_min(1e-12).view(-1, *([1] * (g.ndim - 1)))


def evolution_attack(
    query: QueryFn | nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    eps: float,
    norm: str = "linf",
    target: torch.Tensor | None = None,
    population: int = 4,
    offspring: int = 12,
    sigma: float = 0.5,
    max_queries: int = 1000,
    generator: torch.Generator | None = None,
    chunk: int = 4096,
) -> AttackResult:
    """Evolve a bounded perturbation per image that fools ``query`` (black box, probabilities only).

    ``query`` is a callable returning probabilities ``(N, K)`` (an ``nn.Module``
    is wrapped by :func:`probabilities`). ``population`` = mu parents,
    ``offspring`` = lambda children per generation, ``sigma`` the initial
    mutation strength as a fraction of ``eps``; ``max_queries`` caps the
    model evaluations spent on each image (the clean check included).
    ``queries`` in the result is what each image actually used.
    """
    if images.ndim != 4:
        raise ValueError(f"images must be (B, C, H, W), got shape {tuple(images.shape)}")
    check_norm(norm)
    check_eps(eps, norm, tuple(images.shape[1:]))
    check_target(target, images.shape[0])
    mu, lam = int(population), int(offspring)
    if mu < 1 or lam < 1:
        raise ValueError(f"population and offspring must be at least 1, got {mu} and {lam}")
    if max_queries < 1 + mu:
        raise ValueError(f"max_queries must be at least population + 1 = {mu + 1}, got {max_queries}")
    if isinstance(query, nn.Module):
        query = probabilities(query)
    cls = target_classes(target)
    x = images.detach()
    n, shape, dev = len(x), tuple(x.shape[1:]), x.device

    # The clean image: already fooled (misclassified, or already the target) costs one query.
    logp = _evaluate(query, x, chunk)
    adv = x.clone()
    adv_logp = logp.clone()
    queries = torch.ones(n, dtype=torch.long, device=dev)
    active = (margin(logp, labels, cls) >= 0).nonzero().flatten()
    if len(active):
        xa, ya = x[active], labels[active]
        ta = None if cls is None else cls[active]
        b = len(active)
        # Parents (b, mu, C, H, W), their log-probabilities (b, mu, K) and fitness (b, mu).
        parents = _surface((b * mu, *shape), eps, norm, generator, dev).view(b, mu, *shape)
        parents = clip_to_box(xa[:, None], parents)
        plogp = _evaluate(query, (xa[:, None] + parents).flatten(0, 1), chunk).view(b, mu, -1)
        fit = _fitness(plogp, ya, ta)
        used = torch.full((b,), 1 + mu, dtype=torch.long, device=dev)
        step = torch.full((b,), float(sigma), device=dev)
        idx = torch.arange(b, device=dev)  # rows still searching
        while True:
            idx = idx[(fit[idx].min(1).values >= 0) & (used[idx] + lam <= max_queries)]
            if len(idx) == 0:
                break
            k = len(idx)
            par, f, xs = parents[idx], fit[idx], xa[idx]
            rows = torch.arange(k, device=dev)[:, None]
            # Crossover of two parents picked uniformly from the population, coordinate by coordinate.
            pick = torch.randint(0, mu, (k, lam, 2), generator=generator, device=dev)
            pa, pb = par[rows, pick[..., 0]], par[rows, pick[..., 1]]
            child = torch.where(torch.rand(pa.shape, generator=generator, device=dev) < 0.5, pa, pb)
            # Gaussian mutation of strength step * eps per coordinate (L-inf) or in total (L2).
            noise = torch.randn(child.shape, generator=generator, device=dev)
            if norm == "l2":
                noise = noise / float(noise[0, 0].numel()) ** 0.5
            child = child + (step[idx] * eps).view(k, 1, *([1] * len(shape))) * noise
            child = project(child.flatten(0, 1), eps, norm)
            child = clip_to_box(xs.repeat_interleave(lam, 0), child).view(k, lam, *shape)
            clogp = _evaluate(query, (xs[:, None] + child).flatten(0, 1), chunk).view(k, lam, -1)
            cfit = _fitness(clogp, ya[idx], None if ta is None else ta[idx])
            used[idx] += lam
            # One-fifth rule: widen the search when children often beat the best parent, narrow it otherwise.
            rate = (cfit < f.min(1, keepdim=True).values).float().mean(1)
            step[idx] = (step[idx] * torch.exp((rate - 0.2) / 0.8)).clamp(0.02, 2.0)
            # (mu + lambda) selection: the best mu of parents and children survive.
            order = torch.cat([f, cfit], 1).argsort(1)[:, :mu]
            fit[idx] = torch.cat([f, cfit], 1).gather(1, order)
            parents[idx] = torch.cat([par, child], 1)[rows, order]
            plogp[idx] = torch.cat([plogp[idx], clogp], 1)[rows, order]
        best = fit.argmin(1)
        rows_b = torch.arange(b, device=dev)
        adv[active] = (xa + parents[rows_b, best]).clamp(0.0, 1.0)
        adv_logp[active] = plogp[rows_b, best]
        queries[active] = used

    conf, pred = adv_logp.exp().max(1)  # from the search's own queries: no extra model call
    success = pred != labels if cls is None else pred == cls
    return AttackResult(adv, success, pred, conf, queries, cls)


def _fitness(logp: torch.Tensor, labels: torch.Tensor, target: torch.Tensor | None) -> torch.Tensor:
    """Margin of ``logp (b, m, K)`` for each member -> ``(b, m)``; negative = fooled."""
    b, m, k = logp.shape
    t = None if target is None else target.repeat_interleave(m)
    return margin(logp.reshape(b * m, k), labels.repeat_interleave(m), t).view(b, m)
