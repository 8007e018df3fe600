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
    assert json.loads((out / "model.json").read_text())["kwargs"]["channels"] == [4, 8]  # --model-arg and --latent-dim both kept


def test_manifold_command_defaults_to_a_2d_code(tmp_path):
    out = tmp_path / "m"
    r = runner.invoke(app, ["manifold", "--epochs", "1", "--grid", "3", "--out", str(out), *TINY])
    assert r.exit_code == 0, _out(r)
    assert json.loads((out / "metrics.json").read_text())["latent_dim"] == 2 and "5-NN" in r.output


def test_shared_options_reach_the_run_and_resume_extends_it(tmp_path):
    out = tmp_path / "d"
    args = ["denoise", "--noise", "0.2", "--clip-noise", "--batch-size", "full", "--ema", "--grad-clip", "1", "--channels-last", *TINY]
    r = runner.invoke(app, [*args, "--epochs", "1", "--out", str(out)])
    assert r.exit_code == 0, _out(r)
    (out / "metrics.json").unlink()  # as if it had died after its first epoch
    r = runner.invoke(app, [*args, "--epochs", "2", "--resume", str(out)])
    assert r.exit_code == 0, _out(r)
    m = json.loads((out / "metrics.json").read_text())
    assert m["epochs"] == 2 and m["steps"] == 2 and m["batch_size"] == 200 and m["sigma"] == 0.2
    assert m["resumed_with"] == {"train.epochs": [1, 2]}
    r = runner.invoke(app, [*args, "--epochs", "3", "--resume", str(out)])
    assert r.exit_code == 2 and "already finished" in _out(r)
    (out / "metrics.json").unlink()
    r = runner.invoke(app, [*args, "--epochs", "3", "--noise", "0.3", "--resume", str(out)])
    assert r.exit_code == 2 and "autoencode.noise was 0.2 and cannot change to 0.3" in _out(r), _out(r)


def test_anomaly_command_builds_the_attack_section(tmp_path):
    from dlbox.tasks.autoencode.config import AutoencodeConfig
    from dlbox.config import from_dict, load_yaml

    out = tmp_path / "a"
    r = runner.invoke(app, ["anomaly", "--normal", "0,1", "--attack-eps", "0.2", "--epochs", "1", "--out", str(out), *TINY])
    assert r.exit_code == 2 and "attack.eps is set but there is no classifier" in _out(r), _out(r)
    r = runner.invoke(app, ["anomaly", "--normal", "0, 1", "--threshold-quantile", "0.9", "--epochs", "1", "--out", str(out), *TINY])
    assert r.exit_code == 0, _out(r)
    saved = from_dict(AutoencodeConfig, load_yaml(out / "config.yaml")).autoencode
    assert saved.mode == "anomaly" and saved.anomaly.normal == ["0", "1"] and saved.anomaly.threshold_quantile == 0.9
    assert "ROC-AUC" in r.output


@pytest.mark.parametrize(
    "args,message",
    [
        (["denoise", "--noise", "0"], "positive --noise"),
        (["anomaly", "--normal", "0,1,2,3,4,5,6,7,8,9"], "leave at least one"),
        (["anomaly", "--normal", "0,dog"], "its classes are: 0, 1, 2"),
        (["anomaly", "--attack-run", "nowhere"], "run directory nowhere does not exist"),
        (["train", "--data", "mnist"], "valid datasets"),
        (["manifold", "--set", "autoencode.grid=1"], "must be at least 2"),
        (["train", "--set", "data.augment=true"], "data.augment is not used by `dlbox autoencode`"),
        (["train", "--monitor", "val_acc"], "val_loss, val_psnr"),
    ],
)
def test_bad_values_are_clear_errors_and_leave_no_run(tmp_path, args, message):
    out = tmp_path / "bad"
    r = runner.invoke(app, [*args, "--epochs", "1", "--out", str(out), *TINY])
    assert r.exit_code == 2 and "error:" in _out(r) and message in _out(r), _out(r)
    assert not out.exists()


@pytest.mark.parametrize("option", ["--init", "--backbone-lr-mult", "--augment"])
def test_options_autoencoders_do_not_use_are_not_offered(option):
    r = runner.invoke(app, ["train", "--help"])
    assert r.exit_code == 0 and option not in r.output and "--resume" in r.output and "--max-time" in r.output
