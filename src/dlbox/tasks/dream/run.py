"""``dlbox dream``: load the network and image, dream, write ``input.png``, ``dream.png``, ``comparison.png``, metrics."""

from __future__ import annotations

from pathlib import Path

from dlbox.dream.deepdream import deep_dream, resolve_class
from dlbox.tasks.dream.config import DreamRunConfig


def run_dream(cfg: DreamRunConfig) -> Path:
    """Dream on ``cfg.image`` with ``cfg.model``; returns the complete run directory."""
    from dlbox.data.samples import image_label, load_image
    from dlbox.features.sources import load_network
    from dlbox.optimize_input.loop import validate_config
    from dlbox.tasks.input_run import check_out, finish_run, resolve_accelerator, save_gallery, save_png, start_run

    network = load_network(cfg.model, cfg.weights, device=resolve_accelerator(cfg.accelerator))
    check_out(cfg.out)
    validate_config(cfg.dream.optimize)
    for layer in cfg.dream.layers:
        network.resolve(layer)
    if cfg.dream.target == "class" and cfg.dream.class_ is not None:
        resolve_class(network, cfg.dream.class_)
    image = load_image(cfg.image, network.in_channels, max_side=cfg.size)
    guide = load_image(cfg.guide, network.in_channels, max_side=cfg.size or max(image.shape[-2:])) if cfg.guide else None

    res = deep_dream(network, image, cfg.dream, guide)

    run_dir = start_run("dream", cfg, cfg.name, cfg.out)
    save_png(image, run_dir / "input.png")
    save_png(res.image, run_dir / "dream.png")
    shown, titles = [image, res.image], [image_label(cfg.image), f"dream ({res.before:.3g} -> {res.after:.3g})"]
    if guide is not None:
        shown.insert(1, guide)
        titles.insert(1, f"guide {image_label(cfg.guide)}")
    save_gallery(shown, titles, run_dir / "comparison.png", cols=len(shown))
    metrics = {
        "model": network.describe(), "image": cfg.image, "guide": cfg.guide, "layers": res.layers, "target": cfg.dream.target,
        "input_size": list(image.shape[-2:]), "output_size": list(res.image.shape[-2:]),
        "objective_before": res.before, "objective_after": res.after,
        "objective_ratio": res.after / res.before if res.before else None,
        "octave_sizes": [list(s) for s in res.octave_sizes], **res.extra,
        "steps_per_octave": cfg.dream.optimize.steps, "seconds": round(res.seconds, 3),
    }
    return finish_run(run_dir, metrics)
