"""The one training run records its life like every other command: run.json from the moment its directory
exists, failed.json and a report when it fails, the finish and a report when it completes, nothing when killed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import dlbox.engine.run
from dlbox.config import DataConfig, ModelConfig, OptimConfig, TrainConfig
from dlbox.report import run_status
from dlbox.tasks.classify.config import ClassifyConfig
from dlbox.tasks.classify.train import train

TINY = ["--model", "mlp", "--model-arg", "width=16", "--model-arg", "depth=1", "--batch-size", "64", "--no-progress"]


def _tiny(out: Path, epochs: int = 1) -> ClassifyConfig:
    return ClassifyConfig(out=str(out), data=DataConfig(name="digits"), model=ModelConfig(name="mlp", kwargs={"width": 16, "depth": 1}),
                          optim=OptimConfig(optimizer="adam", lr=3e-3), train=TrainConfig(epochs=epochs, batch_size=64, progress=False))


def _json(path: Path) -> dict:
    return json.loads(path.read_text())


def test_a_failing_training_leaves_failed_json_and_a_report_then_resumes_to_completion(tmp_path, monkeypatch):
    def exploding_loop(*args, **kwargs):
        raise FloatingPointError("loss is nan at step 3")

    run_dir = tmp_path / "run"
    with monkeypatch.context() as patch:
        patch.setattr(dlbox.engine.run, "run_loop", exploding_loop)
        with pytest.raises(FloatingPointError, match="loss is nan at step 3"):
            train(_tiny(run_dir))
    failed = _json(run_dir / "failed.json")
    assert failed["type"] == "FloatingPointError" and "exploding_loop" in failed["traceback"]
    assert not (run_dir / "metrics.json").exists() and run_status(run_dir) == "failed"
    assert "loss is nan at step 3" in (run_dir / "report.html").read_text()
    first = _json(run_dir / "run.json")
    assert first["task"] == "classify" and first["command"] == ["python-api", "dlbox.tasks.classify.train.train"]

    assert train(_tiny(run_dir), resume=run_dir) == run_dir  # the run loop works again: the same run completes
    record = _json(run_dir / "run.json")
    assert not (run_dir / "failed.json").exists() and run_status(run_dir) == "complete"
    assert record["started"] == first["started"] and len(record["resumes"]) == 1 and "finished" in record
    assert "loss is nan" not in (run_dir / "report.html").read_text()


def test_a_killed_training_is_unfinished_not_failed(tmp_path, kill_training):
    run_dir = tmp_path / "killed"
    kill_training(["classify", "train", *TINY, "--epochs", "50"], run_dir)
    record = _json(run_dir / "run.json")
    assert record["command"][:3] == ["dlbox", "classify", "train"] and record["command"][-2:] == ["--out", str(run_dir)]
    assert record["pid"] != os.getpid() and "finished" not in record
    assert not (run_dir / "metrics.json").exists() and not (run_dir / "failed.json").exists()
    assert not (run_dir / "report.html").exists() and run_status(run_dir) == "unfinished"
