"""The diffusion step (notes 4.4; Ho et al. 2020, Algorithm 1): regress the noise added at a random step.

Images go to [-1, 1], a timestep ``t`` and noise ``eps`` are drawn per image, and the U-Net predicts
``eps`` from ``x_t``; the exponential moving average of the weights (``train.ema``) is what samples.
"""

from __future__ import annotations

import torch

from dlbox.engine.training import Run
from dlbox.generative.diffusion_loss import diffusion_loss, to_diffusion_range
from dlbox.generative.noise_schedule import NoiseSchedule, cosine_betas, linear_betas
from dlbox.tasks.generate.config import GenerateOptions
from dlbox.tasks.generate.data import seeded_validation_mean


def noise_schedule(options: GenerateOptions, device: torch.device | str = "cpu") -> NoiseSchedule:
    """The forward process ``generate.noise_schedule`` with ``generate.timesteps`` steps, on ``device``."""
    betas = {"linear": linear_betas, "cosine": cosine_betas}[options.noise_schedule](options.timesteps)
    return NoiseSchedule.from_betas(betas).to(device)


class DiffusionStep:
    """One step on the epsilon-prediction loss; validation on fixed ``t`` and noise with the EMA weights."""

    def __init__(self, run: Run):
        self.run = run
        self.schedule = noise_schedule(run.cfg.generate, run.device)
        self.seed = run.cfg.train.seed

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        model = self.run.model
        if not model.training:
            model.train()
        x0 = to_diffusion_range(self.run.inputs(batch["image"]))  # (B, C, H, W) in [-1, 1]
        # DDPM eq. 14 at uniform t, weighted per step by Min-SNR-gamma when generate.min_snr_gamma is set
        loss = diffusion_loss(model, self.schedule, x0, min_snr_gamma=self.run.cfg.generate.min_snr_gamma)
        self.run.optimize(loss)
        return {"loss": loss.detach()}

    def validate(self) -> dict[str, float]:
        """``val_loss``: the (unweighted) mean squared noise error on the validation images, the same draws every epoch."""

        def per_image(model: torch.nn.Module, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:  # (N,)
            return diffusion_loss(model, self.schedule, to_diffusion_range(x), generator=gen).float().expand(len(x))

        return seeded_validation_mean(self.run, self.seed, per_image)
