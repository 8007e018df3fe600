"""Every command that writes a run directory records it the same way (engine/run_record.py): ``run.json`` with
its task and command line, ``metrics.json`` on success, and a ``report.html`` about that task.

Each command runs once, through the real CLI, with tiny options; commands that need a trained run use the run
their training command wrote here (trained once per module, on first use).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlbox.cli.main import app

CNN = ["--model", "cnn", "--model-arg", "channels=[4,8]", "--model-arg", "convs_per_stage=1"]
AUTOENCODE = ["--model-arg", "channels=[4,8]", "--epochs", "1", "--set", "data.train_per_class=20", "--no-progress", "--accelerator", "cpu"]
DETECT = ["--image-size", "64", "--num-samples", "40", "--max-objects", "3"]
FEATURES = "features.stage1.conv1"

# command -> (arguments before --out, the task run.json names); {COMMAND} is the run directory that command wrote
COMMANDS: dict[str, tuple[list[str], str]] = {
    "classify train": (["classify", "train", *CNN, "--epochs", "1", "--batch-size", "64", "--no-progress"], "classify"),
    "classify eval": (["classify", "eval", "--run", "{classify train}"], "classify-eval"),
    "classify predict": (["classify", "predict", "sample:coffee", "--run", "{classify train}"], "classify-predict"),
    "segment train": (["segment", "train", "--data", "shapes", "--image-size", "32", "--model-arg", "depth=2", "--model-arg", "width=4",
                       "--num-samples", "24", "--batch-size", "8", "--max-steps", "2", "--no-progress", "--accelerator", "cpu"], "segment"),
    "segment eval": (["segment", "eval", "--run", "{segment train}"], "segment-eval"),
    "segment predict": (["segment", "predict", "sample:coffee", "--size", "32", "--run", "{segment train}"], "segment-predict"),
    "segment heatmap": (["segment", "heatmap", "sample:coffee", "--size", "24", "--run", "{classify train}"], "segment-heatmap"),
    "autoencode train": (["autoencode", "train", "--latent-dim", "3", *AUTOENCODE], "autoencode"),
    "autoencode denoise": (["autoencode", "denoise", "--noise", "0.2", *AUTOENCODE], "autoencode"),
    "autoencode anomaly": (["autoencode", "anomaly", "--normal", "0,1", *AUTOENCODE], "autoencode"),
    "autoencode manifold": (["autoencode", "manifold", "--grid", "3", *AUTOENCODE], "autoencode"),
    "detect train": (["detect", "train", *DETECT, "--model-arg", "width=0.125", "--batch-size", "8", "--max-steps", "1", "--no-progress",
                      "--accelerator", "cpu", "--set", "data.val_fraction=0.2", "--set", "data.test_fraction=0.2"], "detect"),
    "detect eval": (["detect", "eval", "--run", "{detect train}"], "detect-eval"),
    "detect predict": (["detect", "predict", "--run", "{detect train}", "sample:coffee"], "detect-predict"),
    "detect anchors": (["detect", "anchors", *DETECT, "--k", "6"], "detect-anchors"),
    "generate train": (["generate", "train", "--model", "gan", "--latent-dim", "4", "--model-arg", "g_width=8", "--model-arg", "d_width=8",
                        "--max-steps", "2", "--no-progress", "--accelerator", "cpu", "--set", "data.train_per_class=20", "--samples", "20",
                        "--evaluator", "{evaluator}"], "generate"),
    "generate sample": (["generate", "sample", "--run", "{generate train}", "--n", "4", "--accelerator", "cpu"], "generate-sample"),
    "generate eval": (["generate", "eval", "--run", "{generate train}", "--samples", "12"], "generate-eval"),
    "generate interpolate": (["generate", "interpolate", "--run", "{generate train}", "--pairs", "1", "--steps", "3"], "generate-interpolate"),
    "style transfer": (["style", "transfer", "sample:astronaut", "sample:gravel", "--model", "cnn", "--size", "12", "--steps", "2",
                        "--no-progress"], "style-transfer"),
    "style train": (["style", "train", "--style", "sample:brick", "--data", "digits", "--size", "16", "--loss-model", "cnn",
                     "--channels", "4,4,8", "--res-blocks", "1", "--batch-size", "16", "--max-steps", "1", "--no-progress",
                     "--accelerator", "cpu"], "style"),
    "style apply": (["style", "apply", "--run", "{style train}", "sample:coffee", "--size", "16"], "style-apply"),
    "visualize channels": (["visualize", "channels", "--model", "{classify train}", "--layer", FEATURES, "--channels", "0-1",
                            "--val-data", "none", "--steps", "2", "--no-progress"], "visualize-channels"),
    "visualize invert": (["visualize", "invert", "sample:coffee", "--model", "{classify train}", "--layers", FEATURES, "--steps", "2",
                          "--no-progress", "--accelerator", "cpu"], "visualize-invert"),
    "dream": (["dream", "sample:coffee", "--model", "{classify train}", "--layers", FEATURES, "--size", "16", "--octaves", "1",
               "--steps", "2", "--no-progress"], "dream"),
    "attack": (["attack", "--run", "{classify train}", "--eps", "0.1", "--n", "4", "--steps", "2"], "attack"),
    "layers": (["layers", "{classify train}"], "layers"),
    "summary": (["summary", "{classify train}"], "summary"),
    **{f"fundamentals {study}": (["fundamentals", study, *args], "fundamentals") for study, args in {
        "perceptron": ["--epochs", "5"], "backprop": ["--epochs", "5"], "optimizers": ["--epochs", "2"],
        "approximation": ["--widths", "2,4"], "vanishing": ["--depth", "2", "--width", "4"]}.items()},
}


@pytest.fixture(scope="module")
def run_of(tmp_path_factory, digits_classifier_run) -> Callable[[str], Path]:
    """The run directory ``command`` wrote (running it, and the commands it needs, on first use)."""
    root = tmp_path_factory.mktemp("commands")
    made: dict[str, Path] = {"evaluator": digits_classifier_run}

    def run(command: str) -> Path:
        if command not in made:
            args = [_fill(a, run) for a in COMMANDS[command][0]]
            out = root / command.replace(" ", "-")
            result = CliRunner().invoke(app, [*args, "--out", str(out)])
            assert result.exit_code == 0, f"dlbox {' '.join(args)}\n{result.output}\n{result.exception!r}"
            made[command] = out
        return made[command]

    return run


def _fill(arg: str, run: Callable[[str], Path]) -> str:
    return str(run(arg[1:-1])) if arg.startswith("{") and arg.endswith("}") else arg


def test_the_table_names_every_run_writing_command():
    """A new command that writes a run directory belongs in COMMANDS: compare with the CLI's own command list."""
    import typer.main

    group = typer.main.get_command(app)
    found = set()
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", None)
        found |= {f"{name} {sub}" for sub in subcommands} if subcommands else {name}
    # a dataset; pages about runs; the tour (its steps are these commands' runs)
    no_run_directory = {"data export", "report", "runs", "tour"}
    assert found - no_run_directory == set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_writes_run_json_metrics_and_a_report(command, run_of):
    run_dir = run_of(command)
    task = COMMANDS[command][1]
    record = json.loads((run_dir / "run.json").read_text())
    assert record["task"] == task and "finished" in record and record["seconds"] >= 0
    assert record["command"][0] in ("dlbox", "python-api")
    assert (run_dir / "metrics.json").is_file() and not (run_dir / "failed.json").exists()
    html = (run_dir / "report.html").read_text()
    assert f">{task}<" in html, f"report.html of {command} does not name its task {task!r}"
