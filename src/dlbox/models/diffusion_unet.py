"""A small U-Net predicting the noise of a diffusion model (notes 4.4; Ho et al. 2020, appendix B).

``forward(x_t, t)``: ``x_t`` ``(B, C, H, W)``, ``t`` ``(B,)`` integer timesteps -> ``eps`` ``(B, C, H, W)``.

- ``time``: sinusoidal embedding of ``t`` (``width`` dims) -> Linear -> SiLU -> Linear (``4 width``).
- ``stem``: 3x3 convolution to ``width`` maps.
- ``down{i}``: ``blocks`` residual blocks at ``width * mults[i]`` maps, then (except the last level) a
  stride-2 convolution ``downsample``. Every block output is kept as a skip.
- ``middle``: two residual blocks.
- ``up{i}``: ``blocks + 1`` residual blocks, each on the concatenation with a skip, then (except the
  top level) nearest-neighbour upsampling and a 3x3 convolution ``upsample``.
- ``out``: GroupNorm -> SiLU -> 3x3 convolution to ``C`` maps.
- ``patch`` ``p > 1``: the U-Net works on ``p x p`` patches, ``x_t`` folded to ``(B, C p^2, H/p, W/p)`` by
  pixel-unshuffle and the output unfolded by pixel-shuffle (the patchify stem of Peebles & Xie 2023,
  "DiT", section 3.1, on a convolutional net): about ``p^2`` times fewer operations at every level.

A residual block is GroupNorm -> SiLU -> conv, plus a projection of the time embedding added per
channel, GroupNorm -> SiLU -> dropout -> conv, with a 1x1 convolution on the skip path when widths differ.
No self-attention: the images here are 8x8 and 32x32.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from dlbox.layers.time_embedding import sinusoidal_embedding
from dlbox.models.classifier import as_hw
from dlbox.models.registry import register_model


def _norm(channels: int) -> nn.GroupNorm:
    groups = next(g for g in (8, 4, 2, 1) if channels % g == 0)
    return nn.GroupNorm(groups, channels)


class ResBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, time_dim: int, dropout: float):
        super().__init__()
        self.norm1, self.conv1 = _norm(c_in), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.time = nn.Linear(time_dim, c_out)
        self.norm2, self.conv2 = _norm(c_out), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.act, self.drop = nn.SiLU(), nn.Dropout(dropout)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(self.act(self.norm1(x)))  # (B, c_out, H, W)
        h = h + self.time(self.act(emb))[:, :, None, None]  # DDPM: the time embedding is added in every block
        h = self.conv2(self.drop(self.act(self.norm2(h))))
        return self.skip(x) + h


class DiffusionUNet(nn.Module):
    def __init__(self, in_channels: int, width: int, mults: Sequence[int], blocks: int, dropout: float, patch: int = 1):
        super().__init__()
        self.width, self.patch = width, patch
        in_channels = in_channels * patch * patch  # maps of the folded p x p patches
        time_dim = 4 * width
        self.time = nn.Sequential(nn.Linear(width, time_dim), nn.SiLU(), nn.Linear(time_dim, time_dim))
        self.stem = nn.Conv2d(in_channels, width, 3, padding=1)
        widths = [width * m for m in mults]
        skips, c = [width], width
        self.down = nn.ModuleDict()
        for i, w in enumerate(widths):
            level = nn.Module()
            level.blocks = nn.ModuleList()
            for _ in range(blocks):
                level.blocks.append(ResBlock(c, w, time_dim, dropout))
                c = w
                skips.append(c)
            if i < len(widths) - 1:
                level.downsample = nn.Conv2d(c, c, 3, stride=2, padding=1)
                skips.append(c)
            self.down[f"down{i + 1}"] = level
        self.middle = nn.ModuleList([ResBlock(c, c, time_dim, dropout), ResBlock(c, c, time_dim, dropout)])
        self.up = nn.ModuleDict()
        for i, w in reversed(list(enumerate(widths))):
            level = nn.Module()
            level.blocks = nn.ModuleList()
            for _ in range(blocks + 1):
                level.blocks.append(ResBlock(c + skips.pop(), w, time_dim, dropout))
                c = w
            if i > 0:
                level.upsample = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(c, c, 3, padding=1))
            self.up[f"up{i + 1}"] = level
        self.out = nn.Sequential(_norm(c), nn.SiLU(), nn.Conv2d(c, in_channels, 3, padding=1))

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        if t.dim() != 1 or t.shape[0] != x_t.shape[0]:
            raise ValueError(f"timesteps must be a ({x_t.shape[0]},) tensor, got shape {tuple(t.shape)}")
        emb = self.time(sinusoidal_embedding(t, self.width).to(x_t.dtype))  # (B, 4 width)
        x = F.pixel_unshuffle(x_t, self.patch) if self.patch > 1 else x_t  # (B, C p^2, H/p, W/p)
        h = self.stem(x)
        skips = [h]
        for level in self.down.values():
            for block in level.blocks:
                h = block(h, emb)
                skips.append(h)
            if hasattr(level, "downsample"):
                h = level.downsample(h)  # (B, c, H/2, W/2)
                skips.append(h)
        for block in self.middle:
            h = block(h, emb)
        for level in self.up.values():
            for block in level.blocks:
                h = block(torch.cat([h, skips.pop()], dim=1), emb)
            if hasattr(level, "upsample"):
                h = level.upsample(h)  # (B, c, 2H, 2W)
        out = self.out(h)
        return F.pixel_shuffle(out, self.patch) if self.patch > 1 else out  # (B, C, H, W)


@register_model("diffusion_unet")
def diffusion_unet(
    in_channels: int = 1,
    image_size: int | Sequence[int] = 8,
    width: int = 32,
    mults: Sequence[int] = (1, 2),
    blocks: int = 1,
    dropout: float = 0.0,
    patch: int = 1,
) -> DiffusionUNet:
    """``len(mults)`` resolution levels of ``width * mults[i]`` maps on ``patch x patch`` patches; the side must halve evenly at each."""
    if width < 2 or width % 2 or not mults or min(mults) < 1 or blocks < 1:
        raise ValueError(f"diffusion_unet needs an even width >= 2, mults >= 1 and blocks >= 1, got {width}, {tuple(mults)}, {blocks}")
    if patch < 1:
        raise ValueError(f"diffusion_unet: patch must be at least 1 (1: no patches), got {patch}")
    h, w = as_hw(image_size)
    f = patch * 2 ** (len(mults) - 1)
    if h % f or w % f:
        raise ValueError(f"diffusion_unet: image_size {image_size} must be divisible by patch * 2^(len(mults)-1) = {f}; "
                         "use fewer levels or a smaller patch")
    return DiffusionUNet(in_channels, width, list(mults), blocks, dropout, patch)
