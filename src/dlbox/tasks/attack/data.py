"""The images ``dlbox attack`` attacks: a dataset split of the classifier's run, or loose image files."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn as nn

from dlbox.tasks.attack.config import AttackConfig


def load_images(cfg: AttackConfig, model: nn.Module, run: Path) -> tuple[torch.Tensor, torch.Tensor | None, list[str], str]:
    """Images (and labels, None for loose image files) of ``cfg.data``; a seeded subset of ``cfg.n``.

    Also returns the model's class names and a description of the source.
    """
    from dlbox.config import DataConfig, section_of
    from dlbox.data import load_dataset
    from dlbox.data.images import IMAGE_SUFFIXES, read_image

    meta = model.dlbox_meta
    channels, size = int(meta["input"]["channels"]), tuple(meta["input"]["size"])
    class_names = list(meta["class_names"])
    data = cfg.data
    path = None if not data or data in ("digits", "shapes") or data.startswith("folder:") else Path(data)
    if path is not None and not (path.exists() or path.suffix.lower() in IMAGE_SUFFIXES):
        raise FileNotFoundError(f"--data {data!r} is neither a dataset (digits, shapes, folder:PATH) nor an image file or directory")
    if path is not None:
        files = [path] if not path.is_dir() else sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise FileNotFoundError(f"--data {path}: no image files there ({', '.join(sorted(IMAGE_SUFFIXES))})")
        images = torch.stack([read_image(f, channels, size) for f in files])  # BadImageError names the file
        source = f"images:{path}"
        labels = None
    else:
        data_cfg = DataConfig()
        if (run / "config.yaml").is_file():
            data_cfg = section_of(run / "config.yaml", "data", DataConfig)
        if data:
            data_cfg.name = data
        data_cfg.image_size = size[0] if size[0] == size[1] else None
        bundle = load_dataset(data_cfg)
        if bundle.class_names != class_names:
            raise ValueError(f"dataset {data_cfg.name!r} has classes {bundle.class_names} but the model was trained on {class_names}")
        if cfg.split not in ("train", "val", "test"):
            raise ValueError(f"--split {cfg.split!r} is not valid; use train, val or test")
        part = getattr(bundle, cfg.split)
        if not isinstance(part, dict):
            raise ValueError("attacking a streamed (very large) folder is not supported; raise data.in_memory_limit_mb")
        images, labels = part["image"], part["label"]
        if tuple(images.shape[1:]) != (channels, *size):
            raise ValueError(f"dataset images are {tuple(images.shape[1:])} but the model expects {(channels, *size)}")
        source = data_cfg.name
    if cfg.n is not None and cfg.n < len(images):
        keep = torch.randperm(len(images), generator=torch.Generator().manual_seed(cfg.seed))[: cfg.n].sort().values
        images = images[keep]
        labels = None if labels is None else labels[keep]
    return images, labels, class_names, source
