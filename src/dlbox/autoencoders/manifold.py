"""The data manifold (notes 3.10.2) seen through an autoencoder's code.

A 2-D bottleneck gives a map: every image becomes a point, images of a class
gather along a region, and decoding a regular grid of points shows what the
decoder thinks lies between them (the manifold's smooth surface). Codes of
more than two dimensions are shown in their first two principal directions.
"""

from __future__ import annotations

import torch
import torch.nn as nn


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


def map_extent(points: torch.Tensor, quantile: float = 0.01) -> tuple[torch.Tensor, torch.Tensor]:
    """Corners ``lo, hi (2,)`` of the box holding all but the outer ``quantile`` of map ``points (N, 2)`` per axis."""
    return torch.quantile(points, quantile, dim=0), torch.quantile(points, 1 - quantile, dim=0)
