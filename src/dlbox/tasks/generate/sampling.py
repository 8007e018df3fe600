"""New images from a trained model of each kind (notes 4.1.2, 4.2, 4.3, 4.4), in batches, timed.

- ``vae``: decoder means at codes drawn from the fitted mixture prior (``prior mixture``) or ``N(0, I)`` (``standard``);
  the pixel noise of the likelihood is left out, as usual for pictures;
- ``gan``: ``G(z)``;
- ``flow``: the inverse flow at ``z ~ N(0, temperature^2 I)``, put back on the data's levels;
- ``diffusion``: DDIM in ``ddim_steps`` steps (``eta``) or DDPM ancestral sampling in ``T`` steps, from ``x_T ~ N(0, I)``.

Every function returns images ``(N, C, H, W)`` in [0, 1] on the model's device; draws come from ``generator``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import torch
import torch.nn as nn

from dlbox.generative import ddim, ddpm
from dlbox.generative.diffusion_loss import from_diffusion_range
from dlbox.generative.latent_sampling import sample_flow, sample_gan, sample_vae
from dlbox.tasks.generate.config import GenerateOptions
from dlbox.tasks.generate.diffusion_step import noise_schedule

BATCH = 250  # images generated at once


@torch.no_grad()
def sample_batch(model: nn.Module, options: GenerateOptions, n: int, image_shape: Sequence[int], levels: int,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` images of ``image_shape`` ``(C, H, W)`` from the model of kind ``options.kind`` (put in eval mode)."""
    model.eval()
    kind = options.kind
    if kind == "vae":
        return sample_vae(model, n, generator, mixture=options.prior == "mixture")
    if kind == "gan":
        return sample_gan(model.generator, n, generator)
    if kind == "flow":
        return sample_flow(model, n, image_shape, generator, temperature=options.temperature, levels=levels)
    if kind == "diffusion":
        device = next(model.parameters()).device
        schedule = noise_schedule(options, device)
        shape = (n, *image_shape)
        if options.sampler == "ddpm":
            x = ddpm.sample(model, schedule, shape, generator)
        else:
            x = ddim.sample(model, schedule, shape, options.ddim_steps, options.eta, generator)
        return from_diffusion_range(x)  # (N, C, H, W) in [0, 1]
    raise ValueError(f"unknown generative kind {kind!r}")


def sample_images(model: nn.Module, options: GenerateOptions, n: int, image_shape: Sequence[int], levels: int,
                  seed: int = 0, batch_size: int = BATCH) -> tuple[torch.Tensor, float]:
    """``n`` images in batches of ``batch_size`` drawn from ``seed``, and the seconds spent per image."""
    if n < 1:
        raise ValueError(f"the number of samples must be at least 1, got {n}")
    generator = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    _sync(device)
    start = time.perf_counter()
    parts = [sample_batch(model, options, min(batch_size, n - i), image_shape, levels, generator) for i in range(0, n, batch_size)]
    _sync(device)
    seconds = time.perf_counter() - start
    return torch.cat(parts), seconds / n


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
