"""The perceptual-loss step (Johnson et al.; notes 3.9.3): stylise a batch, measure content and style through
the frozen loss network, update the transformation network.

With ``style.balance`` (default), each loss is divided by its value for the untrained network on the first
batch, so ``alpha`` and ``beta`` weigh the two terms independently of the loss network's activation scale
(a random VGG's are far smaller than an ImageNet one's).
"""

from __future__ import annotations

import torch

from dlbox.engine.training import Run
from dlbox.optimize_input.regularizers import total_variation


class PerceptualStep:
    """One step over content images; validation on the held-out content images."""

    def __init__(self, run: Run):
        self.run = run
        self.loss = run.extras["loss"]  # a dlbox.style.losses.StyleContentLoss on the run's device
        self.opts = run.cfg.style
        self.val_images = run.bundle.val["image"].to(run.device)
        self.scales: dict[str, float] | None = None  # the untrained network's losses (balance)
        run.extras["scales"] = self.scales

    def _losses(self, model: torch.nn.Module, x: torch.Tensor) -> dict[str, torch.Tensor]:
        y = model(x)
        lc, ls, _ = self.loss.losses(y, self.loss.content_target(x))
        if self.scales is None:
            c0, s0 = float(lc.detach()), float(ls.detach())
            balance = self.opts.balance
            self.scales = {"content": c0 if balance and c0 > 0 else 1.0, "style": s0 if balance and s0 > 0 else 1.0}
            self.run.extras["scales"] = self.scales
        # notes 3.9.3: L_total = alpha L_content + beta L_style (each relative to its first-batch value)
        total = self.opts.alpha * lc / self.scales["content"] + self.opts.beta * ls / self.scales["style"]
        if self.opts.tv:
            total = total + self.opts.tv * total_variation(y) / len(y)
        return {"loss": total, "content": lc, "style": ls}

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        self.run.model.train()
        out = self._losses(self.run.model, self.run.inputs(batch["image"]))
        self.run.optimize(out["loss"])
        return {k: v.detach() for k, v in out.items()}

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        model = self.run.eval_model
        model.eval()
        out = self._losses(model, self.val_images)
        return {"val_loss": float(out["loss"]), "val_content": float(out["content"]), "val_style": float(out["style"])}
