"""``dlbox dream``: load the network and image, dream, write ``input.png``, ``dream.png``, ``comparison.png``, metrics.

Progress: on a terminal each octave shows the input-optimisation loop's progress
bar; otherwise (a log file, a pipe) one plain line per octave is printed and
flushed, so a long dream is never silent.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import torch

from dlbox.dream.deepdream import OctaveDone, deep_dream, resolve_class
from dlbox.tasks.dream.config import MAX_SIDE, DreamRunConfig


def _say(text: str) -> None:
    print(text, flush=True)


def _octave_line(done: OctaveDone) -> None:
    h, w = done.size
    _say(f"octave {done.index + 1}/{done.count} at {h}x{w}: {done.steps} steps, objective {done.objective:.4g}, {done.seconds:.1f} s")


def working_image(spec: str, channels: int, size: int | None) -> tuple[torch.Tensor, tuple[int, int], bool]:
    """The image to dream on, its file's own size ``(H, W)``, and whether the default bound shrank it.

    ``size`` given: the longer side becomes ``size``. Otherwise the image keeps its size
    unless its longer side exceeds :data:`MAX_SIDE`, which it is then scaled down to.
    """
    from dlbox.data.samples import load_image, resize

    image = load_image(spec, channels)
    source = (int(image.shape[-2]), int(image.shape[-1]))
    if size is not None:
        return resize(image, max_side=size), source, False
    if max(source) > MAX_SIDE:
        return resize(image, max_side=MAX_SIDE), source, True
    return image, source, False


def run_dream(cfg: DreamRunConfig) -> Path:
    """Dream on ``cfg.image`` with ``cfg.model``; returns the complete run directory."""
    from dlbox.data.samples import image_label, load_image
    from dlbox.tasks.input_run import finish_run, open_network, save_gallery, save_png, start_run

    network = open_network(cfg, cfg.dream.optimize)
    if cfg.size is not None and cfg.size < 1:
        raise ValueError(f"size must be a positive number of pixels, got {cfg.size}")
    for layer in cfg.dream.layers:
        network.resolve(layer)
    if cfg.dream.target == "class" and cfg.dream.class_ is not None:
        resolve_class(network, cfg.dream.class_)
    image, source, bounded = working_image(cfg.image, network.in_channels, cfg.size)
    guide = load_image(cfg.guide, network.in_channels, max_side=max(image.shape[-2:])) if cfg.guide else None

    report = cfg.dream.optimize.progress
    plain = report and not sys.stdout.isatty()  # no live bar there: one flushed line per octave instead
    dream_cfg = replace(cfg.dream, optimize=replace(cfg.dream.optimize, progress=False)) if plain else cfg.dream
    if report:
        h, w = image.shape[-2:]
        why = f" (the image is {source[0]}x{source[1]}; bounded to {MAX_SIDE} px by default, --size to choose)" if bounded else ""
        _say(f"dreaming at {h}x{w}{why}")
    res = deep_dream(network, image, dream_cfg, guide, on_octave=_octave_line if plain else None)

    with start_run("dream", cfg, cfg.name, cfg.out) as run_dir:
        save_png(image, run_dir / "input.png")
        save_png(res.image, run_dir / "dream.png")
        shown, titles = [image, res.image], [image_label(cfg.image), f"dream ({res.before:.3g} -> {res.after:.3g})"]
        if guide is not None:
            shown.insert(1, guide)
            titles.insert(1, f"guide {image_label(cfg.guide)}")
        save_gallery(shown, titles, run_dir / "comparison.png", cols=len(shown))
        metrics = {
            "model": network.describe(), "image": cfg.image, "guide": cfg.guide, "layers": res.layers, "target": cfg.dream.target,
            "source_size": list(source), "size_bounded": bounded, "max_side": MAX_SIDE if bounded else cfg.size,
            "input_size": list(image.shape[-2:]), "output_size": list(res.image.shape[-2:]),
            "objective_before": res.before, "objective_after": res.after,
            "objective_ratio": res.after / res.before if res.before else None,
            "octave_sizes": [list(s) for s in res.octave_sizes], **res.extra,
            "steps_per_octave": cfg.dream.optimize.steps, "seconds": round(res.seconds, 3),
        }
        return finish_run(run_dir, metrics)
