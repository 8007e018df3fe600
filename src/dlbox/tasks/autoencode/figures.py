"""The pictures ``dlbox autoencode`` writes: galleries, error histograms, ROC curves, the latent map and grid."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch


def save_rows(rows: list[torch.Tensor], names: list[str], path: Path, show: int = 8, titles: list[list[str]] | None = None) -> None:
    """A gallery with one row per tensor of ``rows`` (the first ``show`` images each), values clamped to [0, 1]."""
    from dlbox.plots import plot_image_grid

    k = min(show, *(len(r) for r in rows))
    if k == 0:
        return
    tiles = torch.cat([r[:k].detach().float().cpu().clamp(0, 1) for r in rows]).permute(0, 2, 3, 1).numpy()  # (rows*k, H, W, C)
    labels = [titles[j][i] if titles else names[j] for j in range(len(rows)) for i in range(k)]
    plot_image_grid(tiles, labels, path, cols=k)


def plot_error_histograms(groups: dict[str, torch.Tensor], threshold: float, path: Path) -> None:
    """Densities of the reconstruction errors of each group, with the detection threshold."""
    from dlbox.plots import _plt

    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.8))
    top = max((float(v.max()) for v in groups.values() if len(v)), default=1.0)
    bins = torch.linspace(0, top, 50).numpy()
    for name, values in groups.items():
        if len(values):
            ax.hist(values.cpu().numpy(), bins=bins, alpha=0.5, density=True, label=f"{name} (n={len(values)})")
    ax.axvline(threshold, color="k", ls="--", lw=1, label=f"threshold {threshold:.4f}")
    ax.set_xlabel("reconstruction error (MSE)")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_roc(positives: dict[str, torch.Tensor], normal: torch.Tensor, path: Path) -> None:
    """ROC curve of each group of anomaly scores against the ``normal`` scores."""
    from sklearn.metrics import roc_curve

    from dlbox.autoencoders.anomaly import roc_auc
    from dlbox.plots import _plt

    plt = _plt()
    fig, ax = plt.subplots(figsize=(4.5, 4.2))
    for name, scores in positives.items():
        if len(scores) == 0 or len(normal) == 0:
            continue
        y = torch.cat([torch.zeros(len(normal)), torch.ones(len(scores))]).numpy()
        s = torch.cat([normal.cpu(), scores.cpu()]).double().numpy()
        fpr, tpr, _ = roc_curve(y, s)
        ax.plot(fpr, tpr, label=f"{name}: AUC {roc_auc(normal, scores):.3f}")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
    ax.set_xlabel("false alarm rate (normal flagged)")
    ax.set_ylabel("detection rate")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_latent_map(points: torch.Tensor, labels: torch.Tensor, class_names: Sequence[str], path: Path,
                    lo: torch.Tensor | None = None, hi: torch.Tensor | None = None) -> None:
    """Map ``points (N, 2)`` scattered by class, each class named at its centre; the grid's box dashed."""
    from dlbox.plots import _plt

    plt = _plt()
    p, y = points.detach().cpu().numpy(), labels.cpu().numpy()
    fig, ax = plt.subplots(figsize=(6, 5))
    cmap = plt.get_cmap("tab10" if len(class_names) <= 10 else "tab20")
    for c, name in enumerate(class_names):
        sel = y == c
        if sel.any():
            ax.scatter(p[sel, 0], p[sel, 1], s=8, color=cmap(c % cmap.N), label=name, alpha=0.8)
            cx, cy = p[sel].mean(0)
            ax.text(cx, cy, name, fontsize=11, weight="bold", ha="center", va="center",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "alpha": 0.6, "lw": 0})
    if lo is not None and hi is not None:
        ax.add_patch(plt.Rectangle((float(lo[0]), float(lo[1])), float(hi[0] - lo[0]), float(hi[1] - lo[1]),
                                   fill=False, ls="--", lw=0.8, color="grey"))
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    ax.set_title("test images in the autoencoder's code")
    ax.legend(fontsize=7, markerscale=2, loc="best", ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_montage(images: torch.Tensor, n: int, path: Path, lo: torch.Tensor, hi: torch.Tensor) -> None:
    """``n x n`` images tiled into one picture, axes labelled with the map coordinates they decode."""
    from dlbox.plots import _plt

    plt = _plt()
    x = images.detach().float().cpu().clamp(0, 1)
    x = torch.nn.functional.pad(x, (0, 1, 0, 1), value=0.35)  # a thin grey line between tiles
    _, c, h, w = x.shape
    tiles = x.view(n, n, c, h, w).permute(0, 3, 1, 4, 2).reshape(n * h, n * w, c).numpy()  # (n*H, n*W, C)
    fig, ax = plt.subplots(figsize=(6, 6))
    extent = (float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]))
    ax.imshow(tiles.squeeze(-1) if c == 1 else tiles, cmap="gray" if c == 1 else None, vmin=0, vmax=1, extent=extent,
              aspect="auto", interpolation="nearest")
    ax.set_xlabel("z1")
    ax.set_ylabel("z2")
    ax.set_title(f"decodings of a {n}x{n} grid of codes")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
