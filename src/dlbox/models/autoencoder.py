"""Convolutional autoencoder (notes 3.10.3): an encoder down to a small code, a decoder back up.

``encoder``: stages of stride-2 convolutions (``encoder.conv1`` ... each halves
H and W), then ``encoder.flatten`` and ``encoder.fc`` to the ``latent_dim``
bottleneck. ``decoder``: ``decoder.fc`` back to the last feature map, then
stride-2 transposed convolutions (``decoder.deconv1`` ...) doubling H and W,
ending in a sigmoid so reconstructions lie in [0, 1] like the inputs.
``forward(x) = decode(encode(x))``; sizes that do not halve evenly are cropped
back to ``image_size``.

Registered as ``conv_autoencoder`` so :func:`dlbox.load_model` rebuilds it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
import torch.nn as nn

from dlbox.layers.activation import make_activation
from dlbox.models.classifier import as_hw
from dlbox.models.registry import register_model


class ConvAutoencoder(nn.Module):
    def __init__(self, encoder: nn.Module, decoder: nn.Module, latent_dim: int, in_channels: int, image_size: tuple[int, int]):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.latent_dim = latent_dim
        self.in_channels = in_channels
        self.image_size = image_size

    def encode(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W) -> (B, latent_dim)
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:  # (B, latent_dim) -> (B, C, H, W) in [0, 1]
        h, w = self.image_size
        return self.decoder(z)[..., :h, :w]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


@register_model("conv_autoencoder")
def conv_autoencoder(
    in_channels: int = 1,
    image_size: int | Sequence[int] = 8,
    channels: Sequence[int] = (32, 64),
    latent_dim: int = 8,
    activation: str = "relu",
    convs_per_stage: int = 1,
) -> ConvAutoencoder:
    """``len(channels)`` stride-2 stages down to a ``latent_dim`` code and back up.

    ``convs_per_stage`` > 1 adds that many minus one 3x3 stride-1 convolutions
    (``convNb``...) after each stride-2 one, and mirrored ones in the decoder.
    """
    if convs_per_stage < 1:
        raise ValueError(f"convs_per_stage must be at least 1, got {convs_per_stage}")
    if latent_dim < 1:
        raise ValueError(f"latent_dim must be at least 1, got {latent_dim}")
    if not channels:
        raise ValueError("channels must list at least one stage width")
    h, w = as_hw(image_size)
    enc: OrderedDict[str, nn.Module] = OrderedDict()
    c_in, fh, fw = in_channels, h, w
    for i, c in enumerate(channels, start=1):
        enc[f"conv{i}"] = nn.Conv2d(c_in, c, 3, stride=2, padding=1)
        enc[f"act{i}"] = make_activation(activation)
        for j in range(2, convs_per_stage + 1):
            enc[f"conv{i}_{j}"] = nn.Conv2d(c, c, 3, padding=1)
            enc[f"act{i}_{j}"] = make_activation(activation)
        c_in, fh, fw = c, (fh + 1) // 2, (fw + 1) // 2
    enc["flatten"] = nn.Flatten()
    enc["fc"] = nn.Linear(c_in * fh * fw, latent_dim)
    dec: OrderedDict[str, nn.Module] = OrderedDict()
    dec["fc"] = nn.Linear(latent_dim, c_in * fh * fw)
    dec["act0"] = make_activation(activation)
    dec["unflatten"] = nn.Unflatten(1, (c_in, fh, fw))
    widths = list(channels)[::-1][1:] + [in_channels]
    for i, c in enumerate(widths, start=1):
        for j in range(2, convs_per_stage + 1):
            dec[f"conv{i}_{j}"] = nn.Conv2d(c_in, c_in, 3, padding=1)
            dec[f"act{i}_{j}"] = make_activation(activation)
        dec[f"deconv{i}"] = nn.ConvTranspose2d(c_in, c, 4, stride=2, padding=1)
        dec[f"act{i}"] = make_activation(activation) if i < len(widths) else nn.Sigmoid()
        c_in = c
    return ConvAutoencoder(nn.Sequential(enc), nn.Sequential(dec), latent_dim, in_channels, (h, w))
