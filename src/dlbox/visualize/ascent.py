"""Image ascent (notes 3.9.1): synthesise the input that most excites a neuron, a channel or a layer.

The notes' five steps, with the weights fixed: (1) start from a random image x;
(2) forward it and read the activation a_i(x); (3) backpropagate da_i/dx to the
pixels; (4) update x <- x + eta da_i/dx; (5) repeat. Step 4 is
:func:`dlbox.optimize_input.optimize_image` minimising ``-a_i(x)`` (so any of its
optimisers, transforms and regularisers apply). All requested channels are
optimised at once, one image per channel in a batch: in eval mode the images
do not interact.

``target``: ``channel`` = the spatial mean of a feature map (or one unit of a
dense layer), ``neuron`` = the single unit at the centre of the map, ``layer``
= the mean of the whole layer (one image).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from dlbox.features.sources import Network
from dlbox.optimize_input.loop import OptimizeConfig, OptimizeResult, optimize_image
from dlbox.optimize_input.parameterization import make_param

TARGETS = ("channel", "neuron", "layer")


def parse_indices(text: str | None, count: int, what: str = "channel") -> list[int]:
    """``"0-15"``, ``"3"``, ``"0,4,9-11"`` -> indices, each checked against ``count``; None -> all (up to 16)."""
    if text is None or str(text).strip() in ("", "all"):
        return list(range(min(count, 16))) if text is None else list(range(count))
    out: list[int] = []
    for part in str(text).split(","):
        part = part.strip()
        try:
            if "-" in part:
                lo, hi = (int(v) for v in part.split("-", 1))
                if hi < lo:
                    raise ValueError
                out.extend(range(lo, hi + 1))
            else:
                out.append(int(part))
        except ValueError:
            raise ValueError(f"{what}s {text!r}: use indices and ranges like 0-15 or 0,3,7") from None
    bad = [i for i in out if not 0 <= i < count]
    if bad:
        raise ValueError(f"{what} {bad[0]} is out of range: this layer has {count} {what}s (0-{count - 1})")
    return list(dict.fromkeys(out))


def unit_scores(act: torch.Tensor, target: str) -> torch.Tensor:
    """``(B, C, H, W)`` or ``(B, N)`` activations -> ``(B, C)`` per-channel scores (``layer``: ``(B, 1)``)."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; valid: {', '.join(TARGETS)}")
    if target == "layer":
        return act.flatten(1).mean(1, keepdim=True)
    if act.ndim == 2:
        return act
    if act.ndim != 4:
        raise ValueError(f"cannot score a layer output of shape {tuple(act.shape)}")
    if target == "channel":
        return act.mean(dim=(2, 3))
    return act[:, :, act.shape[2] // 2, act.shape[3] // 2]


def layer_width(network: Network, layer: str, size: tuple[int, int]) -> int:
    """Channels (or units) of ``layer``'s output for an image of ``size``."""
    with torch.no_grad():
        device = next(network.model.parameters()).device
        act = network.extractor([layer])(torch.zeros(1, network.in_channels, *size, device=device))[layer]
    return int(act.shape[1])


@dataclass
class AscentResult:
    layer: str
    target: str
    units: list[int]  # channel indices ([0] for target=layer)
    images: torch.Tensor  # (K, C, H, W) in [0, 1]
    start: list[float]  # activation of the random starting image
    reached: list[float]  # activation of the synthesised image (no transforms)
    optimize: OptimizeResult
    val_max: list[float] | None = None  # highest activation of any validation image
    val_argmax: list[int] | None = None
    val_images: torch.Tensor | None = None  # (K, C, H, W): the validation image that reached val_max
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def beats_validation(self) -> list[bool] | None:
        if self.val_max is None:
            return None
        return [r > v for r, v in zip(self.reached, self.val_max)]


def image_ascent(
    network: Network,
    layer: str,
    units: list[int] | None,
    target: str = "channel",
    cfg: OptimizeConfig | None = None,
    size: tuple[int, int] | None = None,
    val_images: torch.Tensor | None = None,
    starts: int = 8,
) -> AscentResult:
    """Maximise each unit's activation from a random image; compare with ``val_images`` when given.

    Each unit starts from a random image that activates it (up to ``starts`` rounds of noise of
    growing amplitude; pixel parameterisation): a unit behind a ReLU that its start leaves at
    zero has zero gradient, and ascent could never begin.
    """
    cfg = cfg or OptimizeConfig()
    size = size or network.default_size
    network.resolve(layer)  # unknown names list the valid ones before any work
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; valid: {', '.join(TARGETS)}")
    units = [0] if target == "layer" else list(units if units is not None else range(min(16, layer_width(network, layer, size))))
    device = next(network.model.parameters()).device
    extractor = network.extractor([layer])
    gen = torch.Generator().manual_seed(cfg.seed)
    idx = torch.tensor(units, device=device)
    rows = torch.arange(len(units), device=device)
    shape = (len(units), network.in_channels, *size)
    init = _best_random_start(extractor, layer, target, idx, shape, starts, gen, device) if cfg.param == "pixel" else None
    param = make_param(cfg.param, init=init, shape=shape, clamp=cfg.clamp, generator=gen).to(device)

    def scores(x: torch.Tensor) -> torch.Tensor:
        s = unit_scores(extractor(x)[layer], target)
        return s[:, 0] if target == "layer" else s[rows, idx]

    def objective(x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        s = scores(x)
        return -s.sum(), {"activation": s.mean()}

    with torch.no_grad():
        start = scores(param.image().detach().clamp(0, 1)).tolist()
    result = optimize_image(objective, param, cfg, description=f"ascent {layer}")
    with torch.no_grad():
        reached = scores(result.image).tolist()
    out = AscentResult(layer, target, units, result.image.cpu(), start, reached, result)
    if val_images is not None and len(val_images):
        out.val_max, out.val_argmax = _validation_max(extractor, layer, target, units, val_images, device)
        out.val_images = val_images[torch.tensor(out.val_argmax)].cpu()
    return out


@torch.no_grad()
def _best_random_start(extractor: Any, layer: str, target: str, idx: torch.Tensor, shape: tuple[int, ...], starts: int,
                       gen: torch.Generator, device: Any) -> torch.Tensor:
    """For each unit, a random start that activates it: the faintest noise that does.

    Noise amplitudes grow from 0.1 to 0.5 over ``starts`` draws; each unit takes the most
    activating image of the faintest amplitude that activates it at all (faint noise gives
    cleaner pictures, but some units only wake up for strong contrast).
    """
    from dlbox.optimize_input.parameterization import random_image

    n = shape[0]
    chosen = random_image(shape, gen)  # (n, C, H, W), amplitude 0.1
    done = torch.zeros(n, dtype=torch.bool)
    for sd in torch.linspace(0.1, 0.5, max(1, starts)).tolist():
        candidates = random_image((n, *shape[1:]), gen, sd=sd)  # n draws at this amplitude
        s = unit_scores(extractor(candidates.to(device))[layer], target)
        s = (s[:, :1].expand(-1, n) if target == "layer" else s[:, idx]).cpu()  # (draws, units)
        best_val, best = s.max(0)
        take = ~done & (best_val > 0)
        chosen[take] = candidates[best[take]]
        done |= take
        if bool(done.all()):
            break
    return chosen


@torch.no_grad()
def _validation_max(extractor: Any, layer: str, target: str, units: list[int], images: torch.Tensor, device: Any, batch: int = 256) -> tuple[list[float], list[int]]:
    best = None
    for i in range(0, len(images), batch):
        s = unit_scores(extractor(images[i : i + batch].to(device))[layer], target)
        s = s[:, :1] if target == "layer" else s[:, torch.tensor(units, device=s.device)]
        best = s if best is None else torch.cat([best, s])
    values, idx = best.max(0)  # type: ignore[union-attr]
    return values.tolist(), idx.tolist()
