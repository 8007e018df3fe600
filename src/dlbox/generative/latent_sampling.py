"""Sampling latent-variable generators (notes 4.1.2, 4.2, 4.3): ``z ~ N(0, I)`` through the decoder.

These are the "pipelines" of the VAE, GAN and flow; diffusion has :mod:`~dlbox.generative.ddpm` and
:mod:`~dlbox.generative.ddim`. Each runs under ``no_grad`` and returns images in [0, 1] ``(N, C, H, W)``;
none changes the model's train/eval mode (call ``model.eval()`` first for BatchNorm models).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn

from dlbox.generative.dequantize import quantize
from dlbox.generative.flow_loss import DEFAULT_ALPHA, Flow, inverse_logit_transform
from dlbox.generative.latent_prior import model_mixture, sample_gaussian_mixture
from dlbox.generative.likelihood import sample_discretized_logistic


def standard_normal_latents(
    num: int, shape: Sequence[int], generator: torch.Generator | None = None, device: torch.device | str | None = None
) -> torch.Tensor:
    """``(num, *shape)`` draws from ``N(0, I)``, from ``generator`` (on its device), moved to ``device``."""
    if num < 1:
        raise ValueError(f"the number of samples must be at least 1, got {num}")
    gen_device = generator.device if generator is not None else device
    return torch.randn((num, *shape), generator=generator, device=gen_device).to(device)


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.no_grad()
def sample_vae(model: nn.Module, num: int, generator: torch.Generator | None = None, levels: int | None = None,
               mixture: bool = False) -> torch.Tensor:
    """Decode prior draws (notes 4.1.2). Gaussian decoders give their means; discretised ones, with
    ``levels``, a draw of every pixel (without ``levels``, their means).

    The codes are drawn from ``N(0, I)``, or with ``mixture`` from the Gaussian mixture the model holds, fitted to
    the training codes after training (:mod:`dlbox.generative.latent_prior`; an error if it holds none).
    """
    if mixture:
        prior = model_mixture(model)
        if prior is None:
            raise ValueError("this VAE holds no fitted mixture prior (built with prior_components=0); sample from N(0, I)")
        z = sample_gaussian_mixture(prior, num, generator)  # (N, latent_dim)
    else:
        z = standard_normal_latents(num, (model.latent_dim,), generator, _device(model))
    mean, log_scale = model.decode(z)
    if log_scale is None or levels is None:
        return mean
    return sample_discretized_logistic(mean, log_scale, levels, generator)


@torch.no_grad()
def sample_gan(generator_model: nn.Module, num: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """``G(z)`` for prior draws ``z`` (notes 4.2); the generator model has ``latent_dim``."""
    z = standard_normal_latents(num, (generator_model.latent_dim,), generator, _device(generator_model))
    return generator_model(z)


@torch.no_grad()
def sample_flow(
    flow: Flow,
    num: int,
    image_shape: Sequence[int],
    generator: torch.Generator | None = None,
    temperature: float = 1.0,
    levels: int | None = None,
    alpha: float = DEFAULT_ALPHA,
) -> torch.Tensor:
    """Invert the flow at ``z ~ N(0, temperature^2 I)``, undo the logit, and with ``levels`` quantize (notes 4.3)."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    z = temperature * standard_normal_latents(num, image_shape, generator, _device(flow))  # (N, C, H, W)
    y = inverse_logit_transform(flow.inverse(z), alpha).clamp(0.0, 1.0)
    return quantize(y, levels) if levels is not None else y
