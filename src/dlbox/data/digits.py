"""scikit-learn's bundled 8x8 handwritten digits (1,797 images, 10 classes)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def load_digits_tensors(image_size: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``(1797, 1, S, S)`` in [0, 1] (S = 8 unless resized) and labels ``(1797,)``."""
    from sklearn.datasets import load_digits  # deferred: sklearn import costs ~1 s

    raw = load_digits()
    images = torch.from_numpy(raw.images).float().div_(16.0).unsqueeze(1)  # (N, 1, 8, 8)
    if image_size is not None and image_size != 8:
        images = F.interpolate(images, size=(image_size, image_size), mode="bilinear", align_corners=False).clamp_(0, 1)
    labels = torch.from_numpy(raw.target).long()
    return images, labels
