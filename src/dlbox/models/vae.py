"""Variational autoencoder (notes 4.1; Kingma & Welling 2014): an encoder to ``q(z|x)``, a decoder to ``p(x|z)``.

``encoder``: stride-2 convolutions (``encoder.conv1`` ...; none with ``channels=()``, an MLP), then
``encoder.flatten`` and dense layers ``encoder.fc1`` ... (``hidden``); two heads ``fc_mu`` and
``fc_logvar`` give ``mu(X)`` and ``log sigma^2(X)`` of the Gaussian ``q(z|X)`` (notes 4.1.1).
``decoder``: dense layers back to the last feature map, stride-2 transposed convolutions
(``decoder.deconv1`` ...), an output with one map per channel and per likelihood parameter:

- ``likelihood="gaussian"``: the mean of ``N(mean, sigma^2 I)`` (sigmoid, in [0, 1]);
- ``likelihood="discretized"``: the mean (sigmoid) and log-scale of a per-pixel discretised logistic.

``prior_components=K > 0`` adds three buffers for a Gaussian mixture over the codes, ``prior_weights (K,)``,
``prior_means (K, D)`` and ``prior_scale_tril (K, D, D)``: a prior fitted after training to the training codes
(:mod:`dlbox.generative.latent_prior`) that sampling may draw from instead of ``N(0, I)``. They start as ``K``
copies of ``N(0, I)`` and take no part in training or in the ELBO.

``forward(x)`` encodes, draws ``z`` by reparameterisation in training mode (``z = mu`` in eval mode)
and decodes, returning :class:`VAEOutput` whose first field is the mean image, shaped like ``x``.
The losses live in :mod:`dlbox.generative.vae_loss`.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import NamedTuple

import torch
import torch.nn as nn

from dlbox.layers.activation import make_activation
from dlbox.layers.reparameterize import reparameterize
from dlbox.models.classifier import as_hw
from dlbox.models.registry import register_model

LIKELIHOODS = ("gaussian", "discretized")
MIN_LOG_SCALE = -7.0  # PixelCNN++ floor on the logistic's log-scale


class VAEOutput(NamedTuple):
    mean: torch.Tensor  # (B, C, H, W) decoder mean in [0, 1]
    mu: torch.Tensor  # (B, latent_dim)
    logvar: torch.Tensor  # (B, latent_dim)
    log_scale: torch.Tensor | None  # (B, C, H, W) for "discretized", else None


class VAE(nn.Module):
    def __init__(
        self,
        encoder: nn.Module,
        fc_mu: nn.Linear,
        fc_logvar: nn.Linear,
        decoder: nn.Module,
        in_channels: int,
        image_size: tuple[int, int],
        likelihood: str,
        prior_components: int = 0,
    ):
        super().__init__()
        self.encoder = encoder
        self.fc_mu = fc_mu
        self.fc_logvar = fc_logvar
        self.decoder = decoder
        self.latent_dim = fc_mu.out_features
        self.in_channels = in_channels
        self.image_size = image_size
        self.likelihood = likelihood
        self.prior_components = prior_components
        if prior_components > 0:
            d = self.latent_dim
            self.register_buffer("prior_weights", torch.full((prior_components,), 1.0 / prior_components))
            self.register_buffer("prior_means", torch.zeros(prior_components, d))
            self.register_buffer("prior_scale_tril", torch.eye(d).expand(prior_components, d, d).clone())

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(B, C, H, W)`` -> ``mu``, ``logvar`` ``(B, latent_dim)``."""
        h = self.encoder(x)
        return self.fc_mu(h), self.fc_logvar(h)

    def decode(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(B, latent_dim)`` -> mean ``(B, C, H, W)`` in [0, 1] and log-scale (``None`` when Gaussian)."""
        h, w = self.image_size
        out = self.decoder(z)[..., :h, :w]  # (B, C or 2C, H, W)
        if self.likelihood == "gaussian":
            return torch.sigmoid(out), None
        mean, log_scale = out.chunk(2, dim=1)  # (B, C, H, W) each
        return torch.sigmoid(mean), log_scale.clamp_min(MIN_LOG_SCALE)

    def forward(self, x: torch.Tensor) -> VAEOutput:
        mu, logvar = self.encode(x)
        # notes 4.1.1: in training the decoder sees a point drawn around mu(X) with variance sigma^2(X)
        z = reparameterize(mu, logvar) if self.training else mu
        mean, log_scale = self.decode(z)
        return VAEOutput(mean, mu, logvar, log_scale)


def _dense(prefix: str, sizes: Sequence[int], activation: str) -> OrderedDict[str, nn.Module]:
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        layers[f"{prefix}{i}"] = nn.Linear(a, b)
        layers[f"act_{prefix}{i}"] = make_activation(activation)
    return layers


@register_model("vae")
def vae(
    in_channels: int = 1,
    image_size: int | Sequence[int] = 8,
    channels: Sequence[int] = (32, 64),
    hidden: Sequence[int] = (),
    latent_dim: int = 8,
    likelihood: str = "gaussian",
    activation: str = "relu",
    prior_components: int = 0,
) -> VAE:
    """``len(channels)`` stride-2 stages (each halves H and W), ``hidden`` dense layers, a ``latent_dim`` code.

    ``channels=()`` with some ``hidden`` sizes is an MLP VAE (fine for 8x8 images).
    """
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"vae likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
    if latent_dim < 1:
        raise ValueError(f"latent_dim must be at least 1, got {latent_dim}")
    if prior_components < 0:
        raise ValueError(f"prior_components must be 0 (the N(0, I) prior only) or more, got {prior_components}")
    h, w = as_hw(image_size)
    out_channels = in_channels * (1 if likelihood == "gaussian" else 2)
    enc: OrderedDict[str, nn.Module] = OrderedDict()
    c_in, fh, fw = in_channels, h, w
    for i, c in enumerate(channels, start=1):
        enc[f"conv{i}"] = nn.Conv2d(c_in, c, 3, stride=2, padding=1)
        enc[f"act{i}"] = make_activation(activation)
        c_in, fh, fw = c, (fh + 1) // 2, (fw + 1) // 2
    enc["flatten"] = nn.Flatten()
    flat = c_in * fh * fw
    enc.update(_dense("fc", [flat, *hidden], activation))
    code_in = hidden[-1] if hidden else flat
    dec: OrderedDict[str, nn.Module] = OrderedDict()
    if channels:
        dec.update(_dense("fc", [latent_dim, *hidden[::-1], flat], activation))
        dec["unflatten"] = nn.Unflatten(1, (c_in, fh, fw))
        widths = list(channels)[::-1][1:]
        for i, c in enumerate(widths, start=1):
            dec[f"deconv{i}"] = nn.ConvTranspose2d(c_in, c, 4, stride=2, padding=1)
            dec[f"act{i}"] = make_activation(activation)
            c_in = c
        dec["out"] = nn.ConvTranspose2d(c_in, out_channels, 4, stride=2, padding=1)  # logits of the parameters
    else:
        dec.update(_dense("fc", [latent_dim, *hidden[::-1]], activation))
        dec["out"] = nn.Linear(hidden[0] if hidden else latent_dim, out_channels * h * w)
        dec["unflatten"] = nn.Unflatten(1, (out_channels, h, w))
    return VAE(nn.Sequential(enc), nn.Linear(code_in, latent_dim), nn.Linear(code_in, latent_dim), nn.Sequential(dec), in_channels, (h, w), likelihood,
               prior_components)
