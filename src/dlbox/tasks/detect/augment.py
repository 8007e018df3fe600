"""Box-aware training augmentation, batched: flips, scale jitter, shifts (crops) and colour, per image.

Each image of a batch gets its own random horizontal flip, zoom ``s`` and shift ``(t_x, t_y)`` as one
affine map about the image centre ``c``: ``x' = a (x - c_x) + c_x + t_x`` with ``a = +-s``, ``y' = s (y - c_y) + c_y + t_y``.
Pixels move with one ``grid_sample`` call for the whole batch (uncovered canvas is grey, as in
letterboxing); box corners move with the same map, are clipped to the image, and a box left with less
than ``min_visible`` of its area (or under 2 pixels a side) becomes padding (label -1). Zooming in
crops the scene; zooming out shrinks it. Colour: brightness, contrast and saturation factors per image.
No per-sample Python: the cost is a few batched tensor operations per step. The box arithmetic agrees
with torchvision's ``transforms.v2`` on ``tv_tensors.BoundingBoxes`` (the tests check it).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor


@dataclass(frozen=True)
class AugmentParams:
    """Strengths of :func:`augment_detection`."""

    flip: float = 0.5  # probability of a horizontal flip
    scale: tuple[float, float] = (0.7, 1.3)  # zoom range (above 1 crops, below 1 shrinks)
    shift: float = 0.15  # largest shift, a fraction of the side
    colour: float = 0.3  # brightness, contrast and saturation factors in [1 - colour, 1 + colour]
    min_visible: float = 0.3  # a box keeps at least this fraction of its area after clipping, or is dropped


@dataclass(frozen=True)
class AffineDraw:
    """One batch's random geometry, per image ``(B,)``: ``x' = ax (x - c_x) + c_x + tx``, ``y' = sy (y - c_y) + c_y + ty``."""

    ax: Tensor  # signed zoom along x (negative: flipped)
    sy: Tensor  # zoom along y
    tx: Tensor  # shift in pixels
    ty: Tensor


def draw_affine(batch: int, height: int, width: int, params: AugmentParams, device: torch.device | None = None) -> AffineDraw:
    """Random flips, zooms and shifts for ``batch`` images (torch's global generator: resumable runs replay it)."""
    lo, hi = params.scale
    s = lo + (hi - lo) * torch.rand(batch, device=device)
    sign = torch.where(torch.rand(batch, device=device) < params.flip, -1.0, 1.0)
    t = (torch.rand(batch, 2, device=device) * 2 - 1) * params.shift
    return AffineDraw(sign * s, s, t[:, 0] * width, t[:, 1] * height)


def affine_boxes(boxes: Tensor, labels: Tensor, draw: AffineDraw, height: int, width: int, min_visible: float = 0.3) -> tuple[Tensor, Tensor]:
    """``boxes (B, M, 4)`` xyxy and ``labels (B, M)`` through the affine maps; lost boxes become padding (-1)."""
    cx, cy = width / 2, height / 2
    ax, sy, tx, ty = (v[:, None] for v in (draw.ax, draw.sy, draw.tx, draw.ty))  # (B, 1)
    x1, x2 = ax * (boxes[..., 0] - cx) + cx + tx, ax * (boxes[..., 2] - cx) + cx + tx  # (B, M)
    y1, y2 = sy * (boxes[..., 1] - cy) + cy + ty, sy * (boxes[..., 3] - cy) + cy + ty
    x1, x2 = torch.minimum(x1, x2), torch.maximum(x1, x2)  # a flip swaps the corners
    full = (x2 - x1) * (y2 - y1)
    out = torch.stack([x1.clamp(0, width), y1.clamp(0, height), x2.clamp(0, width), y2.clamp(0, height)], dim=-1)  # (B, M, 4)
    w, h = out[..., 2] - out[..., 0], out[..., 3] - out[..., 1]
    keep = (labels >= 0) & (w >= 2) & (h >= 2) & (w * h >= min_visible * full)
    return torch.where(keep[..., None], out, -1.0), torch.where(keep, labels, -1)


def affine_images(images: Tensor, draw: AffineDraw, fill: float = 0.5) -> Tensor:
    """``(B, C, H, W)`` -> same shape, each image through its affine map (bilinear; outside: ``fill``)."""
    b, _, h, w = images.shape
    theta = torch.zeros(b, 2, 3, device=images.device, dtype=images.dtype)
    # grid_sample maps output to input, in [-1, 1] units: u_in = (u_out - 2 t / side) / a
    theta[:, 0, 0] = 1 / draw.ax
    theta[:, 0, 2] = -2 * draw.tx / (w * draw.ax)
    theta[:, 1, 1] = 1 / draw.sy
    theta[:, 1, 2] = -2 * draw.ty / (h * draw.sy)
    grid = F.affine_grid(theta, [b, 1, h, w], align_corners=False)  # (B, H, W, 2)
    return F.grid_sample(images - fill, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + fill


def jitter_colour(images: Tensor, strength: float) -> Tensor:
    """Per-image brightness, contrast and saturation factors in ``[1 - strength, 1 + strength]``; clamped to [0, 1]."""
    b = images.shape[0]
    f = 1 + (torch.rand(3, b, 1, 1, 1, device=images.device, dtype=images.dtype) * 2 - 1) * strength  # (3, B, 1, 1, 1)
    x = images * f[0]
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * f[1] + mean
    if x.shape[1] == 3:
        gray = (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])  # (B, 1, H, W)
        x = (x - gray) * f[2] + gray
    return x.clamp(0, 1)


def augment_detection(images: Tensor, boxes: Tensor, labels: Tensor, params: AugmentParams = AugmentParams()) -> tuple[Tensor, Tensor, Tensor]:
    """A training batch, augmented: ``(B, C, H, W)``, ``(B, M, 4)``, ``(B, M)`` -> the same shapes."""
    b, _, h, w = images.shape
    draw = draw_affine(b, h, w, params, images.device)
    boxes, labels = affine_boxes(boxes.to(images.dtype), labels, draw, h, w, params.min_visible)
    return jitter_colour(affine_images(images, draw), params.colour), boxes, labels
