"""PNG plots written into run directories (matplotlib, Agg backend, no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curves(history: Sequence[dict[str, float]], path: str | Path, keys: Sequence[tuple[str, ...]] | None = None) -> None:
    """One panel per group of metrics over epochs (default: losses, then accuracies)."""
    plt = _plt()
    if not history:
        return
    names = [k for k in history[0] if k not in ("epoch", "step")]
    groups = keys or [tuple(k for k in names if "loss" in k), tuple(k for k in names if "loss" not in k)]
    groups = [g for g in groups if g]
    fig, axes = plt.subplots(1, len(groups), figsize=(5 * len(groups), 3.5), squeeze=False)
    epochs = [h["epoch"] + 1 for h in history]
    for ax, group in zip(axes[0], groups):
        for k in group:
            ax.plot(epochs, [h.get(k, np.nan) for h in history], marker="o", ms=3, label=k)
        ax.set_xlabel("epoch")
        ax.legend()
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_confusion(matrix: np.ndarray, class_names: Sequence[str], path: str | Path, title: str = "confusion matrix") -> None:
    """Counts with true classes as rows and predictions as columns."""
    plt = _plt()
    n = len(class_names)
    size = max(4.0, 0.45 * n + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(n), class_names, rotation=45, ha="right")
    ax.set_yticks(range(n), class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if n <= 20:
        hi = matrix.max() if matrix.size else 0
        for i in range(n):
            for j in range(n):
                ax.text(j, i, int(matrix[i, j]), ha="center", va="center", fontsize=8, color="white" if matrix[i, j] > hi / 2 else "black")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_image_grid(images: np.ndarray, titles: Sequence[str], path: str | Path, cols: int = 8) -> None:
    """``images (N, H, W, C|1)`` in [0, 1] with a title under each."""
    plt = _plt()
    n = len(images)
    rows = max(1, -(-n // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.8 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, img, title in zip(axes.flat, images, titles):
        ax.imshow(img.squeeze(-1) if img.shape[-1] == 1 else img, cmap="gray" if img.shape[-1] == 1 else None, vmin=0, vmax=1)
        ax.set_title(title, fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
