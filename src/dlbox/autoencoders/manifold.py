"""The data manifold (notes 3.10.2) seen through an autoencoder's code.

A 2-D bottleneck gives a map: every image becomes a point, images of a class
gather along a region, and decoding a regular grid of points shows what the
decoder thinks lies between them (the manifold's smooth surface). Codes of
more than two dimensions are shown in their first two principal directions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from dlbox.autoencoders.metrics import encode, mse_per_image, psnr, reconstruct


class Plane:
    """Maps codes to 2-D map coordinates and back: identity for 2-D codes, PCA otherwise."""

    def __init__(self, codes: torch.Tensor):
        self.dim = codes.shape[1]
        self.mean = codes.mean(0)
        if self.dim == 2:
            self.basis = torch.eye(2, device=codes.device, dtype=codes.dtype)
        elif self.dim == 1:
            self.basis = torch.ones(1, 2, device=codes.device, dtype=codes.dtype)  # a line, drawn on the diagonal
        else:
            _, _, v = torch.linalg.svd(codes - self.mean, full_matrices=False)
            self.basis = v[:2].T  # (dim, 2)

    def to_map(self, codes: torch.Tensor) -> torch.Tensor:
        if self.dim == 2:
            return codes
        if self.dim == 1:
            return codes.repeat(1, 2)
        return (codes - self.mean) @ self.basis

    def to_code(self, points: torch.Tensor) -> torch.Tensor:
        if self.dim == 2:
            return points
        if self.dim == 1:
            return points.mean(1, keepdim=True)
        return points @ self.basis.T + self.mean


def latent_grid(model: nn.Module, plane: Plane, lo: torch.Tensor, hi: torch.Tensor, n: int) -> torch.Tensor:
    """Decodings ``(n*n, C, H, W)`` of an ``n x n`` grid spanning ``lo..hi`` on the map (row-major, top = high y)."""
    ys = torch.linspace(float(hi[1]), float(lo[1]), n)
    xs = torch.linspace(float(lo[0]), float(hi[0]), n)
    gy, gx = torch.meshgrid(ys, xs, indexing="ij")
    points = torch.stack([gx.flatten(), gy.flatten()], 1).to(lo.device, lo.dtype)
    with torch.no_grad():
        model.eval()
        return model.decode(plane.to_code(points))


def knn_accuracy(train_codes: torch.Tensor, train_labels: torch.Tensor, test_codes: torch.Tensor,
                 test_labels: torch.Tensor, k: int = 5) -> float:
    """Accuracy of a k-nearest-neighbour vote in code space: how well the map keeps classes apart."""
    d = torch.cdist(test_codes.float(), train_codes.float())
    nearest = d.topk(min(k, len(train_codes)), largest=False).indices
    votes = train_labels[nearest]
    pred = torch.mode(votes, dim=1).values
    return float((pred == test_labels).float().mean())


def manifold_report(model: nn.Module, train: dict[str, torch.Tensor], test: dict[str, torch.Tensor],
                    class_names: Sequence[str], run_dir: Path, grid: int = 15) -> dict[str, Any]:
    """``latent_map.png`` (test codes by class), ``latent_grid.png`` (decoded grid) and their numbers."""
    train_codes = encode(model, train["image"])
    test_codes = encode(model, test["image"])
    plane = Plane(train_codes)
    pts = plane.to_map(test_codes)
    all_pts = plane.to_map(train_codes)
    lo, hi = torch.quantile(all_pts, 0.01, dim=0), torch.quantile(all_pts, 0.99, dim=0)
    plot_latent_map(pts, test["label"], class_names, run_dir / "latent_map.png", lo, hi)
    decoded = latent_grid(model, plane, lo, hi, grid)
    plot_montage(decoded, grid, run_dir / "latent_grid.png", lo, hi)
    rec = reconstruct(model, test["image"])
    return {
        "latent_dim": plane.dim,
        "map": "code" if plane.dim == 2 else "first two principal directions of the code",
        "test_mse": float(mse_per_image(rec, test["image"]).mean()),
        "test_psnr": float(psnr(rec, test["image"])),
        "knn5_accuracy": knn_accuracy(train_codes, train["label"], test_codes, test["label"], 5),
        "map_range": {"lo": lo.tolist(), "hi": hi.tolist()},
        "grid": grid,
    }


def plot_latent_map(points: torch.Tensor, labels: torch.Tensor, class_names: Sequence[str], path: Path,
                    lo: torch.Tensor | None = None, hi: torch.Tensor | None = None) -> None:
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
    tiles = x.view(n, n, c, h, w).permute(0, 3, 1, 4, 2).reshape(n * h, n * w, c).numpy()
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
