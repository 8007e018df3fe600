"""Small, fast classification configs shared by the task tests."""

from __future__ import annotations

import pytest

from dlbox.tasks.classify.config import ClassifyConfig
from dlbox.config import DataConfig, ModelConfig, OptimConfig, TrainConfig


def tiny_config(out, **train) -> ClassifyConfig:
    return ClassifyConfig(
        out=str(out),
        data=DataConfig(name="digits"),
        model=ModelConfig(name="cnn", kwargs={"channels": [8, 16], "convs_per_stage": 1, "dropout": 0.2}),
        optim=OptimConfig(optimizer="adam", lr=3e-3, schedule="onecycle"),
        train=TrainConfig(**{"epochs": 2, "batch_size": 32, "progress": False, **train}),
    )


@pytest.fixture(scope="session")
def tiny_cfg():
    return tiny_config
