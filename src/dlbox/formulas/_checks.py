"""Argument checks shared by the formula modules."""

from __future__ import annotations


def check_groups(d_in: int, d_out: int, groups: int) -> None:
    """Raise ``ValueError`` unless ``groups`` divides both channel counts (as PyTorch requires)."""
    if groups < 1 or d_in % groups or d_out % groups:
        raise ValueError(f"groups={groups} must divide both d_in={d_in} and d_out={d_out}")
