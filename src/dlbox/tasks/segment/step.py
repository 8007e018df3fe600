"""The segmentation step: per-pixel cross-entropy (+ soft Dice); validation by loss, mIoU and pixel accuracy (notes 3.11).

A model whose output is smaller than its input (the valid U-Net, notes 3.11.2) is trained and validated on the
matching centre crop of the mask. The shared run (:class:`dlbox.engine.training.Run`) does the rest: device and
memory format of the inputs, backward, gradient clipping, the optimizer and schedule step, the EMA update.
"""

from __future__ import annotations

from typing import Any

import torch

from dlbox.engine.training import Run
from dlbox.ops.crop import center_crop
from dlbox.segmentation.loss import segmentation_loss
from dlbox.segmentation.metrics import confusion_matrix, mean_iou, pixel_accuracy
from dlbox.segmentation.tiling import output_hw


class SegmentationStep:
    """One optimisation step of a segmentation model; ``validate`` uses the EMA weights when ``train.ema``."""

    def __init__(self, run: Run):
        from dlbox.tasks.segment.augment import JointAugment

        self.run = run
        options = run.cfg.segment
        self.ignore_index, self.dice_weight = options.ignore_index, options.dice_weight
        self.num_classes = run.bundle.num_classes
        self.augment = JointAugment(options.ignore_index) if run.cfg.data.augment else None

    def target(self, mask: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """``mask (B, H, W)`` -> the model's output window of it, ``(B, H', W')``."""
        out = output_hw(self.run.model, tuple(x.shape[-2:]))
        return mask if tuple(mask.shape[-2:]) == out else center_crop(mask, out)

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        model = self.run.model
        if not model.training:  # once after each validation
            model.train()
        x, mask = batch["image"].to(self.run.device), batch["mask"].to(self.run.device)
        if self.augment is not None:
            x, mask = self.augment(x, mask)
        x = self.run.inputs(x)
        logits = model(x)  # (B, K, H', W')
        loss = segmentation_loss(logits, self.target(mask, x), self.ignore_index, self.dice_weight)
        self.run.optimize(loss)
        return {"loss": loss.detach()}

    @torch.no_grad()
    def evaluate(self, loader: Any) -> dict[str, Any]:
        """Loss, confusion matrix ``(K, K)``, mIoU and pixel accuracy over ``loader`` with the evaluation weights."""
        model = self.run.eval_model
        model.eval()
        device = self.run.device
        cm = torch.zeros(self.num_classes, self.num_classes, dtype=torch.long, device=device)
        loss_sum, batches = 0.0, 0
        with self.run.fabric.autocast():
            for batch in loader:
                x = self.run.inputs(batch["image"])
                target = self.target(batch["mask"].to(device), x)
                logits = model(x).float()  # (B, K, H', W')
                loss_sum += float(segmentation_loss(logits, target, self.ignore_index, self.dice_weight))
                batches += 1
                cm += confusion_matrix(logits.argmax(1), target, self.num_classes, self.ignore_index).to(device)
        return {"loss": loss_sum / max(1, batches), "confusion": cm, "miou": mean_iou(cm), "pixel_acc": pixel_accuracy(cm)}

    def validate(self) -> dict[str, float]:
        if len(self.run.val_loader) == 0:  # no validation split: nothing to report
            return {}
        r = self.evaluate(self.run.val_loader)
        return {"val_loss": r["loss"], "val_miou": r["miou"], "val_pixel_acc": r["pixel_acc"]}
