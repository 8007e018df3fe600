"""``dlbox dream IMAGE``: output size equals input size, the objective rises, bad input is a clear error."""

import json

import torch
from PIL import Image
from typer.testing import CliRunner

from dlbox.cli.dream import app
from dlbox.model_io import save_model
from dlbox.models import create_model

runner = CliRunner()


def tiny_run(tmp_path):
    tmp_path.mkdir()
    torch.manual_seed(0)
    model = create_model("cnn", in_channels=3, num_classes=3, image_size=16, channels=[4, 8], convs_per_stage=1)
    save_model(tmp_path, model, {"task": "classify", "class_names": ["circle", "square", "triangle"], "input": {"channels": 3, "size": [16, 16]}})
    return tmp_path


def test_dream_keeps_the_size_and_raises_the_objective(tmp_path):
    run = tiny_run(tmp_path / "m")
    out = tmp_path / "dream"
    res = runner.invoke(app, ["sample:coffee", "--model", str(run), "--layers", "features.stage2", "--size", "45", "--octaves", "3",
                              "--octave-scale", "1.4", "--steps", "4", "--no-progress", "--out", str(out)])
    assert res.exit_code == 0, res.output
    m = json.loads((out / "metrics.json").read_text())
    assert m["input_size"] == m["output_size"] == [30, 45]
    assert m["objective_after"] > m["objective_before"] and len(m["octave_sizes"]) == 3
    with Image.open(out / "dream.png") as im:
        assert im.size == (45, 30)
    assert (out / "comparison.png").is_file() and f"run directory: {out}" in res.output


def test_class_target_and_bad_classes(tmp_path):
    run = tiny_run(tmp_path / "m")
    res = runner.invoke(app, ["sample:coffee", "--model", str(run), "--target", "class", "--class", "square", "--size", "24",
                              "--octaves", "2", "--steps", "3", "--no-progress", "--out", str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["sample:coffee", "--model", str(run), "--target", "class", "--class", "5"])
    assert res.exit_code == 2 and "the model has 3 classes, 0-2 (circle, square, triangle)" in res.output
    res = runner.invoke(app, ["sample:coffee", "--model", str(run), "--target", "class", "--class", "hexagon"])
    assert res.exit_code == 2 and "valid: circle, square, triangle" in res.output
    res = runner.invoke(app, ["sample:nothing", "--model", str(run)])
    assert res.exit_code == 2 and "sample:astronaut" in res.output


def test_a_large_image_is_bounded_and_every_octave_prints_a_line(tmp_path):
    """Issue 12: a large image works at a bounded size, says so, and reports each octave (not a terminal here)."""
    import numpy as np

    run = tiny_run(tmp_path / "m")
    big = tmp_path / "big.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (1200, 1500, 3), dtype=np.uint8)).save(big)
    out = tmp_path / "dream"
    res = runner.invoke(app, [str(big), "--model", str(run), "--layers", "features.stage1", "--octaves", "2", "--octave-scale", "4",
                              "--steps", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    m = json.loads((out / "metrics.json").read_text())
    assert m["source_size"] == [1200, 1500] and m["size_bounded"] and m["max_side"] == 1024
    assert m["input_size"] == m["output_size"] == [819, 1024]
    lines = res.output.splitlines()
    assert "dreaming at 819x1024 (the image is 1200x1500; bounded to 1024 px by default, --size to choose)" in lines
    octave_lines = [line for line in lines if line.startswith("octave ")]
    assert [line.split(":")[0] for line in octave_lines] == ["octave 1/2 at 205x256", "octave 2/2 at 819x1024"]
    assert "dreamt at longer side 1024 (the default bound" in res.output
    with Image.open(out / "dream.png") as im:
        assert im.size == (1024, 819)


def test_accelerator_option_and_no_device_option(tmp_path):
    run = tiny_run(tmp_path / "m")
    res = runner.invoke(app, ["sample:coffee", "--model", str(run), "--accelerator", "tpu", "--size", "20"])
    assert res.exit_code == 2 and "use one of cpu, cuda, mps, auto" in res.output
    res = runner.invoke(app, ["sample:coffee", "--model", str(run), "--device", "cpu"])
    assert res.exit_code != 0 and "No such option" in res.output
