"""Tiny detection configs for the detect task tests: 64x64 scenes, a 1/8-width YOLOv3, a few steps."""

from __future__ import annotations

from pathlib import Path

import pytest

from dlbox.tasks.detect.config import DetectConfig


def tiny_config(out: Path | None, **sections) -> DetectConfig:
    cfg = DetectConfig(out=str(out) if out else None)
    cfg.data.image_size = 64
    cfg.data.num_samples = 40
    cfg.data.val_fraction = cfg.data.test_fraction = 0.2
    cfg.model.kwargs = {"width": 0.125, "depth": 0.34}
    cfg.detect.max_objects = 3
    cfg.train.epochs = 2
    cfg.train.batch_size = 8
    cfg.train.max_time = None
    cfg.train.progress = False
    cfg.fabric.accelerator = "cpu"
    for section, values in sections.items():
        for key, value in values.items():
            setattr(getattr(cfg, section), key, value)
    return cfg


@pytest.fixture(scope="session")
def tiny_cfg():
    return tiny_config
