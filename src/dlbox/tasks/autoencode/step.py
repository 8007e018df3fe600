"""The autoencoder step: mean-squared reconstruction of the clean image (notes 3.10.3)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from dlbox.autoencoders.metrics import add_noise, psnr
from dlbox.engine.training import Run


class AutoencoderStep:
    """Reconstruct the clean image from its (optionally noisy) version.

    ``autoencode.noise = 0``: a plain autoencoder (input = target). ``noise > 0``: denoising training,
    input ``x + noise * N(0, 1)``, target ``x``. Validation reports ``val_loss`` (MSE on the same kind
    of input as training, with the same noise every epoch) and ``val_psnr`` (dB), with the evaluation
    weights (the EMA average when ``train.ema``).
    """

    def __init__(self, run: Run):
        self.run = run
        self.noise = float(run.cfg.autoencode.noise)
        self.clip = run.cfg.autoencode.clip_noise
        self.seed = run.cfg.train.seed

    def _corrupt(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return add_noise(x, self.noise, generator, self.clip) if self.noise > 0 else x

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        model = self.run.model
        if not model.training:  # once after each validation
            model.train()
        x = self.run.inputs(batch["image"])  # (B, C, H, W)
        # notes 3.10.3: minimise ||x - g(f(x~))||^2, x~ = x (plain) or x + noise (denoising)
        loss = F.mse_loss(model(self._corrupt(x)).float(), x.float())
        self.run.optimize(loss)
        return {"loss": loss.detach()}

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        if len(self.run.val_loader) == 0:  # no validation split: nothing to report
            return {}
        model = self.run.eval_model
        model.eval()
        dtype = next(model.parameters()).dtype  # the EMA copy is not Fabric-wrapped: inputs in its dtype (bf16-true, ...)
        gen = torch.Generator(device=self.run.device).manual_seed(self.seed + 12345)  # the same noise every epoch
        squared, count, psnrs = [], 0, []
        with self.run.fabric.autocast():
            for batch in self.run.val_loader:
                x = self.run.inputs(batch["image"]).float()  # (B, C, H, W)
                rec = model(self._corrupt(x, gen).to(dtype)).float()
                squared.append(F.mse_loss(rec, x, reduction="sum"))
                count += x.numel()
                psnrs.append(psnr(rec, x, reduction="none"))
        return {"val_loss": float(torch.stack(squared).sum()) / count, "val_psnr": float(torch.cat(psnrs).mean())}
