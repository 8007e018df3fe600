"""The classification step plugged into :func:`dlbox.engine.loop.fit`."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from dlbox.tasks.classify.augment import augment_batch


class ClassificationTask:
    """Cross-entropy training of a classifier; validation by loss and accuracy.

    With ``ema`` (a ``torch.optim.swa_utils.AveragedModel``), the averaged
    weights are updated after every step and used for validation.
    """

    def __init__(
        self,
        fabric: Any,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        scheduler: Any | None,
        val_loader: Any,
        ema: nn.Module | None = None,
        label_smoothing: float = 0.0,
        grad_clip: float | None = None,
        channels_last: bool = False,
        augment: bool = False,
        frozen_features: bool = False,
    ):
        self.fabric, self.model, self.optimizer, self.scheduler = fabric, model, optimizer, scheduler
        self.val_loader, self.ema = val_loader, ema
        self.label_smoothing, self.grad_clip = label_smoothing, grad_clip
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.augment = augment
        self.frozen_features = frozen_features
        if frozen_features:
            _features(model).eval()

    def _inputs(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        x = batch["image"]
        return x.contiguous(memory_format=self.memory_format) if x.ndim == 4 else x

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        if not self.model.training:  # once after each validation: Module.train() walks every submodule (~0.2 ms)
            self.model.train()
            if self.frozen_features:  # transfer learning: frozen batch-norm statistics stay as trained
                _features(self.model).eval()
        x, y = self._inputs(batch), batch["label"]
        if self.augment:
            x = augment_batch(x)
        logits = self.model(x)  # (B, num_classes)
        loss = F.cross_entropy(logits.float(), y, label_smoothing=self.label_smoothing)
        self.optimizer.zero_grad(set_to_none=True)
        self.fabric.backward(loss)
        if self.grad_clip:
            self.fabric.clip_gradients(self.model, self.optimizer, max_norm=self.grad_clip)
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        if self.ema is not None:
            self.ema.update_parameters(self.model.module if hasattr(self.model, "module") else self.model)
        return {"loss": loss.detach()}

    def batch_size(self, batch: dict[str, torch.Tensor]) -> int:
        return batch["label"].shape[0]

    @property
    def eval_model(self) -> nn.Module:
        return self.ema.module if self.ema is not None else self.model

    @torch.no_grad()
    def predict_logits(self, loader: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """All logits and labels of ``loader`` (eval mode, autocast as configured)."""
        model = self.eval_model
        model.eval()
        logits, labels = [], []
        with self.fabric.autocast():
            for batch in loader:
                logits.append(model(self._inputs(batch).to(self.fabric.device)).float())
                labels.append(batch["label"].to(self.fabric.device))
        return torch.cat(logits), torch.cat(labels)

    def validate(self) -> dict[str, float]:
        if len(self.val_loader) == 0:  # no validation split: nothing to report
            return {}
        logits, labels = self.predict_logits(self.val_loader)
        return {
            "val_loss": float(F.cross_entropy(logits, labels)),
            "val_acc": float((logits.argmax(1) == labels).float().mean()),
        }

    def checkpoint_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"model": self.model, "optimizer": self.optimizer}
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler
        if self.ema is not None:
            state["ema"] = self.ema
        return state


def _features(model: nn.Module) -> nn.Module:
    return (model.module if hasattr(model, "module") else model).features
