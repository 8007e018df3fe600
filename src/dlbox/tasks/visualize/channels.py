"""``dlbox visualize channels``: image ascent per channel, compared with the most activating validation image."""

from __future__ import annotations

from pathlib import Path

import torch

from dlbox.features.sources import Network
from dlbox.tasks.visualize.config import ChannelsConfig
from dlbox.visualize.ascent import image_ascent, layer_width, parse_indices


def validation_images(network: Network, val_data: str | None) -> tuple[torch.Tensor | None, str | None]:
    """Validation images to compare against: ``val_data``, or the run's own validation split."""
    from dlbox.config import DataConfig, section_of
    from dlbox.data import load_dataset

    if val_data == "none":
        return None, None
    if val_data is None:
        cfg_path = network.run_dir / "config.yaml" if network.run_dir else None
        if cfg_path is None or not cfg_path.is_file():
            return None, None
        try:
            data_cfg = section_of(cfg_path, "data", DataConfig)
        except ValueError:  # not a classification run
            return None, None
    else:
        size = network.image_size[0] if network.image_size else None
        data_cfg = DataConfig(name=val_data, image_size=size)
    bundle = load_dataset(data_cfg)
    if not isinstance(bundle.val, dict):
        raise ValueError(f"validation data {data_cfg.name!r} is too large to hold in memory")
    images = bundle.val["image"]
    if images.shape[1] != network.in_channels:
        raise ValueError(f"validation data {data_cfg.name!r} has {images.shape[1]}-channel images; {network.spec} takes {network.in_channels}")
    if network.image_size is not None and tuple(images.shape[-2:]) != tuple(network.image_size):
        import torch.nn.functional as F

        images = F.interpolate(images, size=network.image_size, mode="bilinear", align_corners=False).clamp(0, 1)
    return images, data_cfg.name


def run_channels(cfg: ChannelsConfig) -> Path:
    """Synthesise one image per channel, compare with the validation images, write a run directory."""
    from dlbox.tasks.input_run import finish_run, open_network, save_gallery, square, start_run

    network = open_network(cfg, cfg.optimize)
    if not cfg.layer:
        raise ValueError(f"name a layer with --layer; `dlbox layers {cfg.model}` lists them")
    network.resolve(cfg.layer)
    size = square(network, cfg.size)
    units = [0] if cfg.target == "layer" else parse_indices(cfg.channels, layer_width(network, cfg.layer, size))
    val, val_name = validation_images(network, cfg.val_data)
    res = image_ascent(network, cfg.layer, units, cfg.target, cfg.optimize, size, val)
    with start_run("visualize-channels", cfg, cfg.name, cfg.out) as run_dir:
        label = "layer" if cfg.target == "layer" else ("neuron" if cfg.target == "neuron" else "ch")
        titles = [f"{label} {u}: {r:.3g}" + (f"\nval max {v:.3g}" if res.val_max else "") for u, r, v in zip(units, res.reached, res.val_max or [0.0] * len(units))]
        save_gallery(list(res.images), titles, run_dir / "channels.png")
        if res.val_images is not None:
            save_gallery(list(res.val_images), [f"{label} {u}: {v:.3g}" for u, v in zip(units, res.val_max or [])], run_dir / "val_top.png")
        beats = res.beats_validation
        rows = [
            {"unit": u, "start": s, "reached": r, **({"val_max": v, "val_index": i, "beats_val": b} if beats else {})}
            for u, s, r, v, i, b in zip(units, res.start, res.reached, res.val_max or units, res.val_argmax or units, beats or units)
        ]
        metrics = {
            "model": network.describe(), "layer": cfg.layer, "target": cfg.target, "size": list(size),
            "units": rows, "val_data": val_name, "val_images": None if val is None else len(val),
            "fraction_beating_val": None if beats is None else sum(beats) / len(beats),
            "mean_reached": sum(res.reached) / len(res.reached), "mean_start": sum(res.start) / len(res.start),
            "steps": res.optimize.steps, "seconds": round(res.optimize.seconds, 3),
        }
        return finish_run(run_dir, metrics)
