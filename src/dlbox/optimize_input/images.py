"""Writing optimised images into run directories: single PNGs and titled galleries."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch


def to_hwc(image: torch.Tensor) -> np.ndarray:
    """``(C, H, W)`` or ``(1, C, H, W)`` in [0, 1] -> ``(H, W, C)`` float array."""
    if image.ndim == 4:
        image = image[0]
    return image.detach().float().clamp(0, 1).permute(1, 2, 0).cpu().numpy()


def save_png(image: torch.Tensor, path: str | Path) -> Path:
    """Write ``(C, H, W)`` (C = 1 or 3) in [0, 1] as an 8-bit PNG."""
    from PIL import Image

    arr = (to_hwc(image) * 255.0 + 0.5).astype(np.uint8)
    Image.fromarray(arr[..., 0] if arr.shape[-1] == 1 else arr).save(path)
    return Path(path)


def normalize_for_display(image: torch.Tensor) -> torch.Tensor:
    """Stretch an image's values to [0, 1] (for faint optimised images of 8x8 models)."""
    lo, hi = image.min(), image.max()
    return (image - lo) / (hi - lo) if hi > lo else image


def save_gallery(images: Sequence[torch.Tensor], titles: Sequence[str], path: str | Path, cols: int = 8) -> Path:
    """A grid of ``(C, H, W)`` images with a title under each (images may differ in size)."""
    from dlbox.plots import plot_image_grid

    arrays = [to_hwc(im) for im in images]
    plot_image_grid(arrays, list(titles), path, cols=max(1, min(cols, len(arrays))))  # type: ignore[arg-type]
    return Path(path)
