"""``dlbox style transfer|train|apply``."""

import json

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from dlbox.cli.style import app

runner = CliRunner()


def test_transfer_writes_the_image_and_losses_before_and_after(tmp_path):
    out = tmp_path / "st"
    res = runner.invoke(app, ["transfer", "sample:astronaut", "sample:gravel", "--model", "cnn", "--size", "20", "--steps", "20",
                              "--no-progress", "--out", str(out)])
    assert res.exit_code == 0, res.output
    m = json.loads((out / "metrics.json").read_text())
    assert m["before"]["content"] == 0 and m["after"]["style"] < m["before"]["style"] / 10
    assert m["after"]["content"] < m["noise_reference"]["content"]
    for name in ("stylised.png", "content.png", "style.png", "gallery.png"):
        assert (out / name).is_file()
    assert "style loss" in res.output and f"run directory: {out}" in res.output


def test_transfer_bad_layer_and_weights(tmp_path):
    res = runner.invoke(app, ["transfer", "sample:astronaut", "sample:gravel", "--model", "cnn", "--style-layers", "features.bogus"])
    assert res.exit_code == 2 and "unknown layer 'features.bogus'" in res.output
    res = runner.invoke(app, ["transfer", "sample:astronaut", "sample:gravel", "--model", "cnn", "--style-layers", "features.stage1",
                              "--style-weights", "1,2"])
    assert res.exit_code == 2 and "one gamma per layer" in res.output


def test_train_then_apply(tmp_path):
    folder = tmp_path / "content"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(4):
        Image.fromarray((rng.random((20, 24, 3)) * 255).astype(np.uint8)).save(folder / f"{i}.png")
    run = tmp_path / "run"
    res = runner.invoke(app, ["train", "--style", "sample:brick", "--data", f"folder:{folder}", "--size", "16", "--loss-model", "cnn",
                              "--channels", "4,4,8", "--res-blocks", "1", "--epochs", "1", "--batch-size", "2", "--no-progress",
                              "--accelerator", "cpu", "--out", str(run)])
    assert res.exit_code == 0, res.output
    assert "256x256 image stylises in" in res.output and (run / "metrics.json").is_file()
    out = tmp_path / "applied"
    res = runner.invoke(app, ["apply", "--run", str(run), "sample:coffee", "--size", "32", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "coffee-stylised.png").is_file() and (out / "gallery.png").is_file()
    res = runner.invoke(app, ["apply", "--run", str(tmp_path / "missing"), "sample:coffee"])
    assert res.exit_code == 2 and "does not exist" in res.output


def _style_run(tmp_path):
    """A `style train`-shaped run directory holding an untrained transformation network (no training needed)."""
    import torch

    from dlbox.model_io import save_model
    from dlbox.models import create_model

    torch.manual_seed(0)
    run = tmp_path / "style-run"
    run.mkdir()
    save_model(run, create_model("style_transformer", channels=[4, 4, 8], res_blocks=1), {"task": "style", "input": {"channels": 3, "size": None}})
    return run


def test_apply_writes_one_stylised_image_per_input(tmp_path):
    run = _style_run(tmp_path)
    img = tmp_path / "photo.png"
    Image.fromarray((np.random.default_rng(1).random((18, 26, 3)) * 255).astype(np.uint8)).save(img)
    out = tmp_path / "applied"
    res = runner.invoke(app, ["apply", "--run", str(run), "sample:coffee", str(img), "--size", "32", "--accelerator", "cpu", "--out", str(out)])
    assert res.exit_code == 0, res.output
    m = json.loads((out / "metrics.json").read_text())
    assert m["images"] == 2 and [r["size"] for r in m["outputs"]] == [[21, 32], [22, 32]]
    for row in m["outputs"]:
        assert f"{row['image']} -> {row['output']}" in res.output
    with Image.open(out / "photo-stylised.png") as im:
        assert im.size == (32, 22)
    assert (out / "coffee-stylised.png").is_file() and (out / "gallery.png").is_file()
    res = runner.invoke(app, ["apply", "--run", str(run), "sample:coffee", "--accelerator", "tpu"])
    assert res.exit_code == 2 and "use one of cpu, cuda, mps, auto" in res.output


def test_transfer_records_the_accelerator(tmp_path):
    import yaml

    out = tmp_path / "st"
    res = runner.invoke(app, ["transfer", "sample:astronaut", "sample:gravel", "--model", "cnn", "--size", "12", "--steps", "2",
                              "--accelerator", "cpu", "--no-progress", "--out", str(out)])
    assert res.exit_code == 0, res.output
    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert saved["accelerator"] == "cpu" and "device" not in saved and saved["gatys"]["optimize"]["steps"] == 2
