"""Issue 12 from the user's side: every user error is one `error:` line with exit status 2 and no run directory;
resume respects what the user changed; a piped run prints a line per epoch; --version; defaults in --help."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from dlbox.cli.main import app

TINY = ["--model", "mlp", "--model-arg", "width=16", "--model-arg", "depth=1", "--batch-size", "64", "--no-progress"]


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return CliRunner()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--model", "conv_autoencoder"], "model 'conv_autoencoder' is not a classifier"),
        (["--model-arg", "channels=abc"], "model 'cnn' cannot be built with channels='abc'"),
        (["--model-arg", "nosuch=1"], "unexpected keyword argument 'nosuch'"),
        (["--set", "model.kwargs=!!python/object:os.system"], "is not plain YAML"),
        (["--set", "train.epochs=-1"], "--epochs must be at least 1 (config train.epochs), got -1"),
        (["--max-time", "0"], "--max-time must be positive (config train.max_time), got 0.0"),
        (["--set", "optim.lr=-0.1"], "--lr must lie in [0.0, inf) (config optim.lr)"),
        (["--set", "data.val_fraction=0.5", "--set", "data.test_fraction=0.5"], "nothing left to train on"),
    ],
)
def test_user_errors_are_one_line_and_leave_no_run(runner, tmp_path, args, message):
    result = runner.invoke(app, ["classify", "train", *args, "--no-progress", "--out", str(tmp_path / "run")])
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert said.startswith("error:") and message in said and "Traceback" not in said
    assert not (tmp_path / "run").exists() and not (tmp_path / "runs").exists()


def test_version(runner):
    from dlbox import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"dlbox {__version__}"


def test_help_shows_the_defaults(runner):
    result = runner.invoke(app, ["classify", "train", "--help"], env={"COLUMNS": "200"})
    text = " ".join(result.output.split())
    for shown in ("training epochs (default: 10)", "learning rate (default: 0.003)", "(default: 64)", "(default: adam)", "(default: onecycle)"):
        assert shown in text, shown


KILLED = ["classify", "train", *TINY, "--epochs", "8", "--schedule", "none"]


def test_resume_applies_budget_and_lr_refuses_other_changes_and_keeps_the_whole_history(runner, tmp_path, kill_training):
    run = tmp_path / "run"
    kill_training(KILLED, run, epochs=2)
    done = __import__("torch").load(run / "checkpoints" / "last.ckpt", weights_only=True)["loop"]["epoch"]

    refused = runner.invoke(app, ["classify", "train", "--resume", str(run), "--optimizer", "sgd"])
    assert refused.exit_code == 2 and "optim.optimizer was 'adam' and cannot change to 'sgd'" in " ".join(refused.output.split())

    result = runner.invoke(app, ["classify", "train", "--resume", str(run), "--epochs", "10", "--lr", "1e-4", "--no-progress"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epochs"] == 10  # the new budget, not the saved 8
    assert metrics["resumed_with"] == {"train.epochs": [8, 10], "optim.lr": [0.003, 0.0001]}
    resumes = json.loads((run / "resumes.json").read_text())
    assert resumes[-1]["changed"]["optim.lr"] == [0.003, 0.0001]
    assert "lr: 0.0001" in (run / "config.yaml").read_text()
    # metrics.csv holds every epoch once: those before the kill and those after the resume
    rows = [r for r in csv.DictReader((run / "metrics.csv").read_text().splitlines()) if r.get("val_acc")]
    assert [int(float(r["epoch"])) for r in rows] == list(range(1, 11)), (done, rows)


def test_resume_from_a_garbage_checkpoint_is_a_clear_error(runner, tmp_path, kill_training):
    run = tmp_path / "run"
    kill_training(KILLED, run, epochs=1)
    (run / "checkpoints" / "last.ckpt").write_bytes(b"garbage")
    result = runner.invoke(app, ["classify", "train", "--resume", str(run)])
    assert result.exit_code == 2 and "last.ckpt cannot be read" in " ".join(result.output.split())


def test_piped_run_prints_one_flushed_line_per_epoch(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "dlbox.cli.main", "classify", "train", *TINY[:-1], "--epochs", "3", "--out", str(tmp_path / "r")],
                          capture_output=True, text=True, env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = [l for l in proc.stdout.splitlines() if l.startswith("epoch ")]
    assert [l.split()[1] for l in lines] == ["1", "2", "3"] and all("val_acc=" in l and "train_loss=" in l for l in lines)
