"""Whole-image prediction, tiled with overlap for models whose output is smaller than their input.

The valid (unpadded) U-Net (notes 3.11.2) maps a ``T x T`` tile to the centre
``O x O`` of it (``O < T``). To label a whole ``H x W`` image, as in the U-Net
paper: mirror-pad the image by the margin ``(T - O) / 2``, slide tiles whose
outputs overlap by ``overlap`` pixels and average the overlapping scores. Tile
offsets are multiples of ``2^depth`` so every tile sees the same pooling grid;
the tiled result then equals running the model on the whole padded image.

Models whose output has the input's size (padded U-Net, FCN) run on the whole
image in one pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from dlbox.ops.unet_sizes import UNetSizeError


def _plain(model: nn.Module) -> nn.Module:
    model = getattr(model, "module", model)
    return getattr(model, "_orig_mod", model)


def output_hw(model: nn.Module, hw: tuple[int, int]) -> tuple[int, int]:
    """The model's output (H', W') for input (H, W): itself unless the model says otherwise."""
    fn = getattr(_plain(model), "output_hw", None)
    return tuple(fn(hw)) if fn is not None else (int(hw[0]), int(hw[1]))  # type: ignore[return-value]


def shrinks(model: nn.Module, hw: tuple[int, int]) -> bool:
    """True when the model's output is smaller than its input (a valid U-Net)."""
    try:
        return output_hw(model, hw) != tuple(hw)
    except UNetSizeError:
        return True


def choose_tile(model: nn.Module, image_hw: tuple[int, int], max_tile: int = 572) -> int:
    """The smallest valid tile side whose output covers the image, or the largest valid side <= ``max_tile``."""
    m = _plain(model)
    multiple = getattr(m, "size_multiple", 1)
    best = None
    side = multiple
    while side <= max_tile:
        try:
            out = output_hw(m, (side, side))[0]
        except UNetSizeError:
            side += 1
            continue
        best = side
        if out >= max(image_hw):
            break
        side += multiple  # valid sides are spaced 2^depth apart
    if best is None:
        raise ValueError(f"no valid tile size up to {max_tile} for this model")
    return best


def _pad(x: torch.Tensor, pads: tuple[int, int, int, int]) -> torch.Tensor:
    """Mirror padding, repeated while the pad exceeds the image (reflect needs pad < size)."""
    left, right, top, bottom = pads
    while left or right or top or bottom:
        h, w = x.shape[-2:]
        step = (min(left, w - 1), min(right, w - 1), min(top, h - 1), min(bottom, h - 1))
        if max(step) == 0:  # a 1-pixel side cannot be mirrored
            return F.pad(x, (left, right, top, bottom), mode="replicate")
        x = F.pad(x, step, mode="reflect")
        left, right, top, bottom = left - step[0], right - step[1], top - step[2], bottom - step[3]
    return x


def _starts(extent: int, out: int, step: int) -> list[int]:
    n = max(1, math.ceil((extent - out) / step) + 1) if extent > out else 1
    return [i * step for i in range(n)]


@torch.no_grad()
def tiled_logits(
    model: nn.Module,
    images: torch.Tensor,
    tile: int | None = None,
    overlap: int = 16,
    batch_size: int = 16,
) -> torch.Tensor:
    """``images (N, C, H, W)`` -> ``logits (N, K, H, W)`` from overlapping tiles (mirror-padded borders)."""
    n, _, h, w = images.shape
    tile = tile or choose_tile(model, (h, w))
    out = output_hw(model, (tile, tile))[0]
    margin = (tile - out) // 2
    multiple = getattr(_plain(model), "size_multiple", 1)
    step = max(multiple, (max(1, out - overlap) // multiple) * multiple)
    ys, xs = _starts(h, out, step), _starts(w, out, step)
    span_h, span_w = ys[-1] + out, xs[-1] + out  # output area covered, >= (h, w)
    padded = _pad(images, (margin, margin + span_w - w, margin, margin + span_h - h))
    total = count = None
    for y in ys:
        for x in xs:
            crop = padded[:, :, y : y + tile, x : x + tile]
            pred = torch.cat([model(crop[i : i + batch_size]) for i in range(0, n, batch_size)]).float()
            if total is None:
                total = torch.zeros(n, pred.shape[1], span_h, span_w, device=pred.device)
                count = torch.zeros(1, 1, span_h, span_w, device=pred.device)
            total[:, :, y : y + out, x : x + out] += pred
            count[:, :, y : y + out, x : x + out] += 1
    return (total / count)[:, :, :h, :w]


@torch.no_grad()
def whole_image_logits(
    model: nn.Module,
    images: torch.Tensor,
    batch_size: int = 64,
    tile: int | None = None,
    overlap: int = 16,
    context: Callable[[], object] | None = None,
) -> torch.Tensor:
    """``(N, C, H, W)`` -> ``(N, K, H, W)`` in eval mode: one pass, or tiles for a shrinking model."""
    model.eval()
    hw = tuple(images.shape[-2:])
    ctx = context() if context is not None else torch.autocast("cpu", enabled=False)
    with ctx:  # type: ignore[attr-defined]
        if shrinks(model, hw):  # type: ignore[arg-type]
            return tiled_logits(model, images, tile, overlap, batch_size)
        parts = [model(images[i : i + batch_size]).float() for i in range(0, len(images), batch_size)]
    return torch.cat(parts) if parts else torch.empty(0)
