"""The pictures a generate run writes: a sample grid and the 2-D latent map (interpolations: :mod:`.interpolate`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn as nn

from dlbox.tasks.autoencode.figures import plot_latent_map, plot_montage


def save_grid(images: torch.Tensor, path: Path, title: str = "") -> None:
    """``images`` ``(N, C, H, W)`` tiled into a square-ish grid with thin grey lines between tiles."""
    from dlbox.plots import _plt

    plt = _plt()
    n = len(images)
    cols = max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / cols)
    x = images.detach().float().cpu().clamp(0, 1)
    x = torch.cat([x, x.new_full((rows * cols - n, *x.shape[1:]), 0.35)])  # blank tiles to fill the last row
    x = torch.nn.functional.pad(x, (0, 1, 0, 1), value=0.35)
    _, c, h, w = x.shape
    tiles = x.view(rows, cols, c, h, w).permute(0, 3, 1, 4, 2).reshape(rows * h, cols * w, c).numpy()  # (rows*H, cols*W, C)
    fig, ax = plt.subplots(figsize=(min(10, 0.9 + cols * max(w, 16) / 24), min(10, 0.9 + rows * max(h, 16) / 24)))
    ax.imshow(tiles.squeeze(-1) if c == 1 else tiles, cmap="gray" if c == 1 else None, vmin=0, vmax=1, interpolation="nearest")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def prior_grid(n: int, device: torch.device | str = "cpu") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(n * n, 2)`` codes at the N(0, 1) quantiles 5% .. 95% per axis (rows from the top: z2 falling), and the corners."""
    q = torch.distributions.Normal(0.0, 1.0).icdf(torch.linspace(0.05, 0.95, n))  # (n,)
    z1, z2 = torch.meshgrid(q, q.flip(0), indexing="xy")  # row i, column j -> (q[j], q[n-1-i])
    codes = torch.stack([z1.flatten(), z2.flatten()], dim=1).to(device)
    lo, hi = torch.stack([q[0], q[0]]), torch.stack([q[-1], q[-1]])
    return codes, lo, hi


@torch.no_grad()
def latent_map(model: nn.Module, kind: str, test: dict[str, torch.Tensor], class_names: Sequence[str], run_dir: Path,
               grid: int = 15) -> list[str]:
    """For a 2-D latent space: decodings of a grid of prior quantiles (``latent_grid.png``) and, for a VAE,
    the test images' codes ``mu(X)`` by class (``latent_map.png``). Returns the files written."""
    device = next(model.parameters()).device
    codes, lo, hi = prior_grid(grid, device)
    decode = (lambda z: model.decode(z)[0]) if kind == "vae" else model.generator
    plot_montage(decode(codes), grid, run_dir / "latent_grid.png", lo, hi)
    written = ["latent_grid.png"]
    if kind == "vae":
        mu = model.encode(test["image"].to(device))[0]  # (N, 2)
        plot_latent_map(mu.cpu(), test["label"], class_names, run_dir / "latent_map.png", lo, hi)
        written.append("latent_map.png")
    return written
