"""Segmentation loss: per-pixel cross-entropy, optionally plus soft Dice (notes 3.11).

Pixels labelled ``ignore_index`` contribute to neither term.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor, ignore_index: int | None = 255, eps: float = 1.0) -> torch.Tensor:
    """``1 - mean_k 2|P_k T_k| / (|P_k| + |T_k|)`` over the batch; ``logits (B, K, H, W)``, ``target (B, H, W)``."""
    k = logits.shape[1]
    probs = logits.float().softmax(1)
    valid = (target != ignore_index) if ignore_index is not None else torch.ones_like(target, dtype=torch.bool)
    onehot = F.one_hot(torch.where(valid, target, 0), k).permute(0, 3, 1, 2).float()
    weight = valid[:, None].float()
    inter = (probs * onehot * weight).sum((0, 2, 3))
    denom = (probs * weight).sum((0, 2, 3)) + (onehot * weight).sum((0, 2, 3))
    return 1 - ((2 * inter + eps) / (denom + eps)).mean()


def segmentation_loss(logits: torch.Tensor, target: torch.Tensor, ignore_index: int = 255, dice_weight: float = 0.0) -> torch.Tensor:
    """Cross-entropy (ignoring ``ignore_index``) + ``dice_weight`` * soft Dice."""
    loss = F.cross_entropy(logits.float(), target, ignore_index=ignore_index)
    if dice_weight:
        loss = loss + dice_weight * soft_dice_loss(logits, target, ignore_index)
    return loss
