"""Every training command behaves alike, because every one goes through the one training run (engine.training):
a bad option or an unknown or unused config field fails before any run directory exists, and a run killed
with SIGKILL finishes all its epochs with ``--resume``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from dlbox.cli.main import app

# command -> (tiny arguments, a field the task does not use or None, ...)
COMMANDS = {
    "classify": (["classify", "train", "--model", "mlp", "--model-arg", "width=16", "--model-arg", "depth=1", "--batch-size", "64"], None),
    "segment": (["segment", "train", "--model-arg", "width=4", "--model-arg", "depth=2", "--num-samples", "96", "--image-size", "32",
                 "--batch-size", "16"], "data.train_per_class=5"),
    "autoencode": (["autoencode", "train", "--model-arg", "channels=[4,8]", "--latent-dim", "4", "--batch-size", "64"], "optim.backbone_lr_mult=0.5"),
    "detect": (["detect", "train", "--image-size", "64", "--num-samples", "48", "--max-objects", "3", "--model-arg", "width=0.125",
                "--batch-size", "8", "--accelerator", "cpu"], "data.train_per_class=5"),
    "generate": (["generate", "train", "--model", "gan", "--latent-dim", "4", "--model-arg", "g_width=8", "--model-arg", "d_width=8",
                  "--set", "data.train_per_class=20", "--samples", "20", "--evaluator", "{evaluator}"], "optim.backbone_lr_mult=0.5"),
    "style": (["style", "train", "--style", "sample:brick", "--data", "digits", "--size", "16", "--loss-model", "cnn", "--channels", "4,4,8",
               "--res-blocks", "1", "--batch-size", "16"], "data.augment=true"),
}
EPOCHS = 5


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return CliRunner()


@pytest.fixture
def evaluator(digits_classifier_run) -> str:
    return str(digits_classifier_run)


def _args(command: str, evaluator: str) -> tuple[list[str], str | None]:
    args, unused = COMMANDS[command]
    return [evaluator if a == "{evaluator}" else a for a in args], unused


def _fails(runner: CliRunner, args: list[str], message: str, tmp_path: Path) -> None:
    result = runner.invoke(app, [*args, "--no-progress", "--out", str(tmp_path / "run")])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and said.startswith("error:") and message in said, result.output
    assert not (tmp_path / "run").exists() and not (tmp_path / "runs").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_bad_option_fails_before_any_run_directory(runner, tmp_path, command, evaluator):
    args, _ = _args(command, evaluator)
    _fails(runner, [*args, "--optimizer", "bogus"], "--optimizer 'bogus' is not valid", tmp_path)
    _fails(runner, [*args, "--set", "train.epochs=0"], "--epochs must be at least 1", tmp_path)


@pytest.mark.parametrize("command", COMMANDS)
def test_unknown_and_unused_fields_are_errors_naming_the_field(runner, tmp_path, command, evaluator):
    args, unused = _args(command, evaluator)
    _fails(runner, [*args, "--set", "train.nosuch=1"], "unknown config key(s) train.nosuch", tmp_path)
    if unused is not None:
        field = unused.split("=")[0]
        _fails(runner, [*args, "--set", unused], f"config field {field} is not used by `dlbox {command}`", tmp_path)


@pytest.mark.parametrize("command", COMMANDS)
def test_sigkill_then_resume_finishes_every_epoch(runner, tmp_path, command, evaluator, kill_training):
    args, _ = _args(command, evaluator)
    run = tmp_path / "killed"
    kill_training([*args, "--epochs", str(EPOCHS), "--no-progress"], run)
    last = run / "checkpoints" / "last.ckpt"
    assert not (run / "metrics.json").exists(), "a killed run must not look complete"
    assert torch.load(last, weights_only=True)["loop"]["epoch"] < EPOCHS

    result = runner.invoke(app, [*args[:2], "--resume", str(run), "--no-progress"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["epochs"] == EPOCHS and metrics["stopped_by"] == "epochs"
    assert (run / "model.safetensors").is_file() and (run / "curves.png").is_file()
