"""A GAN as one registered model (notes 4.2): the DCGAN generator and discriminator side by side.

The training run saves and rebuilds one module per run directory; this container holds both players
so ``load_model(run_dir)`` restores the pair (``generator.*`` and ``discriminator.*`` weights).

``forward(z)`` is the generator, ``(B, latent_dim) -> (B, C, S, S)`` in [0, 1];
``forward(x, part="discriminator")`` gives the discriminator's real-vs-fake logits ``(B,)``.
Both go through ``forward`` so a wrapper (Fabric's precision, ``torch.compile``) sees every call.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn

from dlbox.models.dcgan import DCGANDiscriminator, DCGANGenerator, dcgan_discriminator, dcgan_generator
from dlbox.models.registry import register_model

PARTS = ("generator", "discriminator")


class GAN(nn.Module):
    def __init__(self, generator: DCGANGenerator, discriminator: DCGANDiscriminator):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = generator.latent_dim

    def forward(self, inputs: torch.Tensor, part: str = "generator") -> torch.Tensor:
        if part == "generator":
            return self.generator(inputs)  # (B, latent_dim) -> (B, C, S, S)
        if part == "discriminator":
            return self.discriminator(inputs)  # (B, C, S, S) -> (B,)
        raise ValueError(f"GAN part must be one of {PARTS}, got {part!r}")


@register_model("gan")
def gan(
    in_channels: int = 1,
    image_size: int | Sequence[int] = 8,
    latent_dim: int = 32,
    g_width: int = 64,
    d_width: int = 64,
    base: int = 4,
) -> GAN:
    """``dcgan_generator(latent_dim, width=g_width)`` and ``dcgan_discriminator(width=d_width)`` for one image shape,
    both from the same ``base`` (the side of the generator's projection and the discriminator's last map: 2 or 4)."""
    generator = dcgan_generator(in_channels=in_channels, image_size=image_size, latent_dim=latent_dim, width=g_width, base=base)
    discriminator = dcgan_discriminator(in_channels=in_channels, image_size=image_size, width=d_width, base=base)
    return GAN(generator, discriminator)
