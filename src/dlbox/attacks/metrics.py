"""What an attack achieved over a set of images: success rate, perturbation sizes, queries.

Pure functions of tensors and a model; the ``dlbox attack`` command
(:mod:`dlbox.tasks.attack`) writes them into its run directory.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn

from dlbox.attacks.base import AttackResult
from dlbox.attacks.norms import norm_of


def _stats(values: torch.Tensor, prefix: str) -> dict[str, float | None]:
    if len(values) == 0:
        return {f"{prefix}_mean": None, f"{prefix}_median": None}
    v = values.double().cpu()
    return {f"{prefix}_mean": float(v.mean()), f"{prefix}_median": float(torch.quantile(v, 0.5))}  # midpoint median


def attack_metrics(images: torch.Tensor, labels: torch.Tensor, clean_pred: torch.Tensor, result: AttackResult,
                   black_box: bool = False) -> dict[str, Any]:
    """Clean accuracy, success rate and perturbation sizes (and queries for a black-box attack).

    The success rate is over the *attacked* images: those the model classifies
    correctly when clean and, for a targeted attack, whose label is not already
    the target. Norms and confidences are over the successful ones.
    """
    correct = clean_pred == labels
    attacked = correct if result.target is None else correct & (labels != result.target)
    won = result.success & attacked
    delta = result.adversarial - images
    n_att = int(attacked.sum())
    out: dict[str, Any] = {
        "n": len(images),
        "clean_accuracy": float(correct.float().mean()) if len(images) else None,
        "n_attacked": n_att,
        "n_success": int(won.sum()),
        "success_rate": float(won.sum()) / n_att if n_att else None,
        # Accuracy under attack (untargeted: the robust accuracy of the model at this budget).
        "adversarial_accuracy": float((result.pred == labels).float().mean()) if len(images) else None,
        **_stats(norm_of(delta[won], "linf"), "linf"),
        **_stats(norm_of(delta[won], "l2"), "l2"),
        **_stats(result.confidence[won], "adv_confidence"),
    }
    if black_box:
        out.update(_stats(result.queries[won], "queries"))
        out.update({f"{k}_all": v for k, v in _stats(result.queries[attacked], "queries").items()})
    else:
        out.update(_stats(result.queries[attacked], "gradient_evals"))
    return out


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
    """Classes and their probabilities ``(N,)``, ``(N,)`` in eval mode (the model's mode is restored)."""
    was = model.training
    model.eval()
    try:
        if len(images) == 0:
            return torch.zeros(0, dtype=torch.long, device=images.device), torch.zeros(0, device=images.device)
        probs = torch.cat([model(images[i : i + batch_size]).float().softmax(1) for i in range(0, len(images), batch_size)])
    finally:
        model.train(was)
    conf, pred = probs.max(1)
    return pred, conf
