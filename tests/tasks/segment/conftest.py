"""Small, fast segmentation configs shared by the segment task tests."""

from __future__ import annotations

import pytest

from dlbox.config import DataConfig, ModelConfig, TrainConfig
from dlbox.tasks.segment.config import SegmentConfig


def tiny_segment_config(out, **train) -> SegmentConfig:
    """22 training scenes of 24x24: 3 steps per epoch at batch 8."""
    cfg = SegmentConfig(
        out=str(out) if out else None,
        data=DataConfig(name="shapes", image_size=24, num_samples=36, val_fraction=0.2, test_fraction=0.2, num_workers=0),
        model=ModelConfig(name="unet", kwargs={"depth": 2, "width": 4}),
        train=TrainConfig(**{"epochs": 2, "batch_size": 8, "eval_batch_size": 16, "monitor": "val_miou", "progress": False, **train}),
    )
    cfg.fabric.accelerator = "cpu"
    return cfg


@pytest.fixture(scope="session")
def tiny_seg_cfg():
    return tiny_segment_config
