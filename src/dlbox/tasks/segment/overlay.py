"""Colouring class masks and laying them over images (VOC palette; the ignore index in white)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from dlbox.data.masks import voc_palette


def colorize(mask: torch.Tensor | np.ndarray, ignore_index: int = 255) -> np.ndarray:
    """``mask (H, W)`` indices -> ``(H, W, 3)`` float colours in [0, 1]."""
    m = np.asarray(mask.cpu() if isinstance(mask, torch.Tensor) else mask).astype(np.int64)
    palette = voc_palette(256).astype(np.float32) / 255.0
    palette[ignore_index % 256] = 1.0
    return palette[np.clip(m, 0, 255)]


def overlay(image: torch.Tensor, mask: torch.Tensor | np.ndarray, alpha: float = 0.5, ignore_index: int = 255) -> np.ndarray:
    """``image (C, H, W)`` in [0, 1] and ``mask (H, W)`` -> ``(H, W, 3)``: the mask colours blended over the image.

    Background (class 0) stays the image itself.
    """
    img = image.detach().cpu().float()
    img = img.expand(3, *img.shape[1:]) if img.shape[0] == 1 else img[:3]
    rgb = img.permute(1, 2, 0).numpy()
    m = np.asarray(mask.cpu() if isinstance(mask, torch.Tensor) else mask)
    colours = colorize(m, ignore_index)
    a = np.where((m != 0)[..., None], alpha, 0.0)
    return np.clip((1 - a) * rgb + a * colours, 0.0, 1.0)


def plot_examples(
    images: torch.Tensor, masks: torch.Tensor, preds: torch.Tensor, path: str | Path, ignore_index: int = 255, titles: list[str] | None = None
) -> None:
    """One row per image: the image, the true mask, the predicted mask (VOC colours, ignored pixels white)."""
    from dlbox.plots import plot_image_grid

    tiles, names = [], []
    for i in range(len(images)):
        image = images[i].detach().cpu().float()
        rgb = (image.expand(3, *image.shape[1:]) if image.shape[0] == 1 else image[:3]).permute(1, 2, 0).numpy()
        tiles += [rgb, colorize(masks[i], ignore_index), colorize(preds[i], ignore_index)]
        head = titles[i] if titles else f"#{i}"
        names += [head, "truth", "prediction"]
    if tiles:
        plot_image_grid(np.stack(tiles), names, path, cols=3)
