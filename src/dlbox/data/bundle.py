"""The data contract every task shares: a :class:`DataBundle` of train/val/test splits.

A split is either a dict of equally long tensors (small data, held in memory and
batched on the training device: ``{"image": (N, C, H, W) float in [0, 1],
"label": (N,) int64}``, or ``"mask": (N, H, W)`` and ``"boxes"`` for later
tasks), or a ``torch.utils.data.Dataset`` yielding such dicts one sample at a
time (large folders, streamed through DataLoader workers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

import torch
from torch.utils.data import Dataset

Split = Union[dict[str, torch.Tensor], Dataset]


@dataclass
class DataBundle:
    train: Split
    val: Split
    test: Split
    class_names: list[str]
    in_channels: int
    image_size: tuple[int, int]  # (H, W)
    info: dict[str, Any] = field(default_factory=dict)  # split seed, sizes, skipped files... saved with the run

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


def split_len(split: Split) -> int:
    if isinstance(split, dict):
        return len(next(iter(split.values())))
    return len(split)  # type: ignore[arg-type]


def take(split: dict[str, torch.Tensor], index: torch.Tensor) -> dict[str, torch.Tensor]:
    """Rows ``index`` of every tensor of an in-memory split."""
    return {k: v[index] for k, v in split.items()}
