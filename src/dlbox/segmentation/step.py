"""The segmentation step plugged into :func:`dlbox.engine.loop.fit` (notes 3.11)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn

from dlbox.ops.crop import center_crop
from dlbox.segmentation.loss import segmentation_loss
from dlbox.segmentation.metrics import confusion_matrix, mean_iou, pixel_accuracy
from dlbox.segmentation.tiling import output_hw


class SegmentationTask:
    """Per-pixel cross-entropy (+ optional Dice) training; validation by loss, mIoU and pixel accuracy.

    A model whose output is smaller than its input (the valid U-Net) is trained
    and validated on the matching centre crop of the mask.
    """

    def __init__(
        self,
        fabric: Any,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        scheduler: Any | None,
        val_loader: Any,
        num_classes: int,
        ignore_index: int = 255,
        dice_weight: float = 0.0,
        grad_clip: float | None = None,
        channels_last: bool = False,
        augment: Any | None = None,
    ):
        self.fabric, self.model, self.optimizer, self.scheduler = fabric, model, optimizer, scheduler
        self.val_loader, self.num_classes = val_loader, num_classes
        self.ignore_index, self.dice_weight, self.grad_clip = ignore_index, dice_weight, grad_clip
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.augment = augment  # callable (image, mask) -> (image, mask), e.g. JointAugment

    def _inputs(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=self.memory_format)

    def _target(self, mask: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        out = output_hw(self.model, tuple(x.shape[-2:]))
        return mask if tuple(mask.shape[-2:]) == out else center_crop(mask, out)

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        self.model.train()
        x, mask = batch["image"], batch["mask"]
        if self.augment is not None:
            x, mask = self.augment(x, mask)
        logits = self.model(self._inputs(x))  # (B, K, H', W')
        loss = segmentation_loss(logits, self._target(mask, x), self.ignore_index, self.dice_weight)
        self.optimizer.zero_grad(set_to_none=True)
        self.fabric.backward(loss)
        if self.grad_clip:
            self.fabric.clip_gradients(self.model, self.optimizer, max_norm=self.grad_clip)
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        return {"loss": loss.detach()}

    def batch_size(self, batch: dict[str, torch.Tensor]) -> int:
        return batch["image"].shape[0]

    @property
    def eval_model(self) -> nn.Module:
        return self.model

    @torch.no_grad()
    def evaluate(self, loader: Any) -> dict[str, Any]:
        """Loss, confusion matrix, mIoU and pixel accuracy over ``loader`` (crops for shrinking models)."""
        model = self.model
        model.eval()
        cm = torch.zeros(self.num_classes, self.num_classes, dtype=torch.long, device=self.fabric.device)
        loss_sum, batches = 0.0, 0
        with self.fabric.autocast():
            for batch in loader:
                x = self._inputs(batch["image"].to(self.fabric.device))
                target = self._target(batch["mask"].to(self.fabric.device), x)
                logits = model(x).float()
                loss_sum += float(segmentation_loss(logits, target, self.ignore_index, self.dice_weight))
                batches += 1
                cm += confusion_matrix(logits.argmax(1), target, self.num_classes, self.ignore_index).to(cm.device)
        return {"loss": loss_sum / max(1, batches), "confusion": cm, "miou": mean_iou(cm), "pixel_acc": pixel_accuracy(cm)}

    def validate(self) -> dict[str, float]:
        r = self.evaluate(self.val_loader)
        return {"val_loss": r["loss"], "val_miou": r["miou"], "val_pixel_acc": r["pixel_acc"]}

    def checkpoint_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"model": self.model, "optimizer": self.optimizer}
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler
        return state
