"""SIGKILL mid-training, resume, and end with exactly the weights of an uninterrupted run."""

from __future__ import annotations


import torch
from safetensors.torch import load_file

from dlbox.config import save_yaml
from dlbox.engine.rundir import is_complete
from dlbox.tasks.classify.train import train


def test_sigkill_then_resume_matches_uninterrupted(tiny_cfg, tmp_path, kill_training):
    cfg = tiny_cfg(None, epochs=6, deterministic=True)
    cfg.model.kwargs["dropout"] = 0.3  # dropout makes the RNG state matter
    save_yaml(cfg, tmp_path / "cfg.yaml")

    killed = tmp_path / "killed"
    kill_training(["classify", "train", "--config", str(tmp_path / "cfg.yaml")], killed)
    assert not is_complete(killed), "killed before the end, the run must not look complete"
    epochs_done = torch.load(killed / "checkpoints" / "last.ckpt", weights_only=True)["loop"]["epoch"]
    assert 1 <= epochs_done < 6

    cfg.out = str(tmp_path / "straight")
    straight = train(cfg)
    resumed = train(cfg, resume=killed)
    assert resumed == killed and is_complete(killed)
    a, b = load_file(str(straight / "model.safetensors")), load_file(str(killed / "model.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
