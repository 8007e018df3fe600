"""The GAN step (notes 4.2): the discriminator learns to spot generated images, then the generator to fool it.

Two optimizers alternate inside one step of the shared loop (``param_groups`` gives one per player):

1. ``discriminator``: real images labelled real, the generator's current images (detached) fake;
2. ``generator``: the same fakes through the just-updated discriminator, labelled real by the
   generator's loss (non-saturating or hinge, :mod:`dlbox.generative.gan_loss`); the discriminator's
   weights are frozen for it, and the EMA of the generator is updated.

Both losses are returned, so ``metrics.csv`` logs ``train_d_loss`` and ``train_g_loss``. Validation
generates a fixed batch and reports the evaluator classifier's predicted-class entropy and mean
confidence: a falling entropy is the mode-collapse alarm.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from dlbox.engine.run import unwrap
from dlbox.engine.training import Run
from dlbox.generative import gan_loss
from dlbox.generative.classifier_scores import class_probabilities, mean_confidence, predicted_class_entropy
from dlbox.generative.latent_sampling import standard_normal_latents

LOSSES = {
    "nonsaturating": (gan_loss.discriminator_loss, gan_loss.generator_loss_nonsaturating),
    "hinge": (gan_loss.discriminator_loss_hinge, gan_loss.generator_loss_hinge),
}
ALARM_BATCH = 500  # generated images scored by the evaluator at each validation
CALIBRATION_BATCHES = 2  # batches of ALARM_BATCH codes that set the generator's batch-norm statistics (1,000 codes:
# as many as the finished run scores; 8 batches made validation, every 20 steps on digits, ~40% of the training time)


def gan_param_groups(model: torch.nn.Module) -> dict[str, list[torch.nn.Parameter]]:
    """One optimizer per player."""
    return {"discriminator": list(model.discriminator.parameters()), "generator": list(model.generator.parameters())}


def set_adam_beta1(optimizers: dict[str, torch.optim.Optimizer], beta1: float) -> None:
    """Adam's first-moment decay ``beta1`` for every group of every Adam(W) optimizer (DCGAN uses 0.5)."""
    for optimizer in optimizers.values():
        for group in optimizer.param_groups:
            if "betas" in group:
                group["betas"] = (beta1, group["betas"][1])


@torch.no_grad()
def recalibrate_batch_norm(generator: nn.Module, latents: torch.Tensor, batch_size: int = ALARM_BATCH) -> None:
    """Set the generator's batch-norm running statistics to their average over ``latents`` ``(N, latent_dim)``.

    Generated images in eval mode then use the statistics of *these* weights. The running averages kept
    during training (and the EMA of them) blend the statistics of many earlier generators, which samples
    visibly worse (a GAN run on digits: Frechet distance 36 with them, 20 with batch statistics). This is
    ``torch.optim.swa_utils.update_bn`` for a generator fed codes instead of data.
    """
    norms = [m for m in generator.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    momenta = [m.momentum for m in norms]
    was_training = generator.training
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average over the batches below
    generator.train()
    try:
        for z in latents.split(batch_size):
            generator(z)
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        generator.train(was_training)


class GANStep:
    """One discriminator step, then one generator step, per batch (``run.optimizers``: ``discriminator``, ``generator``)."""

    def __init__(self, run: Run):
        self.run = run
        options = run.cfg.generate
        self.d_loss, self.g_loss = LOSSES[options.gan_loss]
        self.d_options = {"real_label": options.real_label} if options.gan_loss == "nonsaturating" else {}
        set_adam_beta1(run.optimizers, options.adam_beta1)
        self.latent_dim = unwrap(run.model).latent_dim
        self.evaluator = run.extras["evaluator"]
        gen = torch.Generator().manual_seed(run.cfg.train.seed + 12345)
        self.fixed_z = standard_normal_latents(ALARM_BATCH, (self.latent_dim,), gen, run.device)  # (N, latent_dim)
        self.calibration_z = standard_normal_latents(CALIBRATION_BATCHES * ALARM_BATCH, (self.latent_dim,), gen, run.device)

    def train_step(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        run, model = self.run, self.run.model
        if not model.training:
            model.train()
        real = run.inputs(batch["image"])  # (B, C, H, W)
        z = torch.randn(real.shape[0], self.latent_dim, device=real.device)
        fake = model(z)  # G(z): (B, C, H, W)
        # notes 4.2: instruct the discriminator to spot the generator
        loss_d = self.d_loss(model(real, part="discriminator"), model(fake.detach(), part="discriminator"), **self.d_options)
        run.optimize(loss_d, "discriminator", module=unwrap(model).discriminator, ema=False)
        # ... and the generator to fool the discriminator (whose weights stay as they are)
        discriminator = unwrap(model).discriminator
        discriminator.requires_grad_(False)
        try:
            loss_g = self.g_loss(model(fake, part="discriminator"))
            run.optimize(loss_g, "generator", module=unwrap(model).generator)
        finally:
            discriminator.requires_grad_(True)
        loss_d, loss_g = loss_d.detach(), loss_g.detach()
        # "loss" (required by the loop) is their sum: non-finite as soon as either is
        return {"loss": loss_d + loss_g, "d_loss": loss_d, "g_loss": loss_g}

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """The evaluator's view of a fixed batch of samples from the (EMA) generator, its batch norm recalibrated.

        Validation closes every epoch, the last included, so the saved generator has calibrated statistics.
        Training in batch-statistics mode never reads them, so recalibrating the live generator (no EMA) is harmless.
        """
        generator = unwrap(self.run.eval_model).generator  # without EMA: the generator in training
        recalibrate_batch_norm(generator, self.calibration_z)
        was_training = generator.training
        generator.eval()
        try:
            probs = class_probabilities(self.evaluator, generator(self.fixed_z))
        finally:
            generator.train(was_training)
        return {"val_class_entropy": abs(predicted_class_entropy(probs)), "val_confidence": mean_confidence(probs)}  # abs: not -0.0
