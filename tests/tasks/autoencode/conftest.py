"""Small, fast autoencoder configs and a saved (untrained) digits classifier for the autoencode task tests."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dlbox.tasks.autoencode.config import AutoencodeConfig, default_config


def small_config(mode: str, out: Path | None, epochs: int = 2, **options) -> AutoencodeConfig:
    cfg = default_config(mode)
    cfg.out = str(out) if out else None
    cfg.model.kwargs = {**cfg.model.kwargs, "channels": [8, 16]}
    cfg.data.train_per_class = 40  # 400 training images: 13 steps an epoch
    cfg.train.epochs = epochs
    cfg.optim.lr = 1e-2
    cfg.train.progress = False
    cfg.fabric.accelerator = "cpu"
    if mode != "manifold":
        cfg.autoencode.show = 3
    for key, value in options.items():
        setattr(cfg.autoencode, key, value)
    return cfg


@pytest.fixture(scope="session")
def small_cfg():
    return small_config


@pytest.fixture
def classifier_run(tmp_path) -> Path:
    """An untrained MLP saved like a digits classify run (gradient attacks still change images)."""
    from dlbox.model_io import save_model
    from dlbox.models import create_model

    run = tmp_path / "clf"
    run.mkdir()
    torch.manual_seed(0)
    clf = create_model("mlp", depth=1, width=16, dropout=0.0)
    save_model(run, clf, {"task": "classify", "class_names": [str(i) for i in range(10)], "input": {"channels": 1, "size": [8, 8]}})
    return run
