"""scikit-learn's bundled 8x8 handwritten digits (1,797 images, 10 classes)."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F


def digits_file() -> Path:
    """The CSV scikit-learn ships the digits in, found without importing scikit-learn (which costs about 1 s)."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the digits dataset comes with scikit-learn, which is not installed (pip install scikit-learn)")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    if not path.is_file():
        raise FileNotFoundError(f"scikit-learn's digits file {path} is missing; reinstall scikit-learn")
    return path


def load_digits_tensors(image_size: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``(1797, 1, S, S)`` in [0, 1] (S = 8 unless resized) and labels ``(1797,)``.

    Each row of the file is 64 pixel values (0..16) and the label, as ``sklearn.datasets.load_digits`` reads it.
    """
    with gzip.open(digits_file(), "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)  # (1797, 65)
    images = torch.from_numpy(table[:, :64]).reshape(-1, 1, 8, 8).div_(16.0)  # (N, 1, 8, 8)
    if image_size is not None and image_size != 8:
        images = F.interpolate(images, size=(image_size, image_size), mode="bilinear", align_corners=False).clamp_(0, 1)
    labels = torch.from_numpy(table[:, 64]).long()
    return images, labels
