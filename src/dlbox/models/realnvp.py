"""RealNVP (notes 4.3; Dinh et al. 2017): a multi-scale stack of affine coupling layers.

Affine coupling (RealNVP eq. 9) with a binary mask ``b``: ``y = b x + (1 - b) (x exp(s(b x)) + t(b x))``,
log-det ``sum((1 - b) s)`` (eq. 6), inverse ``x = b y + (1 - b) (y - t(b y)) exp(-s(b y))``. Masks are
a spatial checkerboard or a channel split (section 3.4), alternating which half is transformed.

Each of ``num_scales - 1`` scale levels (section 3.6): 3 checkerboard couplings, a squeeze
``(C, H, W) -> (4C, H/2, W/2)``, 3 channel couplings, then half the channels are factored out (they are
final latents) and the rest go to the next level. The last level is 4 checkerboard couplings.
Factored-out halves are put back in place, so ``z`` has the input's shape.

``forward(x) -> (z, log_det)`` with ``log_det = log|det dz/dx|`` ``(B,)``; ``inverse(z) -> x``.
Inputs are unbounded (logit space): :mod:`dlbox.generative.flow_loss` dequantizes and logit-transforms
images, and accounts that transform's log-det.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from dlbox.models.classifier import as_hw
from dlbox.models.registry import register_model

CHECKERBOARD, CHANNEL = "checkerboard", "channel"


def coupling_mask(kind: str, parity: int, shape: Sequence[int], like: torch.Tensor) -> torch.Tensor:
    """The 0/1 mask ``b`` (1 = conditioning, kept) broadcasting against ``(B, C, H, W)`` ``shape``."""
    _, c, h, w = shape
    if kind == CHECKERBOARD:
        ii = torch.arange(h, device=like.device)[:, None]
        jj = torch.arange(w, device=like.device)[None, :]
        return ((ii + jj + parity) % 2 == 0).to(like.dtype)[None, None]  # (1, 1, H, W)
    half = torch.arange(c, device=like.device) < c // 2
    return (half if parity == 0 else ~half).to(like.dtype)[None, :, None, None]  # (1, C, 1, 1)


class AffineCoupling(nn.Module):
    """One coupling layer on ``(B, C, H, W)``; ``s`` and ``t`` from a small conv net of the kept half."""

    def __init__(self, channels: int, kind: str, parity: int, hidden: int, depth: int):
        super().__init__()
        self.kind, self.parity = kind, parity
        layers: list[nn.Module] = [nn.Conv2d(channels, hidden, 3, padding=1), nn.ReLU()]
        for _ in range(depth - 1):
            layers += [nn.Conv2d(hidden, hidden, 3, padding=1), nn.ReLU()]
        out = nn.Conv2d(hidden, 2 * channels, 3, padding=1)
        nn.init.zeros_(out.weight)  # start as the identity map
        nn.init.zeros_(out.bias)
        self.net = nn.Sequential(*layers, out)
        self.scale = nn.Parameter(torch.ones(1, channels, 1, 1))  # s = scale * tanh(.) (section 4.1)

    def _s_t(self, kept: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s, t = self.net(kept).chunk(2, dim=1)  # (B, C, H, W) each
        return self.scale * torch.tanh(s) * (1 - mask), t * (1 - mask)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mask = coupling_mask(self.kind, self.parity, x.shape, x)
        s, t = self._s_t(x * mask, mask)
        # RealNVP eq. 9: y = b x + (1 - b) (x exp(s(b x)) + t(b x))
        y = x * mask + (1 - mask) * (x * torch.exp(s) + t)
        return y, s.flatten(1).sum(1)  # eq. 6: log|det| = sum of s over transformed units

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        mask = coupling_mask(self.kind, self.parity, y.shape, y)
        s, t = self._s_t(y * mask, mask)
        return y * mask + (1 - mask) * (y - t) * torch.exp(-s)


class CouplingStack(nn.ModuleList):
    """Couplings applied in order; ``forward`` sums their log-dets."""

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        log_det = x.new_zeros(x.shape[0])
        for layer in self:
            x, ld = layer(x)
            log_det = log_det + ld
        return x, log_det

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        for layer in reversed(self):
            y = layer.inverse(y)
        return y


def _stack(channels: int, kind: str, count: int, hidden: int, depth: int) -> CouplingStack:
    return CouplingStack([AffineCoupling(channels, kind, i % 2, hidden, depth) for i in range(count)])


class RealNVP(nn.Module):
    """``(B, C, H, W)`` -> ``z`` ``(B, C, H, W)`` and ``log|det dz/dx|`` ``(B,)``, and back."""

    def __init__(self, in_channels: int, num_scales: int, hidden: int, depth: int):
        super().__init__()
        self.checkerboards = nn.ModuleList()
        self.channelwise = nn.ModuleList()
        c = in_channels
        for _ in range(num_scales - 1):
            self.checkerboards.append(_stack(c, CHECKERBOARD, 3, hidden, depth))
            self.channelwise.append(_stack(4 * c, CHANNEL, 3, hidden, depth))
            c *= 2  # squeeze gives 4c, half of them factored out
        self.final = _stack(c, CHECKERBOARD, 4, hidden, depth)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        log_det = x.new_zeros(x.shape[0])
        factored = []
        for checker, channel in zip(self.checkerboards, self.channelwise):
            x, ld1 = checker(x)
            x, ld2 = channel(F.pixel_unshuffle(x, 2))  # squeeze: (B, 4C, H/2, W/2)
            out, x = x.chunk(2, dim=1)  # factor out half the channels (section 3.6)
            factored.append(out)
            log_det = log_det + ld1 + ld2
        z, ld = self.final(x)
        for out in reversed(factored):
            z = F.pixel_shuffle(torch.cat([out, z], dim=1), 2)  # back to the level's (B, C, H, W)
        return z, log_det + ld

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        factored = []
        for _ in self.checkerboards:
            out, z = F.pixel_unshuffle(z, 2).chunk(2, dim=1)
            factored.append(out)
        x = self.final.inverse(z)
        for checker, channel, out in reversed(list(zip(self.checkerboards, self.channelwise, factored))):
            x = channel.inverse(torch.cat([out, x], dim=1))
            x = checker.inverse(F.pixel_shuffle(x, 2))
        return x


@register_model("realnvp")
def realnvp(in_channels: int = 1, image_size: int | Sequence[int] = 8, num_scales: int = 2, hidden: int = 32, depth: int = 2) -> RealNVP:
    """``num_scales`` levels; each coupling's ``s, t`` net has ``depth`` 3x3 convolutions of ``hidden`` maps."""
    h, w = as_hw(image_size)
    if num_scales < 1 or hidden < 1 or depth < 1:
        raise ValueError(f"realnvp needs num_scales, hidden and depth >= 1, got {num_scales}, {hidden}, {depth}")
    f = 2 ** (num_scales - 1)
    if h % f or w % f or min(h, w) // f < 2:
        raise ValueError(
            f"realnvp: image_size {image_size} must be divisible by 2^(num_scales-1) = {f} leaving a side >= 2; "
            f"use fewer scales (num_scales={num_scales})"
        )
    return RealNVP(in_channels, num_scales, hidden, depth)
