"""The classification step: cross-entropy on labelled images; validation by loss and accuracy."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from dlbox.engine.training import Run
from dlbox.tasks.classify.augment import augment_batch


class ClassificationStep:
    """One optimisation step of a classifier; ``validate`` uses the EMA weights when ``train.ema``."""

    def __init__(self, run: Run):
        self.run = run
        self.label_smoothing = run.cfg.classify.label_smoothing
        self.augment = run.cfg.data.augment
        self.frozen_features = run.cfg.classify.freeze == "features"
        if self.frozen_features:
            _features(run.model).eval()

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        model = self.run.model
        if not model.training:  # once after each validation: Module.train() walks every submodule (~0.2 ms)
            model.train()
            if self.frozen_features:  # transfer learning: frozen batch-norm statistics stay as trained
                _features(model).eval()
        x, y = self.run.inputs(batch["image"]), batch["label"]
        if self.augment:
            x = augment_batch(x)
        logits = model(x)  # (B, num_classes)
        loss = F.cross_entropy(logits.float(), y, label_smoothing=self.label_smoothing)
        self.run.optimize(loss)
        return {"loss": loss.detach()}

    def validate(self) -> dict[str, float]:
        if len(self.run.val_loader) == 0:  # no validation split: nothing to report
            return {}
        logits, labels = predict_logits(self.run, self.run.val_loader)
        return {
            "val_loss": float(F.cross_entropy(logits, labels)),
            "val_acc": float((logits.argmax(1) == labels).float().mean()),
        }


@torch.no_grad()
def predict_logits(run: Run, loader: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """All logits ``(N, K)`` and labels ``(N,)`` of ``loader`` with the evaluation weights (autocast as configured)."""
    model = run.eval_model
    model.eval()
    logits, labels = [], []
    with run.fabric.autocast():
        for batch in loader:
            logits.append(model(run.inputs(batch["image"])).float())
            labels.append(batch["label"].to(run.device))
    return torch.cat(logits), torch.cat(labels)


def _features(model: nn.Module) -> nn.Module:
    return (model.module if hasattr(model, "module") else model).features
