"""The VAE step (notes 4.1.1): minimise the negative ELBO, reconstruction plus ``beta`` times the KL term.

Discrete pixels (``levels`` of them) get a likelihood that is a probability of them, so the reported
bound is in nats of the discrete data: the discretised logistic directly, the Gaussian decoder at
uniformly dequantized inputs plus ``D log L`` (:mod:`dlbox.generative.vae_loss`).
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from dlbox.engine.run import unwrap
from dlbox.engine.training import Run
from dlbox.generative.dequantize import uniform_dequantize
from dlbox.generative.vae_loss import ELBOTerms, discretized_negative_elbo, gaussian_negative_elbo
from dlbox.layers.reparameterize import reparameterize
from dlbox.models.vae import VAEOutput
from dlbox.tasks.generate.config import GenerateOptions
from dlbox.tasks.generate.data import data_levels


def model_input(x: torch.Tensor, levels: int, options: GenerateOptions, generator: torch.Generator | None = None) -> torch.Tensor:
    """What the VAE encodes: the data itself (discretised likelihood) or a uniform dequantization of it (Gaussian)."""
    return uniform_dequantize(x, levels, generator) if options.likelihood == "gaussian" else x


def elbo_terms(x: torch.Tensor, out: VAEOutput, levels: int, options: GenerateOptions, beta: float = 1.0) -> ELBOTerms:
    """:class:`ELBOTerms` of the model input ``x`` ``(B, C, H, W)`` given the VAE's output for it."""
    mu, logvar = out.mu.float(), out.logvar.float()
    if options.likelihood == "gaussian":
        return gaussian_negative_elbo(x, out.mean.float(), mu, logvar, math.log(options.sigma), beta, levels)
    return discretized_negative_elbo(x, out.mean.float(), out.log_scale.float(), mu, logvar, levels, beta)


@torch.no_grad()
def negative_elbo(model: nn.Module, x: torch.Tensor, levels: int, options: GenerateOptions,
                  generator: torch.Generator | None = None) -> ELBOTerms:
    """The bound (beta 1) on data ``x`` with one ``z ~ q(z|x)`` per image drawn from ``generator``.

    The VAE's own forward uses ``z = mu`` in eval mode, which is no bound; this draws ``z`` in any mode.
    """
    x = model_input(x, levels, options, generator)
    mu, logvar = model.encode(x)  # (B, latent_dim) each
    mean, log_scale = model.decode(reparameterize(mu, logvar, generator))  # notes 4.1.1: z drawn around mu(X)
    return elbo_terms(x, VAEOutput(mean, mu, logvar, log_scale), levels, options)


class VAEStep:
    """One Adam step on the batch's negative ELBO; logs its reconstruction and KL terms and bits/dim."""

    def __init__(self, run: Run):
        self.run = run
        self.options = run.cfg.generate
        self.levels = data_levels(run.bundle)
        self.seed = run.cfg.train.seed

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        model = self.run.model
        if not model.training:  # once after each validation
            model.train()
        x = model_input(self.run.inputs(batch["image"]), self.levels, self.options)  # (B, C, H, W)
        terms = elbo_terms(x, model(x), self.levels, self.options, beta=self.options.beta)  # forward draws z (train mode)
        self.run.optimize(terms.loss)
        return {
            "loss": terms.loss.detach(),
            "reconstruction": terms.nll.detach().mean(),
            "kl": terms.kl.detach().mean(),
            "bits_per_dim": terms.bits_per_dim.detach().mean(),
        }

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """``val_loss``: the negative ELBO (beta 1) in bits/dim with the same draws every epoch; ``val_kl`` in nats."""
        if len(self.run.val_loader) == 0:
            return {}
        self.run.eval_model.eval()  # the wrapper itself, so the next train_step sees it and switches back
        model = unwrap(self.run.eval_model)
        gen = torch.Generator(device=self.run.device).manual_seed(self.seed + 12345)
        bpd, kl, n = 0.0, 0.0, 0
        for batch in self.run.val_loader:
            terms = negative_elbo(model, self.run.inputs(batch["image"]), self.levels, self.options, generator=gen)
            bpd, kl, n = bpd + float(terms.bits_per_dim.sum()), kl + float(terms.kl.sum()), n + len(terms.kl)
        return {"val_loss": bpd / n, "val_kl": kl / n}

