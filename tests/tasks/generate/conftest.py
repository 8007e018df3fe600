"""Tiny generative configs (a few steps each) and a saved, untrained digits classifier to score samples with."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from dlbox.tasks.generate.config import GenerateConfig, default_config

# Small networks of each kind for digits 8x8 (the VAE's 2-D code also exercises the latent map).
TINY_MODELS = {
    "vae": {"channels": [4, 8], "hidden": [16], "latent_dim": 2},
    "gan": {"latent_dim": 4, "g_width": 8, "d_width": 8},
    "flow": {"hidden": 8, "depth": 1},
    "diffusion": {"width": 8, "mults": [1, 2]},
}


def tiny_config(kind: str, out: Path | None, evaluator: Path | None, max_steps: int = 3, **options) -> GenerateConfig:
    cfg = default_config(kind)
    cfg.out = str(out) if out else None
    cfg.model.kwargs = dict(TINY_MODELS[kind])
    cfg.data.train_per_class = 20  # 200 training images
    cfg.train.max_steps = max_steps
    cfg.train.progress = False
    cfg.fabric.accelerator = "cpu"
    cfg.generate.samples = 20
    cfg.generate.evaluator = str(evaluator) if evaluator else None
    if kind == "diffusion":
        cfg.generate.timesteps, cfg.generate.ddim_steps = 50, 5
    for key, value in options.items():
        setattr(cfg.generate, key, value)
    return cfg


@pytest.fixture(scope="session")
def tiny_cfg():
    return tiny_config


def save_classifier(run: Path, seed: int = 0) -> Path:
    """An untrained small CNN saved like a digits classify run: features and a last nn.Linear, 10 classes."""
    from dlbox.model_io import save_model
    from dlbox.models import create_model

    run.mkdir(parents=True)
    torch.manual_seed(seed)
    clf = create_model("cnn", channels=[4, 8], convs_per_stage=1)
    save_model(run, clf, {"task": "classify", "class_names": [str(i) for i in range(10)], "input": {"channels": 1, "size": [8, 8]}})
    (run / "metrics.json").write_text("{}")
    return run


@pytest.fixture(scope="session")
def evaluator_run(tmp_path_factory) -> Path:
    return save_classifier(tmp_path_factory.mktemp("evaluator") / "clf")
