"""Two-process CPU DDP (gloo via ddp_spawn, in a subprocess so pytest is never re-launched)."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_two_process_ddp_ends_with_identical_weights(tmp_path):
    out = tmp_path / "ddp"
    cmd = [
        sys.executable, "-m", "dlbox.cli.main", "classify", "train",
        "--strategy", "ddp_spawn", "--devices", "2", "--accelerator", "cpu",
        "--epochs", "2", "--batch-size", "32", "--model-arg", "channels=[8,16]", "--model-arg", "convs_per_stage=1",
        "--no-progress", "--out", str(out),
    ]
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["world_size"] == 2
    ranks = metrics["weight_sha256_per_rank"]
    assert len(ranks) == 2 and ranks[0] == ranks[1]
    n_train = json.loads((out / "data.json").read_text())["sizes"]["train"]
    # each rank takes half of every epoch: steps per epoch = ceil((n/2) / 32)
    assert metrics["steps"] == 2 * -(-(n_train // 2) // 32)
