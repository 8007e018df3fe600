"""``dlbox attack`` through typer's CliRunner on a small app wrapping the command."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F
import typer
import yaml
from typer.testing import CliRunner

from dlbox.cli.attack import attack_command

app = typer.Typer()
app.command("attack")(attack_command)
runner = CliRunner()


@pytest.fixture(scope="module")
def clf_run(tmp_path_factory):
    """A run directory holding a small digits MLP (trained in about a second; no config.yaml: digits by default)."""
    from dlbox.config import DataConfig
    from dlbox.data import load_dataset
    from dlbox.model_io import save_model
    from dlbox.models import create_model

    bundle = load_dataset(DataConfig())
    torch.manual_seed(0)
    model = create_model("mlp", depth=1, width=64, dropout=0.0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(150):
        loss = F.cross_entropy(model(bundle.train["image"]), bundle.train["label"])
        opt.zero_grad()
        loss.backward()
        opt.step()
    run = tmp_path_factory.mktemp("clf")
    save_model(run, model, {"task": "classify", "class_names": bundle.class_names, "input": {"channels": 1, "size": [8, 8]}})
    return run


def _out(result) -> str:
    return result.output + (getattr(result, "stderr", "") or "")


def test_pgd_sweep_writes_a_complete_run(clf_run, tmp_path):
    out = tmp_path / "a"
    r = runner.invoke(app, ["--run", str(clf_run), "--eps", "0.05,0.3", "--target", "random", "--n", "24", "--steps", "10", "--out", str(out)])
    assert r.exit_code == 0, _out(r)
    assert f"run directory: {out}" in r.output
    m = json.loads((out / "metrics.json").read_text())
    assert m["method"] == "pgd" and m["n"] == 24 and [row["eps"] for row in m["by_eps"]] == [0.05, 0.3]
    assert m["success_rate"] >= 0.8 and m["linf_median"] <= 0.3 + 1e-6
    for f in ("gallery.png", "success_vs_eps.png", "adversarial.safetensors", "config.yaml"):
        assert (out / f).is_file()
    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert saved["accelerator"] == "cpu" and "device" not in saved and saved["eps"] == [0.05, 0.3]


def test_evolution_reports_queries(clf_run, tmp_path):
    out = tmp_path / "e"
    r = runner.invoke(app, ["--run", str(clf_run), "--method", "evolution", "--eps", "0.3", "--n", "12", "--max-queries", "300", "--out", str(out)])
    assert r.exit_code == 0, _out(r)
    m = json.loads((out / "metrics.json").read_text())
    assert m["black_box"] and m["queries_median"] is not None and m["queries_median"] <= 300
    assert "median queries" in r.output


def test_an_image_file_is_attacked_with_the_model_prediction_as_label(clf_run, tmp_path):
    from PIL import Image

    img = tmp_path / "seven.png"
    Image.new("L", (8, 8), 0).save(img)
    out = tmp_path / "i"
    r = runner.invoke(app, ["--run", str(clf_run), "--data", str(img), "--method", "fgsm", "--eps", "0.3", "--out", str(out)])
    assert r.exit_code == 0, _out(r)
    m = json.loads((out / "metrics.json").read_text())
    assert m["n"] == 1 and m["labels"].startswith("model prediction") and m["clean_accuracy"] == 1.0


@pytest.mark.parametrize(
    "args,message",
    [
        (["--eps", "1.5"], "out of range"),
        (["--eps", "-0.1"], "out of range"),
        (["--norm", "l2", "--eps", "9"], "out of range"),
        (["--target", "11"], "not one the model knows"),
        (["--target", "cat"], "0, 1, 2, 3"),
        (["--method", "cw"], "fgsm, ifgsm, pgd, evolution"),
        (["--norm", "l1"], "linf, l2"),
        (["--accelerator", "tpu"], "use one of cpu, cuda, mps, auto"),
    ],
)
def test_bad_values_are_clear_errors_and_leave_no_run(clf_run, tmp_path, args, message):
    out = tmp_path / "bad"
    r = runner.invoke(app, ["--run", str(clf_run), "--n", "4", "--out", str(out), *args])
    assert r.exit_code == 2 and "error:" in _out(r) and message in _out(r), _out(r)
    assert not out.exists()


def test_unreadable_image_and_missing_run_are_clear_errors(clf_run, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not an image at all")
    r = runner.invoke(app, ["--run", str(clf_run), "--data", str(bad), "--out", str(tmp_path / "x")])
    assert r.exit_code == 2 and "cannot read image" in _out(r) and "broken.png" in _out(r)
    r = runner.invoke(app, ["--run", str(tmp_path / "nope"), "--out", str(tmp_path / "y")])
    assert r.exit_code == 2 and "does not exist" in _out(r)
    r = runner.invoke(app, ["--run", str(clf_run), "--eps", "abc"])
    assert r.exit_code != 0 and "--eps" in _out(r)


def test_fractional_eps(clf_run, tmp_path):
    out = tmp_path / "f"
    r = runner.invoke(app, ["--run", str(clf_run), "--method", "fgsm", "--eps", "8/255,0.1", "--n", "8", "--out", str(out)])
    assert r.exit_code == 0, _out(r)
    assert [row["eps"] for row in json.loads((out / "metrics.json").read_text())["by_eps"]] == [8 / 255, 0.1]
