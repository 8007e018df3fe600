"""DCGAN generator and discriminator (notes 4.2; Radford et al. 2016, section 3 guidelines).

Both work on square images of side ``base * 2^n`` (``base`` 4, the paper's: 8 is n = 1, 32 is n = 3;
``base`` 2: 8 is n = 2), doubling or halving the side at each of ``n`` stages, all convolutions strided
(no pooling), BatchNorm everywhere except the generator's output and the discriminator's input layers.
A small image needs ``base`` 2 for depth: at 8x8, ``base`` 4 leaves each player one hidden layer (a GAN
on digits 8x8 then stalls with its discriminator at chance, Frechet distance 22x its floor after 4,000
steps; ``base`` 2: 6.5x at width 64, 7.1x at width 32).

- ``dcgan_generator``: ``z`` ``(B, latent_dim)`` -> ``project`` (a ``base`` x ``base`` transposed convolution
  of the 1x1 code, ``width * 2^(n-1)`` maps) -> ``up1`` ... ``up{n}`` (4x4 stride-2 transposed convolutions,
  halving the maps) -> images ``(B, C, S, S)``. ReLU inside; the paper's tanh output becomes a sigmoid
  because dlbox images lie in [0, 1].
- ``dcgan_discriminator``: images -> ``down1`` ... ``down{n}`` (4x4 stride-2 convolutions, LeakyReLU 0.2,
  doubling the maps from ``width``) -> ``classifier`` (a ``base`` x ``base`` valid convolution) -> logits ``(B,)``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence

import torch
import torch.nn as nn

from dlbox.models.classifier import as_hw
from dlbox.models.registry import register_model

BASES = (2, 4)  # the side of the projection (generator) and of the last feature map (discriminator)


def _stages(image_size: int | Sequence[int], who: str, base: int = 4) -> int:
    h, w = as_hw(image_size)
    if base not in BASES:
        raise ValueError(f"{who}: base must be one of {BASES} (the side of the smallest feature map), got {base}")
    n = math.log2(h / base) if h >= 2 * base else -1.0
    if h != w or n < 1 or n != int(n):
        raise ValueError(f"{who}: image_size must be square with side {base} * 2^n, n >= 1, got {image_size} (base {base})")
    return int(n)


def _init(module: nn.Module) -> None:
    # Radford et al. section 4: weights from N(0, 0.02); BatchNorm scales from N(1, 0.02)
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


class DCGANGenerator(nn.Module):
    """``(B, latent_dim)`` -> ``(B, C, S, S)`` in [0, 1]."""

    def __init__(self, body: nn.Sequential, latent_dim: int):
        super().__init__()
        self.body = body
        self.latent_dim = latent_dim

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if z.dim() != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"generator input must be (B, {self.latent_dim}) latent codes, got {tuple(z.shape)}")
        return self.body(z[:, :, None, None])  # (B, latent_dim, 1, 1) -> (B, C, S, S)


class DCGANDiscriminator(nn.Module):
    """``(B, C, S, S)`` -> real-vs-fake logits ``(B,)``."""

    def __init__(self, body: nn.Sequential):
        super().__init__()
        self.body = body

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x).flatten()  # (B, 1, 1, 1) -> (B,)


@register_model("dcgan_generator")
def dcgan_generator(in_channels: int = 1, image_size: int | Sequence[int] = 8, latent_dim: int = 32, width: int = 64,
                    base: int = 4) -> DCGANGenerator:
    """``width`` maps at the last hidden stage, doubling towards the ``base`` x ``base`` projection."""
    n = _stages(image_size, "dcgan_generator", base)
    if latent_dim < 1 or width < 1:
        raise ValueError(f"dcgan_generator needs latent_dim >= 1 and width >= 1, got {latent_dim} and {width}")
    c = width * 2 ** (n - 1)
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    layers["project"] = nn.Sequential(
        OrderedDict(deconv=nn.ConvTranspose2d(latent_dim, c, base, 1, 0, bias=False), bn=nn.BatchNorm2d(c), act=nn.ReLU())
    )  # (B, c, base, base)
    for i in range(1, n + 1):
        if i < n:
            layers[f"up{i}"] = nn.Sequential(
                OrderedDict(deconv=nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), bn=nn.BatchNorm2d(c // 2), act=nn.ReLU())
            )
            c //= 2
        else:
            layers[f"up{i}"] = nn.Sequential(OrderedDict(deconv=nn.ConvTranspose2d(c, in_channels, 4, 2, 1), act=nn.Sigmoid()))
    model = DCGANGenerator(nn.Sequential(layers), latent_dim)
    _init(model)
    return model


@register_model("dcgan_discriminator")
def dcgan_discriminator(in_channels: int = 1, image_size: int | Sequence[int] = 8, width: int = 64, base: int = 4) -> DCGANDiscriminator:
    """``width`` maps after the first stride-2 convolution, doubling at each further stage."""
    n = _stages(image_size, "dcgan_discriminator", base)
    if width < 1:
        raise ValueError(f"dcgan_discriminator needs width >= 1, got {width}")
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    c_in, c = in_channels, width
    for i in range(1, n + 1):
        stage: OrderedDict[str, nn.Module] = OrderedDict(conv=nn.Conv2d(c_in, c, 4, 2, 1, bias=i == 1))
        if i > 1:
            stage["bn"] = nn.BatchNorm2d(c)
        stage["act"] = nn.LeakyReLU(0.2)
        layers[f"down{i}"] = nn.Sequential(stage)
        c_in, c = c, c * 2
    layers["classifier"] = nn.Conv2d(c_in, 1, base, 1, 0)  # (B, 1, 1, 1)
    model = DCGANDiscriminator(nn.Sequential(layers))
    _init(model)
    return model
