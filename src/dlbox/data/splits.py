"""Seeded, reproducible train/val/test splits (stratified by class)."""

from __future__ import annotations

import torch


def stratified_split(
    labels: torch.Tensor, val_fraction: float, test_fraction: float, seed: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Index tensors (train, val, test), each class split in the same proportions.

    The same ``labels`` and ``seed`` always give the same split.
    """
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError(
            f"val_fraction={val_fraction} and test_fraction={test_fraction} must each be in [0, 1) and sum to less than 1"
        )
    g = torch.Generator().manual_seed(seed)
    parts: list[list[torch.Tensor]] = [[], [], []]
    for c in torch.unique(labels):
        idx = torch.nonzero(labels == c).flatten()
        idx = idx[torch.randperm(len(idx), generator=g)]
        n_test = round(len(idx) * test_fraction)
        n_val = round(len(idx) * val_fraction)
        parts[2].append(idx[:n_test])
        parts[1].append(idx[n_test : n_test + n_val])
        parts[0].append(idx[n_test + n_val :])
    out = [torch.cat(p) if p else torch.empty(0, dtype=torch.long) for p in parts]
    # Sorted so a split is a set, independent of class iteration order.
    return tuple(torch.sort(o).values for o in out)  # type: ignore[return-value]


def per_class_subset(labels: torch.Tensor, per_class: int, seed: int) -> torch.Tensor:
    """Indices of the first ``per_class`` samples of each class after a seeded shuffle."""
    g = torch.Generator().manual_seed(seed + 7919)
    keep = []
    for c in torch.unique(labels):
        idx = torch.nonzero(labels == c).flatten()
        keep.append(idx[torch.randperm(len(idx), generator=g)[:per_class]])
    return torch.sort(torch.cat(keep)).values
