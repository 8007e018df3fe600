"""The normalizing-flow step (notes 4.3): maximise the log-likelihood, i.e. minimise the NLL in bits/dim.

Each batch is dequantized afresh (uniform noise inside each pixel's bin), logit-transformed and mapped
to ``z`` by the flow; the loss counts every log-determinant (:func:`dlbox.generative.flow_loss.flow_negative_log_likelihood`),
so it is an upper bound on the discrete data's NLL.
"""

from __future__ import annotations

import torch

from dlbox.engine.training import Run
from dlbox.generative.flow_loss import flow_negative_log_likelihood
from dlbox.tasks.generate.data import data_levels, seeded_validation_mean


class FlowStep:
    """One step on the batch's NLL (bits/dim); validation on the same dequantization noise every epoch."""

    def __init__(self, run: Run):
        self.run = run
        self.levels = data_levels(run.bundle)
        self.seed = run.cfg.train.seed

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        model = self.run.model
        if not model.training:
            model.train()
        nll = flow_negative_log_likelihood(model, self.run.inputs(batch["image"]), self.levels)
        self.run.optimize(nll.loss)
        return {"loss": nll.loss.detach()}

    def validate(self) -> dict[str, float]:
        """``val_loss``: the NLL bound in bits/dim."""

        def per_image(model: torch.nn.Module, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:  # (N,)
            return flow_negative_log_likelihood(model, x, self.levels, generator=gen).bits_per_dim

        return seeded_validation_mean(self.run, self.seed, per_image)
