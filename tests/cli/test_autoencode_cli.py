"""``dlbox autoencode`` through typer's CliRunner (tiny models, a few steps)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dlbox.cli.autoencode import app

runner = CliRunner()
TINY = ["--model-arg", "channels=[4,8]", "--no-progress", "--accelerator", "cpu", "--set", "data.train_per_class=20"]


def _out(result) -> str:
    return result.output + (getattr(result, "stderr", "") or "")


def test_train_command_prints_the_run_and_saves_the_latent_size(tmp_path):
    out = tmp_path / "t"
    r = runner.invoke(app, ["train", "--epochs", "1", "--latent-dim", "3", "--out", str(out), *TINY])
    assert r.exit_code == 0, _out(r)
    assert f"run directory: {out}" in r.output and "PSNR" in r.output
    m = json.loads((out / "metrics.json").read_text())
    assert m["mode"] == "train" and m["latent_dim"] == 3 and m["epochs"] == 1


def test_manifold_command_defaults_to_a_2d_code(tmp_path):
    out = tmp_path / "m"
    r = runner.invoke(app, ["manifold", "--epochs", "1", "--grid", "3", "--out", str(out), *TINY])
    assert r.exit_code == 0, _out(r)
    assert json.loads((out / "metrics.json").read_text())["latent_dim"] == 2 and "5-NN" in r.output


@pytest.mark.parametrize(
    "args,message",
    [
        (["denoise", "--noise", "0"], "positive --noise"),
        (["anomaly", "--normal", "0,1,2,3,4,5,6,7,8,9"], "leave at least one"),
        (["anomaly", "--normal", "0,dog"], "its classes are: 0, 1, 2"),
        (["train", "--data", "mnist"], "valid datasets"),
        (["train", "--set", "grid=1"], "grid"),
    ],
)
def test_bad_values_are_clear_errors_and_leave_no_run(tmp_path, args, message):
    out = tmp_path / "bad"
    r = runner.invoke(app, [*args, "--epochs", "1", "--out", str(out), *TINY])
    assert r.exit_code == 2 and "error:" in _out(r) and message in _out(r), _out(r)
    assert not out.exists()
