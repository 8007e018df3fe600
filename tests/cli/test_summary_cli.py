"""`dlbox summary`: options, output formats, the run directory, and what the command imports."""

import json
import subprocess
import sys

import pytest
import torch.nn as nn

from dlbox.models import create_model


def _summary_app():
    import typer

    from dlbox.cli.summary import summary_command

    app = typer.Typer()
    app.command("summary")(summary_command)
    app.command("unused")(lambda: None)  # two commands: keep the `summary` name on the command line
    return app


def _run(*args: str):
    from typer.testing import CliRunner

    return CliRunner().invoke(_summary_app(), ["summary", *args])


def test_summary_command_on_a_registered_model_as_json():
    result = _run("cnn", "--input", "1x8x8", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["mismatches"] == [] and data["input_size"] == [1, 8, 8]
    assert data["total_flops"] == 2 * data["total_macs"]


def test_summary_command_compares_separable_and_writes_a_run_directory(tmp_path):
    out = tmp_path / "summary"
    result = _run("cnn", "--input", "3x16x16", "--format", "csv", "--compare-separable", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "standard_params,separable_params" in result.output
    assert {"summary.json", "summary.csv", "summary.txt", "separable.json", "params_macs.png"} <= {
        p.name for p in out.iterdir()
    }
    comparisons = json.loads((out / "separable.json").read_text())
    assert comparisons and all(c["separable_macs"] < c["standard_macs"] for c in comparisons)


def test_summary_command_reads_a_run_directory(tmp_path):
    from dlbox.model_io import save_model
    from dlbox.models import create_model

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    model = create_model("mlp", in_channels=1, num_classes=3, image_size=6)
    save_model(run_dir, model, {"input": {"channels": 1, "size": [6, 6]}})
    result = _run(str(run_dir))
    assert result.exit_code == 0, result.output
    assert "input 1x6x6" in result.output and "MISMATCHES" not in result.output


@pytest.mark.parametrize(
    ("args", "hint"),
    [(("cnn", "--input", "3x32"), "--input"), (("no-such-model",), "MODEL"), (("cnn", "--format", "xml"), "--format")],
)
def test_summary_command_rejects_bad_values_by_name(args, hint):
    result = _run(*args)
    assert result.exit_code == 2
    assert hint in result.output


def test_separable_comparison_counts_bias_only_where_the_layer_has_one():
    """issue 12: the cnn's first conv (1->32, 3x3, no bias, BN follows) was shown as 320 parameters, not 288."""
    conv = create_model("cnn", in_channels=1, num_classes=10, image_size=8).features.stage1.conv1.conv
    assert isinstance(conv, nn.Conv2d) and conv.bias is None
    result = _run("cnn", "--format", "json", "--compare-separable")
    assert result.exit_code == 0, result.output
    first = json.loads(result.output)["separable_comparison"][0]
    assert first["layer"] == "features.stage1.conv1.conv"
    assert first["standard_params"] == conv.weight.numel() == 288
    assert first["separable_params"] == 3 * 3 * 1 + 1 * 32 == 41
    assert first["standard_macs"] == 288 * 8 * 8 and first["separable_macs"] == 41 * 8 * 8
    table = _run("cnn", "--compare-separable").output
    row = next(line for line in table.splitlines() if "features.stage1.conv1.conv" in line and "->" in line)
    assert "288" in row and "41" in row and "320" not in row


def test_summary_command_imports_nothing_heavy():
    """issue 12: `dlbox summary cnn` must stay fast: no lightning, torchmetrics, tensorboard, dynamo or matplotlib."""
    code = (
        "import sys, typer\n"
        "from typer.testing import CliRunner\n"
        "from dlbox.cli.summary import summary_command\n"
        "app = typer.Typer(); app.command('summary')(summary_command); app.command('x')(lambda: None)\n"
        "result = CliRunner().invoke(app, ['summary', 'cnn'])\n"
        "assert result.exit_code == 0 and 'Total' in result.output, result.output\n"
        "heavy = ('lightning', 'lightning_fabric', 'torchmetrics', 'tensorboard', 'torch.utils.tensorboard',\n"
        "         'torch._dynamo', 'matplotlib', 'torchvision', 'sklearn', 'skimage')\n"
        "print(' '.join(name for name in heavy if name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
