"""``dlbox segment train|eval|predict|heatmap`` end to end on tiny data, and bad input exits."""

import json

import numpy as np
import pytest
import torch
from PIL import Image
from typer.testing import CliRunner

from dlbox.cli.segment import app
from dlbox.data.masks import read_mask, write_mask

runner = CliRunner()
TINY = ["--num-samples", "24", "--batch-size", "8", "--max-steps", "2", "--no-progress", "--accelerator", "cpu"]


def _ok(args):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def _fails(args, *needles):
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 2, result.output
    for needle in needles:
        assert needle in result.output
    return result


def _png(path, h, w, seed=0):
    Image.fromarray(np.random.default_rng(seed).integers(0, 255, (h, w, 3), dtype=np.uint8)).save(path)
    return path


@pytest.fixture(scope="module")
def classifier_run(tmp_path_factory):
    """A classification run directory as `dlbox classify train` leaves it (model.json + weights)."""
    from dlbox.model_io import save_model
    from dlbox.models import create_model

    run = tmp_path_factory.mktemp("clf")
    torch.manual_seed(0)
    model = create_model("cnn", in_channels=3, num_classes=3, image_size=32, channels=[4, 6, 8, 8], head_pool="flatten", hidden=[12])
    save_model(run, model, {"task": "classify", "class_names": ["circle", "square", "triangle"], "input": {"channels": 3, "size": [32, 32]}})
    return run


def test_unet_train_eval_predict(tmp_path):
    run = tmp_path / "run"
    out = _ok(["train", "--data", "shapes", "--image-size", "32", "--model-arg", "depth=2", "--model-arg", "width=4", "--augment", "--dice-weight", "0.5", "--out", run, *TINY]).output
    assert "test mIoU" in out and f"run directory: {run}" in out
    metrics = json.loads((run / "metrics.json").read_text())
    assert 0 <= metrics["test_miou"] <= 1 and set(metrics["per_class_iou"]) == {"background", "circle", "square", "triangle"}
    assert metrics["steps"] == 2 and (run / "test_examples.png").is_file() and (run / "model.safetensors").is_file()

    ev = _ok(["eval", "--run", run, "--out", tmp_path / "eval", "--worst", "3"]).output
    assert "mIoU" in ev and "background" in ev
    assert (tmp_path / "eval" / "worst.png").is_file()
    assert (tmp_path / "eval" / "per_class.csv").read_text().startswith("class,iou,pixels,predicted\nbackground,")
    assert len(json.loads((tmp_path / "eval" / "metrics.json").read_text())["worst"]) == 3

    image = _png(tmp_path / "scene.png", 40, 52)
    pr = tmp_path / "pred"
    _ok(["predict", image, "--run", run, "--out", pr])
    mask = read_mask(pr / "scene_mask.png")
    assert mask.shape == (40, 52) and int(mask.max()) <= 3
    assert Image.open(pr / "scene_overlay.png").size == (52, 40)
    assert json.loads((pr / "predictions.json").read_text())[0]["mask"] == "scene_mask.png"
    _ok(["predict", "sample:coffee", "--run", run, "--out", tmp_path / "pred-sample"])  # bundled images work too
    assert (tmp_path / "pred-sample" / "coffee_mask.png").is_file()


def test_valid_unet_trains_on_mask_crops_and_predicts_by_tiling(tmp_path):
    run = tmp_path / "run"
    _ok(["train", "--image-size", "44", "--model-arg", "depth=2", "--model-arg", "width=2", "--model-arg", "padding=valid", "--out", run, *TINY])
    assert json.loads((run / "model.json").read_text())["kwargs"]["padding"] == "valid"
    pr = tmp_path / "pred"
    _ok(["predict", _png(tmp_path / "wide.png", 30, 70), "--run", run, "--out", pr])
    assert read_mask(pr / "wide_mask.png").shape == (30, 70)  # whole image, although each tile outputs 4x4


def test_valid_unet_size_error_names_nearest_sizes(tmp_path):
    _fails(["train", "--image-size", "46", "--model-arg", "depth=2", "--model-arg", "padding=valid", "--out", tmp_path / "r", *TINY], "44 or 48")


def test_fcn8s_from_a_classifier_run(tmp_path, classifier_run):
    run = tmp_path / "fcn"
    _ok(["train", "--model", "fcn8s", "--init", classifier_run, "--image-size", "32", "--lr", "0", "--schedule", "none", "--out", run, *TINY])
    spec = json.loads((run / "model.json").read_text())
    source = json.loads((classifier_run / "model.json").read_text())
    assert spec["name"] == "fcn8s" and spec["kwargs"]["backbone"] == {"name": source["name"], "kwargs": source["kwargs"]}
    from safetensors.torch import load_file

    trained, clf = load_file(str(run / "model.safetensors")), load_file(str(classifier_run / "model.safetensors"))
    torch.testing.assert_close(trained["features.stage2.conv1.conv.weight"], clf["features.stage2.conv1.conv.weight"])  # lr 0
    torch.testing.assert_close(trained["head.fc1.weight"].flatten(1), clf["head.fc1.weight"])  # convolutionalized
    _ok(["eval", "--run", run, "--out", tmp_path / "ev"])


