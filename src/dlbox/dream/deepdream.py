"""DeepDream and content enhancing (notes 3.9.2, "Inceptionism").

Gradient ascent on an existing image (not on noise), with what makes the
pictures work at any size:

- an image pyramid: ``octaves`` copies, each ``octave_scale`` times smaller; the
  ascent runs from the smallest to the full size, so patterns appear at several
  scales;
- detail reinjection: what the ascent added at one octave (the "detail") is
  upscaled and added to the next, larger octave before its ascent continues;
- random jitter and gradients normalised by their mean absolute value (the
  shared loop's ``sgd`` with ``normalize_grad``), so the step size is in pixels.

Targets: ``layer`` (content enhancing: maximise the mean squared activation of
whole layers, amplifying whatever they detect), ``channel`` / ``neuron`` (one
feature map / its centre unit) or ``class`` (a class score; deep dream of that
class). With a ``guide`` image, each position's features are pushed towards
the most similar guide features instead (the guide's patterns are amplified).
The output has the input's size, always.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F

from dlbox.features.sources import Network
from dlbox.optimize_input.loop import OptimizeConfig, OptimizeResult, optimize_image
from dlbox.optimize_input.parameterization import PixelParam
from dlbox.visualize.ascent import unit_scores

TARGETS = ("layer", "channel", "neuron", "class")


def dream_optimize_defaults() -> OptimizeConfig:
    return OptimizeConfig(steps=10, optimizer="sgd", lr=0.01, normalize_grad=True, jitter=4, log_every=5)


@dataclass
class DreamConfig:
    layers: list[str] = field(default_factory=list)  # default: the network's last feature layer
    target: str = "layer"  # layer | channel | neuron | class
    channel: int | None = None  # target channel / neuron
    class_: str | None = None  # target class: index or name
    octaves: int = 4
    octave_scale: float = 1.4
    optimize: OptimizeConfig = field(default_factory=dream_optimize_defaults)  # steps = per octave


@dataclass
class DreamResult:
    image: torch.Tensor  # (C, H, W), the input's size
    before: float  # target objective on the input image
    after: float  # ... and on the dream
    octave_sizes: list[tuple[int, int]]
    history: list[dict[str, float]]
    seconds: float
    layers: list[str]
    target: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class OctaveDone:
    """What one octave of :func:`deep_dream` did (passed to its ``on_octave`` callback)."""

    index: int  # 0 = the smallest octave
    count: int
    size: tuple[int, int]  # (H, W) of this octave
    steps: int
    objective: float  # the target objective at the octave's last step
    seconds: float


def resolve_class(network: Network, class_: str | int) -> int:
    """A class index from an index or a class name; a class the model lacks is a clear error."""
    n = network.num_classes
    if n is None:
        raise ValueError(f"{network.spec} has no classifier head; use --target layer or channel")
    names = network.class_names or []
    text = str(class_)
    if text.lstrip("-").isdigit():
        idx = int(text)
        if not 0 <= idx < n:
            shown = f" ({', '.join(names[:20])}{', ...' if len(names) > 20 else ''})" if names else ""
            raise ValueError(f"class {idx} is out of range: the model has {n} classes, 0-{n - 1}{shown}")
        return idx
    if text in names:
        return names.index(text)
    raise ValueError(
        f"class {text!r} is not one of the model's classes; valid: "
        + (", ".join(names) if names else f"indices 0-{n - 1}")
    )


def default_layer(network: Network) -> str:
    """The output of the last top-level block of ``features`` (or the last conv layer)."""
    model = network.model
    feats = getattr(model, "features", None)
    if feats is not None:
        children = [n for n, _ in feats.named_children()]
        body = getattr(feats, "features", None)  # torchvision vgg inside the adapter
        if body is not None and len(list(body.children())):
            return f"features.features.{len(list(body.children())) - 1}"
        for name in reversed(children):
            if name not in ("avgpool", "dropout", "pool", "flatten", "normalize"):
                return f"features.{name}"
    convs = [n for n, m in model.named_modules() if isinstance(m, torch.nn.Conv2d)]
    if not convs:
        raise ValueError(f"{network.spec} has no convolutional layer; name one with --layers")
    return convs[-1]


def _resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


def octave_sizes(h: int, w: int, octaves: int, scale: float, min_side: int) -> list[tuple[int, int]]:
    """Pyramid sizes from the full image down; octaves smaller than ``min_side`` are dropped."""
    if octaves < 1:
        raise ValueError(f"octaves must be at least 1, got {octaves}")
    if scale <= 1:
        raise ValueError(f"octave scale must be greater than 1, got {scale}")
    sizes = [(h, w)]
    for i in range(1, octaves):
        s = (round(h / scale**i), round(w / scale**i))
        if min(s) < min_side:
            break
        sizes.append(s)
    return sizes


def deep_dream(network: Network, image: torch.Tensor, cfg: DreamConfig, guide: torch.Tensor | None = None,
               on_octave: Callable[[OctaveDone], None] | None = None) -> DreamResult:
    """Dream on ``image`` ``(C, H, W)`` in [0, 1]; returns an image of the same size.

    ``on_octave`` is called after each octave (smallest first), e.g. to report progress.
    """
    if cfg.target not in TARGETS:
        raise ValueError(f"unknown target {cfg.target!r}; valid: {', '.join(TARGETS)}")
    layers = list(cfg.layers) or [default_layer(network)]
    if cfg.target == "class":
        if cfg.class_ is None:
            raise ValueError("--target class needs --class (an index or a class name)")
        class_idx = resolve_class(network, cfg.class_)
        layers = ["logits"]
    if cfg.target in ("channel", "neuron") and cfg.channel is None:
        raise ValueError(f"--target {cfg.target} needs --channel")
    for layer in layers:
        network.resolve(layer)
    device = next(network.model.parameters()).device
    extractor = network.extractor(layers)
    c, h, w = image.shape
    min_side = extractor.min_input_side(c)
    work_hw = (h, w)
    if min(h, w) < min_side:  # too small for the network: dream on an enlarged copy, shrink at the end
        k = min_side / min(h, w)
        work_hw = (math.ceil(h * k), math.ceil(w * k))
    base = _resize(image.unsqueeze(0).to(device), work_hw)

    if cfg.target == "channel" or cfg.target == "neuron":
        with torch.no_grad():
            width = extractor(base)[layers[0]].shape[1]
        if not 0 <= int(cfg.channel) < width:  # type: ignore[arg-type]
            raise ValueError(f"channel {cfg.channel} is out of range: layer {layers[0]} has {width} channels (0-{width - 1})")

    guide_feats: dict[str, torch.Tensor] = {}
    if guide is not None:
        if cfg.target != "layer":
            raise ValueError("a guide image works with --target layer")
        with torch.no_grad():
            g = guide.unsqueeze(0).to(device)
            if min(g.shape[-2:]) < min_side:
                g = _resize(g, (max(min_side, g.shape[-2]), max(min_side, g.shape[-1])))
            guide_feats = {k: v.flatten(2)[0] for k, v in extractor(g).items()}  # (C, Mg)

    def score(x: torch.Tensor) -> torch.Tensor:
        feats = extractor(x)
        if cfg.target == "class":
            return feats["logits"][:, class_idx].sum()
        if cfg.target in ("channel", "neuron"):
            return unit_scores(feats[layers[0]], cfg.target)[:, int(cfg.channel)].sum()  # type: ignore[arg-type]
        total = torch.zeros((), device=x.device)
        for layer in layers:
            a = feats[layer]
            if guide_feats:
                xf, gf = a.flatten(2)[0], guide_feats[layer]  # (C, M), (C, Mg)
                best = (xf.t() @ gf).argmax(1)  # most similar guide position for each position
                total = total + (xf * gf[:, best]).sum() / xf.shape[1]
            else:
                total = total + a.pow(2).mean()
        return total

    def objective(x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        s = score(x)
        return -s, {"objective": s}

    with torch.no_grad():
        before = float(score(base))
    sizes = octave_sizes(*work_hw, cfg.octaves, cfg.octave_scale, min_side)
    pyramid = [_resize(base, s) for s in sizes]
    detail = torch.zeros_like(pyramid[-1])
    history: list[dict[str, float]] = []
    seconds = 0.0
    x = base
    for i, octave in enumerate(reversed(pyramid)):
        detail = _resize(detail, tuple(octave.shape[-2:]))
        param = PixelParam((octave + detail).clamp(0, 1), clamp=cfg.optimize.clamp)
        # jitter of at most an eighth of the octave: a 4-pixel shift would scramble an 8-pixel image
        opt = dataclasses.replace(cfg.optimize, jitter=min(cfg.optimize.jitter, min(octave.shape[-2:]) // 8), seed=cfg.optimize.seed + i)
        oh, ow = octave.shape[-2:]
        result: OptimizeResult = optimize_image(objective, param, opt, description=f"octave {i + 1}/{len(pyramid)} {oh}x{ow}")
        history += [{"octave": float(i), **row} for row in result.history]
        seconds += result.seconds
        if on_octave is not None:
            on_octave(OctaveDone(i, len(pyramid), (oh, ow), result.steps, result.final.get("objective", float("nan")), result.seconds))
        x = result.image
        detail = x - octave
    with torch.no_grad():
        after = float(score(x))
    out = _resize(x, (h, w)).clamp(0, 1)[0].cpu()
    return DreamResult(out, before, after, sizes, history, seconds, layers, cfg.target, {"work_size": list(work_hw), "min_side": min_side})
