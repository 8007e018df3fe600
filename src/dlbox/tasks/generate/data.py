"""The images a generative run models: in memory, on a grid of intensity levels (for likelihoods).

Likelihoods of discrete pixels (:mod:`dlbox.generative.dequantize`) need the data's levels ``L``
(``x = k / (L - 1)``). Digits at their native 8x8 size have 17 levels; 8-bit images 256. Images that lie
on neither grid (generated shapes with noise, resized images) are rounded to the nearest of 256 levels
(at most 1/510 off), as an 8-bit file of them would be; ``data.json`` records what was done.
"""

from __future__ import annotations

import dataclasses
from typing import Any
import torch

from dlbox.config import DataConfig
from dlbox.data import DataBundle, load_dataset
from dlbox.generative.dequantize import GRID_TOLERANCE

KNOWN_LEVELS = (17, 256)  # digits' 0..16, then 8-bit; a coarser grid is tried first


def levels_of(images: torch.Tensor) -> int | None:
    """The coarsest of :data:`KNOWN_LEVELS` whose grid ``k / (L - 1)`` holds every value of ``images``, else None."""
    for levels in KNOWN_LEVELS:
        scaled = images.double() * (levels - 1)
        if images.numel() == 0 or float((scaled - scaled.round()).abs().max()) <= GRID_TOLERANCE:
            return levels
    return None


def on_levels(images: torch.Tensor, levels: int) -> torch.Tensor:
    """``images`` in [0, 1] rounded to the grid ``k / (levels - 1)``."""
    return (images.clamp(0, 1) * (levels - 1)).round() / (levels - 1)


def load_generative_data(cfg: DataConfig) -> DataBundle:
    """The dataset with in-memory splits on a known grid of levels; ``info["levels"]`` (saved in ``data.json``) says which."""
    bundle = load_dataset(cfg)
    parts = {name: getattr(bundle, name) for name in ("train", "val", "test")}
    if not all(isinstance(p, dict) for p in parts.values()):
        raise ValueError(f"generative models need in-memory datasets; raise data.in_memory_limit_mb for {cfg.name} "
                         f"(now {cfg.in_memory_limit_mb} MB)")
    if len(parts["train"]["image"]) < 2 or len(parts["test"]["image"]) < 2:
        raise ValueError(f"dataset {cfg.name!r} leaves {len(parts['train']['image'])} training and {len(parts['test']['image'])} "
                         "test images; the Frechet distance needs at least 2 of each (use more images or other data.test_fraction)")
    levels = levels_of(torch.cat([p["image"].flatten() for p in parts.values()]))
    info = {**bundle.info, "levels": levels or 256, "rounded_to_levels": levels is None}
    if levels is None:
        parts = {name: {**p, "image": on_levels(p["image"], 256)} for name, p in parts.items()}
    return dataclasses.replace(bundle, **parts, info=info)


def data_levels(bundle: DataBundle) -> int:
    """The levels :func:`load_generative_data` put the images on."""
    return int(bundle.info["levels"])


@torch.no_grad()
def seeded_validation_mean(run: Any, seed: int, per_image: Any) -> dict[str, float]:
    """``{"val_loss": mean}`` of ``per_image(model, images, generator) -> (N,)`` over the validation split, on the
    evaluation weights with a generator seeded alike every epoch (the same noise, so epochs compare)."""
    if len(run.val_loader) == 0:
        return {}
    model = run.eval_model
    model.eval()
    gen = torch.Generator(device=run.device).manual_seed(seed + 12345)
    values = [per_image(model, run.inputs(batch["image"]), gen) for batch in run.val_loader]
    return {"val_loss": float(torch.cat(values).mean())}
