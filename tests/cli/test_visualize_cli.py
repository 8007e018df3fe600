"""``dlbox visualize channels|invert`` and ``dlbox layers``: run directories, summaries, clear errors."""

import json

import torch
import yaml
from typer.testing import CliRunner

from dlbox.cli.layers import app as layers_app
from dlbox.cli.visualize import app
from dlbox.model_io import save_model
from dlbox.models import create_model

runner = CliRunner()


def tiny_run(tmp_path, channels=1, size=8):
    torch.manual_seed(0)
    model = create_model("cnn", in_channels=channels, num_classes=3, image_size=size, channels=[4, 8], convs_per_stage=1)
    run = tmp_path / "model"
    run.mkdir()
    save_model(run, model, {"task": "classify", "class_names": ["a", "b", "c"], "input": {"channels": channels, "size": [size, size]}})
    return run


def test_channels_writes_a_grid_and_compares_with_validation_images(tmp_path):
    run = tiny_run(tmp_path)
    out = tmp_path / "vis"
    res = runner.invoke(app, ["channels", "--model", str(run), "--layer", "features.stage1.conv1", "--channels", "0-3", "--val-data", "digits",
                              "--steps", "20", "--tv", "0.01", "--no-progress", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert f"run directory: {out}" in res.output and "validation images" in res.output
    m = json.loads((out / "metrics.json").read_text())
    assert [u["unit"] for u in m["units"]] == [0, 1, 2, 3] and m["val_data"] == "digits" and m["val_images"] > 100
    assert m["mean_reached"] > 2 * m["mean_start"] and sum(u["reached"] > u["start"] for u in m["units"]) >= 3, m["units"]
    for name in ("channels.png", "val_top.png", "config.yaml"):
        assert (out / name).is_file()


def test_invert_writes_reconstructions_and_errors(tmp_path):
    run = tiny_run(tmp_path, channels=3, size=16)
    out = tmp_path / "inv"
    res = runner.invoke(app, ["invert", "sample:astronaut", "--model", str(run), "--layers", "features.stage1.conv1,features.stage2",
                              "--steps", "15", "--no-progress", "--accelerator", "cpu", "--out", str(out)])
    assert res.exit_code == 0, res.output
    m = json.loads((out / "metrics.json").read_text())
    assert [r["layer"] for r in m["layers"]] == ["features.stage1.conv1", "features.stage2"]
    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert saved["accelerator"] == "cpu" and "device" not in saved and saved["optimize"]["steps"] == 15
    assert all(r["feature_error"] < r["start_error"] for r in m["layers"])
    for name in ("original.png", "reconstructions.png", "feature_error.png", "invert_01_features.stage1.conv1.png"):
        assert (out / name).is_file(), name


def test_bad_input_is_a_clear_error(tmp_path):
    run = tiny_run(tmp_path)
    res = runner.invoke(app, ["channels", "--model", str(run), "--layer", "features.nope", "--out", str(tmp_path / "a")])
    assert res.exit_code == 2 and "unknown layer 'features.nope'" in res.output and "features.stage1.conv1" in res.output
    assert not (tmp_path / "a").exists()  # nothing written for a bad request
    res = runner.invoke(app, ["channels", "--model", str(run), "--layer", "features.stage1.conv1", "--channels", "0-9"])
    assert res.exit_code == 2 and "this layer has 4 channels" in res.output
    res = runner.invoke(app, ["channels", "--model", str(run), "--layer", "features.stage1.conv1", "--optimizer", "rmsprop", "--out", str(tmp_path / "b")])
    assert res.exit_code == 2 and "valid: adam, sgd, lbfgs" in res.output and not (tmp_path / "b").exists()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    res = runner.invoke(app, ["channels", "--model", str(run), "--layer", "features.stage1.conv1", "--out", str(tmp_path / "full")])
    assert res.exit_code == 2 and "already exists and is not empty" in res.output
    (tmp_path / "bad.png").write_text("not an image")
    res = runner.invoke(app, ["invert", str(tmp_path / "bad.png"), "--model", str(run), "--layers", "features.stage1"])
    assert res.exit_code == 2 and "bad.png: cannot read image" in res.output


def test_layers_lists_names_aliases_and_shapes(tmp_path):
    run = tiny_run(tmp_path)
    res = runner.invoke(layers_app, [str(run), "--out", str(tmp_path / "layers")])
    assert res.exit_code == 0, res.output
    assert "features.stage1.conv1.conv" in res.output and "logits" in res.output and "4x8x8" in res.output
    rows = json.loads((tmp_path / "layers" / "layers.json").read_text())
    assert any(r["name"] == "head.fc" and r["shape"] == [3] for r in rows)
    m = json.loads((tmp_path / "layers" / "metrics.json").read_text())
    assert m["layers"] == len(rows) and m["input"] == [1, 8, 8]
    res = runner.invoke(layers_app, [str(run), "--out", str(tmp_path / "layers")])  # not empty now
    assert res.exit_code == 2 and "already exists and is not empty" in res.output
    res = runner.invoke(layers_app, ["vgg11", "--size", "32", "--leaves"])  # torchvision: no weights needed to list names
    assert res.exit_code == 0, res.output
    assert "relu4_2" in res.output and "features.features.0" in res.output
    res = runner.invoke(layers_app, ["nonsense_model"])
    assert res.exit_code == 2 and "torchvision:NAME" in res.output
