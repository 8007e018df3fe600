"""End-to-end classification runs through the Python API (tiny models, a few epochs)."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import load_file

from dlbox import load_model
from dlbox.engine.rundir import RunDirError
from dlbox.tasks.classify.config import ClassifyConfig
from dlbox.tasks.classify.train import train


def test_run_directory_is_complete_and_model_reloads(tiny_cfg, tmp_path):
    run = train(tiny_cfg(tmp_path / "run", epochs=3))
    for name in ("config.yaml", "data.json", "metrics.json", "metrics.csv", "model.json", "model.safetensors",
                 "curves.png", "confusion_matrix.png", "checkpoints/last.ckpt", "checkpoints/best.ckpt"):
        assert (run / name).is_file(), name
    assert any((run / "tensorboard").iterdir())
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["test_acc"] > 0.5 and metrics["epochs"] == 3  # chance is 0.1; accuracy targets live in benchmarks
    cm = torch.tensor(metrics["confusion_matrix"])
    assert cm.shape == (10, 10) and int(cm.sum()) == json.loads((run / "data.json").read_text())["sizes"]["test"]
    assert abs(int(cm.trace()) / int(cm.sum()) - metrics["test_acc"]) < 1e-6

    model = load_model(run)
    assert not model.training and model.dlbox_meta["class_names"] == [str(i) for i in range(10)]
    from dlbox.data import load_dataset
    from dlbox.config import DataConfig

    test = load_dataset(DataConfig()).test
    with torch.no_grad():
        acc = (model(test["image"]).argmax(1) == test["label"]).float().mean().item()
    assert abs(acc - metrics["test_acc"]) < 1e-6  # the saved weights are the evaluated ones


def test_out_dir_is_never_overwritten(tiny_cfg, tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "keep.txt").write_text("mine")
    with pytest.raises(RunDirError, match="not empty"):
        train(tiny_cfg(tmp_path / "taken", epochs=1))
    assert (tmp_path / "taken" / "keep.txt").read_text() == "mine"


def test_full_batch_and_online_modes(tiny_cfg, tmp_path):
    run = train(tiny_cfg(tmp_path / "full", epochs=2, batch_size="full"))
    full = json.loads((run / "metrics.json").read_text())
    n_train = json.loads((run / "data.json").read_text())["sizes"]["train"]
    assert full["steps"] == 2 and full["batch_size"] == n_train  # one step per epoch over the whole train split
    online = json.loads((train(tiny_cfg(tmp_path / "online", epochs=1, batch_size=1, max_steps=30)) / "metrics.json").read_text())
    assert online["steps"] == 30 and online["batch_size"] == 1 and online["stopped_by"] == "max_steps"


def test_invalid_choices_fail_before_any_run_directory(tiny_cfg, tmp_path):
    for field, value, match in [("optimizer", "lion", "adamw"), ("schedule", "poly", "onecycle")]:
        cfg = tiny_cfg(tmp_path / field)
        setattr(cfg.optim, field, value)
        with pytest.raises(ValueError, match=match):
            train(cfg)
        assert not (tmp_path / field).exists()
    cfg = tiny_cfg(tmp_path / "bs", batch_size=0)
    with pytest.raises(ValueError, match="positive integer or 'full'"):
        train(cfg)
    cfg = tiny_cfg(tmp_path / "model")
    cfg.model.name = "transformer"
    with pytest.raises(KeyError, match="valid models: .*cnn"):
        train(cfg)
    assert not (tmp_path / "model").exists()


def test_ema_weights_are_the_saved_ones(tiny_cfg, tmp_path):
    cfg = tiny_cfg(tmp_path / "ema", epochs=2, ema=True, ema_decay=0.9)
    run = train(cfg)
    saved = load_file(str(run / "model.safetensors"))
    ckpt = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    ema_state = {k[len("module.") :]: v for k, v in ckpt["ema"].items() if k.startswith("module.")}
    raw = ckpt["model"]
    key = "features.stage1.conv1.conv.weight"
    torch.testing.assert_close(saved[key], ema_state[key])
    assert not torch.equal(saved[key], raw[key])


def test_max_time_ends_with_checkpoint_and_metrics(tiny_cfg, tmp_path):
    run = train(tiny_cfg(tmp_path / "t", epochs=50, max_time=0.5))
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["stopped_by"] == "max_time" and metrics["epochs"] < 50
    assert metrics["train_time_s"] < 5
    assert (run / "checkpoints" / "last.ckpt").is_file()


def test_early_stopping_restores_best(tiny_cfg, tmp_path):
    cfg = tiny_cfg(tmp_path / "es", epochs=8, patience=0)
    cfg.optim.lr = 0.0  # nothing improves after the first epoch
    cfg.optim.schedule = "none"
    metrics = json.loads((train(cfg) / "metrics.json").read_text())
    assert metrics["stopped_by"] == "early_stopping" and metrics["epochs"] == 2 and metrics["best_epoch"] == 1  # epochs count from 1, as in curves.png


def test_resume_of_finished_run_is_refused(tiny_cfg, tmp_path):
    run = train(tiny_cfg(tmp_path / "done", epochs=1))
    with pytest.raises(RunDirError, match="already finished"):
        train(tiny_cfg(tmp_path / "other"), resume=run)


def test_streaming_folder_trains(tiny_cfg, tmp_path):
    import numpy as np
    from PIL import Image

    for cls, value in (("dark", 30), ("light", 220)):
        (tmp_path / "imgs" / cls).mkdir(parents=True)
        for i in range(10):
            Image.fromarray(np.full((8, 8, 3), value + i, np.uint8)).save(tmp_path / "imgs" / cls / f"{i}.png")
    cfg = tiny_cfg(tmp_path / "stream", epochs=2, batch_size=4)
    cfg.data.name, cfg.data.in_memory_limit_mb, cfg.data.num_workers = f"folder:{tmp_path / 'imgs'}", 0, 0
    run = train(cfg)
    info = json.loads((run / "data.json").read_text())
    metrics = json.loads((run / "metrics.json").read_text())
    assert info["streaming"] is True and metrics["steps"] == 2 * -(-info["sizes"]["train"] // 4)


def test_large_images_get_the_narrow_default_cnn_unless_the_user_chose(tmp_path):
    from dlbox.data.bundle import DataBundle
    from dlbox.tasks.classify.model_init import LARGE_IMAGE_CNN, build_model

    bundle = DataBundle({}, {}, {}, ["a", "b"], 3, (32, 32))
    cfg = ClassifyConfig()
    assert build_model(cfg, bundle).dlbox_config["kwargs"]["channels"] == LARGE_IMAGE_CNN["channels"]
    cfg.model.kwargs = {"channels": [8, 8]}
    assert build_model(cfg, bundle).dlbox_config["kwargs"]["channels"] == [8, 8]
    small = DataBundle({}, {}, {}, ["a", "b"], 1, (8, 8))
    assert "channels" not in build_model(ClassifyConfig(), small).dlbox_config["kwargs"]
