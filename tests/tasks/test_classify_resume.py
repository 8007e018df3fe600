"""SIGKILL mid-training, resume, and end with exactly the weights of an uninterrupted run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import torch
from safetensors.torch import load_file

from dlbox.config import save_yaml
from dlbox.engine.rundir import is_complete
from dlbox.tasks.classify.train import train


def test_sigkill_then_resume_matches_uninterrupted(tiny_cfg, tmp_path):
    cfg = tiny_cfg(None, epochs=6, deterministic=True)
    cfg.model.kwargs["dropout"] = 0.3  # dropout makes the RNG state matter
    save_yaml(cfg, tmp_path / "cfg.yaml")

    killed = tmp_path / "killed"
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dlbox.cli.main", "classify", "train", "--config", str(tmp_path / "cfg.yaml"), "--out", str(killed)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 240
        while not (killed / "checkpoints" / "last.ckpt").exists():
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "no checkpoint appeared"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(30)
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