def test_heatmap_over_a_larger_image(tmp_path, classifier_run):
    out = _ok(["heatmap", _png(tmp_path / "big.png", 64, 80), "--run", classifier_run, "--out", tmp_path / "h"]).output
    heat = np.load(tmp_path / "h" / "heatmaps.npy")
    assert heat.shape == (3, 3, 4)  # 32-px windows at stride 16 over 64x80
    np.testing.assert_allclose(heat.sum(0), 1.0, rtol=1e-5)
    assert (tmp_path / "h" / "heatmaps.png").is_file() and "stride 16" in out
    _fails(["heatmap", _png(tmp_path / "small.png", 20, 80), "--run", classifier_run], "heatmaps need an image at least that large")
    _ok(["heatmap", "sample:coffee", "--run", classifier_run, "--size", "64", "--out", tmp_path / "hs"])  # bundled images too
    assert np.load(tmp_path / "hs" / "heatmaps.npy").shape[0] == 3


def _mask_tree(tmp_path, n=6):
    img, msk = tmp_path / "img", tmp_path / "msk"
    img.mkdir()
    msk.mkdir()
    for i in range(n):
        _png(img / f"p{i}.png", 16, 16, seed=i)
        m = np.zeros((16, 16), np.uint8)
        m[4:12, 4:12] = 1
        m[0] = 255
        write_mask(msk / f"p{i}.png", m)
    return img, msk


def test_masks_dataset_trains(tmp_path):
    img, msk = _mask_tree(tmp_path)
    run = tmp_path / "run"
    _ok(["train", "--data", f"masks:{img},{msk}", "--classes", "bg,blob", "--model-arg", "depth=2", "--model-arg", "width=2", "--out", run, *TINY])
    assert json.loads((run / "model.json").read_text())["class_names"] == ["bg", "blob"]


def test_bad_mask_inputs_exit_2_naming_the_file(tmp_path):
    img, msk = _mask_tree(tmp_path)
    data = f"masks:{img},{msk}"
    base = ["train", "--data", data, "--classes", "bg,blob", "--out", tmp_path / "never", *TINY]
    write_mask(msk / "ghost.png", np.zeros((16, 16), np.uint8))
    _fails(base, "ghost.png", "mask has no image")
    (msk / "ghost.png").unlink()
    write_mask(msk / "p1.png", np.zeros((16, 15), np.uint8))
    _fails(base, "p1.png", "mask is 16x15")
    bad = np.zeros((16, 16), np.uint8)
    bad[3, 3] = 9
    write_mask(msk / "p1.png", bad)
    _fails(base, "p1.png", "mask values [9] are outside the 2 classes")
    assert not (tmp_path / "never").exists()  # nothing written for bad data


def test_option_errors(tmp_path, classifier_run):
    _fails(["train", "--model", "unet", "--init", classifier_run, "--out", tmp_path / "a", *TINY], "--init starts an FCN")
    _fails(["train", "--model", "segnet", "--out", tmp_path / "b", *TINY], "unknown segmentation model 'segnet'")
    _fails(["eval", "--run", tmp_path / "missing"], "does not exist")
    _fails(["predict", tmp_path / "nope.png", "--run", classifier_run], "not a segmentation run")


def test_shared_training_options(tmp_path):
    _fails(["train", "--optimizer", "bogus", "--out", tmp_path / "bogus", *TINY], "--optimizer 'bogus' is not valid", "adamw")
    assert not (tmp_path / "bogus").exists()
    _fails(["train", "--dice-weight", "0.5", "--resume", tmp_path / "nothing", *TINY], "no config.yaml")

    run = tmp_path / "full"
    small = ["--image-size", "24", "--model-arg", "depth=2", "--model-arg", "width=4", "--num-samples", "24", "--no-progress", "--accelerator", "cpu"]
    _ok(["train", *small, "--batch-size", "full", "--epochs", "2", "--ema", "--grad-clip", "1", "--precision", "bf16-mixed", "--out", run])
    metrics = json.loads((run / "metrics.json").read_text())
    config = (run / "config.yaml").read_text()
    assert metrics["steps"] == 2 and metrics["batch_size"] == json.loads((run / "data.json").read_text())["sizes"]["train"]
    assert "ema: true" in config and "grad_clip: 1.0" in config and "precision: bf16-mixed" in config
    assert 0 <= metrics["test_miou"] <= 1


def test_help_shows_the_segment_defaults():
    result = runner.invoke(app, ["train", "--help"], env={"COLUMNS": "250"})  # wide enough for one line per option
    assert result.exit_code == 0, result.output
    out = result.output
    for needle in ("--dice-weight", "--ignore-index", "--classes", "--num-samples", "--resume", "--max-time", "--ema", "--compile", "--channels-last", "default: unet", "default: shapes"):
        assert needle in out, needle
    from dlbox.tasks.segment.model_init import UNET_DEFAULTS

    assert f"depth={UNET_DEFAULTS['depth']} width={UNET_DEFAULTS['width']}" in out  # the help names the task's U-Net
