"""Pictures of an attack: success-versus-epsilon curves and galleries of (original, perturbation, adversarial)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from dlbox.attacks.base import AttackResult


def plot_success_curves(curves: dict[str, list[tuple[float, float]]], path: str | Path, norm: str = "linf",
                        title: str = "attack success rate") -> None:
    """One line per attack: success rate (y) against the budget epsilon (x)."""
    from dlbox.plots import _plt

    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    for label, points in curves.items():
        pts = [(e, s) for e, s in points if s is not None]
        targeted = "targeted" in label and "untargeted" not in label
        ax.plot([e for e, _ in pts], [100 * s for _, s in pts], marker="o", ms=4, ls="--" if targeted else "-", label=label)
    ax.set_xlabel(f"epsilon ({'L-inf' if norm == 'linf' else 'L2'})")
    ax.set_ylabel("success rate (%)")
    ax.set_ylim(-2, 102)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def save_gallery(images: torch.Tensor, result: AttackResult, clean_pred: torch.Tensor, clean_conf: torch.Tensor,
                 class_names: Sequence[str], path: str | Path, k: int = 8) -> None:
    """Rows of (original, magnified perturbation, adversarial image), titled with classes and confidences."""
    import numpy as np

    from dlbox.plots import plot_image_grid

    k = min(k, len(images))
    if k == 0:
        return
    x, adv = images[:k].detach().cpu(), result.adversarial[:k].detach().cpu()
    delta = adv - x
    scale = delta.flatten(1).abs().amax(1).clamp_min(1e-12)
    shown = (0.5 + 0.5 * delta / scale.view(-1, 1, 1, 1)).clamp(0, 1)  # grey = no change
    tiles, titles = [], []
    for i in range(k):
        tiles += [x[i], shown[i], adv[i]]
        tgt = "" if result.target is None else f", target {class_names[int(result.target[i])]}"
        titles += [
            f"clean: {class_names[int(clean_pred[i])]} ({float(clean_conf[i]):.2f})",
            f"perturbation x{0.5 / float(scale[i]):.1f}{tgt}\nLinf {float(scale[i]):.3f}, L2 {float(delta[i].norm()):.2f}",
            f"adv: {class_names[int(result.pred[i])]} ({float(result.confidence[i]):.2f})"
            + ("" if bool(result.success[i]) else "\n(failed)"),
        ]
    arr = torch.stack(tiles).permute(0, 2, 3, 1).numpy().astype(np.float32)
    plot_image_grid(arr, titles, path, cols=3)


def gallery_order(labels: torch.Tensor, clean_pred: torch.Tensor, result: AttackResult) -> torch.Tensor:
    """Attacked images first (successes before failures), then the rest; stable within groups."""
    attacked = clean_pred == labels
    if result.target is not None:
        attacked &= labels != result.target
    key = (~attacked).long() * 2 + (~result.success).long()
    return torch.sort(key.cpu(), stable=True).indices.to(labels.device)


def take(result: AttackResult, idx: torch.Tensor) -> AttackResult:
    """The rows ``idx`` of ``result``."""
    return AttackResult(result.adversarial[idx], result.success[idx], result.pred[idx], result.confidence[idx],
                        result.queries[idx], None if result.target is None else result.target[idx])
