"""Content and style losses (notes 3.9.3), shared by Gatys' optimisation and Johnson's perceptual training.

- content: ``L_content = mean_{c,i} (F^l_{c,i} - C_{c,i})^2`` on one high layer (the notes'
  sum divided by the constant ``C^l M^l``, which only rescales alpha);
- style: ``L_style = sum_l gamma_l E_l``, ``E_l = sum_{i,j} (G^l_{ij} - S^l_{ij})^2 / (4 (C^l)^2)``
  with M-normalised Gram matrices: exactly Gatys et al.'s ``1 / (4 N_l^2 M_l^2)`` weighting;
- total: ``alpha L_content + beta L_style`` (+ optional total variation, added by the loop).

:class:`StyleContentLoss` holds the loss network (frozen), the layers and the
style image's Gram matrices.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn

from dlbox.features.sources import Network
from dlbox.style.gram import gram_matrix

# Layer choices of the papers, for torchvision VGGs (aliases from dlbox.features.sources).
GATYS_LAYERS = {"content": "relu4_2", "style": ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]}
JOHNSON_LAYERS = {"content": "relu2_2", "style": ["relu1_2", "relu2_2", "relu3_3", "relu4_3"]}

ACTIVATION_TYPES = (nn.ReLU, nn.LeakyReLU, nn.GELU, nn.SiLU, nn.ELU, nn.Tanh, nn.Sigmoid)


def content_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared feature difference per image, averaged over the batch."""
    return (features - target).pow(2).flatten(1).mean(1).mean()


def style_layer_loss(gram: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``E_l`` per image, averaged over the batch; ``gram (B, C, C)``, ``target (1|B, C, C)``."""
    c = gram.shape[-1]
    return (gram - target).pow(2).sum(dim=(1, 2)).mean() / (4 * c * c)


def default_layers(network: Network, paper: str = "gatys") -> tuple[str, list[str]]:
    """``(content_layer, style_layers)``: the paper's VGG layers, or evenly spread activations of any model."""
    table = GATYS_LAYERS if paper == "gatys" else JOHNSON_LAYERS
    if all(n in network.aliases for n in [table["content"], *table["style"]]):
        return table["content"], list(table["style"])  # type: ignore[arg-type]
    acts = [n for n, m in network.model.named_modules() if n.startswith("features.") and isinstance(m, ACTIVATION_TYPES)]
    if not acts:
        acts = [n for n, m in network.model.named_modules() if isinstance(m, nn.Conv2d)]
    if not acts:
        raise ValueError(f"{network.spec} has no convolutional layers to take style from; name them with --style-layers")
    k = min(5 if paper == "gatys" else 4, len(acts))
    style = [acts[round(i * (len(acts) - 1) / max(1, k - 1))] for i in range(k)] if k > 1 else acts[:1]
    content = acts[round(0.7 * (len(acts) - 1))]
    return content, list(dict.fromkeys(style))


class StyleContentLoss:
    """Content and style losses of images against fixed targets, through a frozen loss network."""

    def __init__(
        self,
        network: Network,
        style_image: torch.Tensor,
        content_layer: str,
        style_layers: Sequence[str],
        style_weights: Sequence[float] | None = None,
    ):
        if not style_layers:
            raise ValueError("at least one style layer is needed")
        weights = list(style_weights) if style_weights else [1.0 / len(style_layers)] * len(style_layers)
        if len(weights) != len(style_layers):
            raise ValueError(f"{len(weights)} style weights for {len(style_layers)} style layers; give one gamma per layer")
        if any(w < 0 for w in weights):
            raise ValueError(f"style weights must be non-negative, got {weights}")
        self.network = network
        self.content_layer = content_layer
        self.style_layers = list(style_layers)
        self.style_weights = weights
        self.extractor = network.extractor([content_layer, *self.style_layers])
        with torch.no_grad():
            feats = self.extractor(style_image.unsqueeze(0) if style_image.ndim == 3 else style_image)
            self.style_grams = {n: gram_matrix(feats[n]).detach() for n in self.style_layers}

    def features(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.extractor(x)

    @torch.no_grad()
    def content_target(self, content: torch.Tensor) -> torch.Tensor:
        return self.extractor(content)[self.content_layer].detach()

    def losses(self, x: torch.Tensor, content_target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
        """``(L_content, L_style, {layer: E_l})`` of images ``x`` (B, C, H, W)."""
        feats = self.extractor(x)
        lc = content_loss(feats[self.content_layer], content_target)
        per_layer = {n: style_layer_loss(gram_matrix(feats[n]), self.style_grams[n]) for n in self.style_layers}
        ls = sum(w * per_layer[n] for n, w in zip(self.style_layers, self.style_weights))
        return lc, ls, per_layer  # type: ignore[return-value]
