"""The autoencoder step plugged into :func:`dlbox.engine.loop.fit`."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from dlbox.autoencoders.metrics import add_noise, psnr


class AutoencoderTask:
    """Mean-squared reconstruction of the clean image from its (optionally noisy) version.

    ``noise = 0``: a plain autoencoder (input = target). ``noise > 0``:
    denoising training, input ``x + noise * N(0, 1)``, target ``x``.
    Validation reports ``val_loss`` (MSE on the same kind of input as
    training) and ``val_psnr`` (dB).
    """

    def __init__(self, fabric: Any, model: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any | None,
                 val_loader: Any, noise: float = 0.0, clip_noise: bool = False, seed: int = 0):
        self.fabric, self.model, self.optimizer, self.scheduler = fabric, model, optimizer, scheduler
        self.val_loader, self.noise, self.clip_noise = val_loader, float(noise), clip_noise
        self.seed = seed

    def _corrupt(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return add_noise(x, self.noise, generator, self.clip_noise) if self.noise > 0 else x

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        self.model.train()
        x = batch["image"]
        loss = F.mse_loss(self.model(self._corrupt(x)).float(), x.float())
        self.optimizer.zero_grad(set_to_none=True)
        self.fabric.backward(loss)
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()
        return {"loss": loss.detach()}

    def batch_size(self, batch: dict[str, torch.Tensor]) -> int:
        return batch["image"].shape[0]

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        self.model.eval()
        gen = torch.Generator(device=self.fabric.device).manual_seed(self.seed + 12345)  # the same noise every epoch
        total, count, psnrs = 0.0, 0, []
        for batch in self.val_loader:
            x = batch["image"].to(self.fabric.device)
            rec = self.model(self._corrupt(x, gen)).float()
            total += float(F.mse_loss(rec, x, reduction="sum"))
            count += x.numel()
            psnrs.append(psnr(rec, x, reduction="none"))
        return {"val_loss": total / max(1, count), "val_psnr": float(torch.cat(psnrs).mean()) if psnrs else float("nan")}

    def checkpoint_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"model": self.model, "optimizer": self.optimizer}
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler
        return state
