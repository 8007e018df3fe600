"""``dlbox detect`` and ``dlbox data export`` from the user's side (tiny: 64x64 scenes, width 1/8, a few steps)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlbox.cli.main import app

pytest.importorskip("pycocotools", reason="torchmetrics' MeanAveragePrecision needs pycocotools (a dlbox dependency)")

TINY = ["--image-size", "64", "--num-samples", "40", "--max-objects", "3", "--model-arg", "width=0.125", "--batch-size", "8",
        "--no-progress", "--accelerator", "cpu", "--set", "data.val_fraction=0.2", "--set", "data.test_fraction=0.2"]


@pytest.fixture
def runner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def _ok(result):
    assert result.exit_code == 0, result.output
    return result


def test_train_eval_predict_anchors(runner, tmp_path):
    from PIL import Image

    run = tmp_path / "run"
    r = _ok(runner.invoke(app, ["detect", "train", *TINY, "--epochs", "2", "--out", str(run)]))
    assert "test mAP@0.5" in r.output and f"run directory: {run}" in r.output
    m = json.loads((run / "metrics.json").read_text())
    assert {"test_map50", "test_map50_95", "per_class", "ms_per_image", "val_map50", "best_val_map50"} <= set(m)
    for name in ("pr_curves.png", "confusion_matrix.png", "worst.png", "curves.png", "model.safetensors"):
        assert (run / name).is_file(), name

    r = _ok(runner.invoke(app, ["detect", "eval", "--run", str(run), "--out", str(tmp_path / "ev")]))
    ev = json.loads((tmp_path / "ev" / "metrics.json").read_text())
    assert ev["map50"] == pytest.approx(m["test_map50"]) and ev["split"] == "test" and "mAP@0.5" in r.output
    assert (tmp_path / "ev" / "pr_curves.png").is_file() and (tmp_path / "ev" / "worst.png").is_file()

    Image.new("RGB", (96, 48), (200, 40, 40)).save(tmp_path / "wide.png")  # non-square: letterboxed, boxes mapped back
    (tmp_path / "dir").mkdir()
    Image.new("RGB", (64, 64), (10, 200, 40)).save(tmp_path / "dir" / "a.jpg")
    r = _ok(runner.invoke(app, ["detect", "predict", "--run", str(run), "--conf-threshold", "0.0", "--out", str(tmp_path / "pr"),
                                str(tmp_path / "wide.png"), str(tmp_path / "dir"), "sample:coffee"]))
    rows = json.loads((tmp_path / "pr" / "detections.json").read_text())
    assert [Path(r_["image"]).name for r_ in rows] == ["wide.png", "a.jpg", "sample:coffee"]
    assert rows[0]["size"] == [48, 96] and Image.open(tmp_path / "pr" / rows[0]["output"]).size == (96, 48)
    for row in rows:
        for d in row["detections"]:
            x1, y1, x2, y2 = d["box_xyxy"]
            assert 0 <= x1 <= x2 <= row["size"][1] and 0 <= y1 <= y2 <= row["size"][0]
        lines = (tmp_path / "pr" / "labels" / (Path(row["output"]).stem + ".txt")).read_text().splitlines()
        assert len(lines) == len(row["detections"]) and all(len(line.split()) == 5 for line in lines)

    r = _ok(runner.invoke(app, ["detect", "anchors", "--image-size", "64", "--num-samples", "40", "--k", "6", "--out", str(tmp_path / "an")]))
    anchors = json.loads((tmp_path / "an" / "anchors.json").read_text())
    assert anchors["k"] == 6 and list(anchors["per_stride"]) == ["32", "16"] and "stride 16" in r.output and "COCO" in r.output
    assert anchors["mean_iou"] >= anchors["coco_mean_iou"]  # fitted to the data: at least as good as COCO's
    small, large = anchors["per_stride"]["16"], anchors["per_stride"]["32"]
    assert max(w * h for w, h in small) <= min(w * h for w, h in large)  # the smallest anchors on the finest map

    r = _ok(runner.invoke(app, ["detect", "train", *TINY, "--epochs", "1", "--anchors", str(tmp_path / "an" / "anchors.json"),
                                "--model", "yolov3-tiny", "--out", str(tmp_path / "run2")]))
    from dlbox.config import load_yaml

    assert load_yaml(tmp_path / "run2" / "config.yaml")["detect"]["anchors"] == anchors["anchors"]
    assert json.loads((tmp_path / "run2" / "model.json").read_text())["kwargs"]["anchors"] == anchors["anchors"]


def test_data_export_then_train_from_the_files(runner, tmp_path):
    r = _ok(runner.invoke(app, ["data", "export", "--format", "yolo", "--out", str(tmp_path / "y"), "--num-samples", "40",
                                "--image-size", "64", "--max-objects", "3", "--val-fraction", "0.2", "--test-fraction", "0.2"]))
    assert "train 24 images" in r.output and f"--data yolo:{tmp_path / 'y' / 'data.yaml'}" in r.output
    assert len(list((tmp_path / "y" / "images" / "train").glob("*.png"))) == 24
    _ok(runner.invoke(app, ["detect", "train", *TINY, "--max-steps", "2", "--data", f"yolo:{tmp_path / 'y' / 'data.yaml'}", "--out", str(tmp_path / "run")]))
    assert json.loads((tmp_path / "run" / "data.json").read_text())["sizes"] == {"train": 24, "val": 8, "test": 8}
    for fmt in ("coco", "voc"):
        _ok(runner.invoke(app, ["data", "export", "--format", fmt, "--out", str(tmp_path / fmt), "--num-samples", "6", "--image-size", "32"]))
    assert (tmp_path / "coco" / "annotations" / "instances_train.json").is_file() and (tmp_path / "voc" / "Annotations").is_dir()


def test_train_with_the_multi_anchor_assignment(runner, tmp_path):
    run = tmp_path / "run"
    r = _ok(runner.invoke(app, ["detect", "train", *TINY, "--max-steps", "2", "--set", "detect.assign=multi",
                                "--assign-threshold", "0.2", "--out", str(run)]))
    assert "test mAP@0.5" in r.output
    meta = json.loads((run / "model.json").read_text())
    assert meta["assign"] == "multi"
    import yaml

    detect = yaml.safe_load((run / "config.yaml").read_text())["detect"]
    assert detect["assign"] == "multi" and detect["assign_threshold"] == 0.2
    assert json.loads((run / "metrics.json").read_text())["steps"] == 2


def _yolo(tmp_path: Path) -> Path:
    from dlbox.cli.main import app as main_app

    CliRunner().invoke(main_app, ["data", "export", "--format", "yolo", "--out", str(tmp_path / "y"), "--num-samples", "10",
                                  "--image-size", "64", "--max-objects", "2"])
    return tmp_path / "y"


def _coco(tmp_path: Path) -> str:
    from dlbox.cli.main import app as main_app

    CliRunner().invoke(main_app, ["data", "export", "--format", "coco", "--out", str(tmp_path / "c"), "--num-samples", "10", "--image-size", "64"])
    ann = tmp_path / "c" / "annotations" / "instances_train.json"
    spec = json.loads(ann.read_text())
    spec["images"][0]["file_name"] = "train/missing.png"
    ann.write_text(json.dumps(spec))
    return f"coco:{ann},{tmp_path / 'c' / 'images'}"


def _label(root: Path, i: int = 0) -> Path:
    return sorted((root / "labels" / "train").glob("*.txt"))[i]


@pytest.mark.parametrize(
    "damage, message",
    [
        ("orphan", "label file without an image"),
        ("class", "class 9 is not one of the YAML's ids 0..2"),
        ("malformed", "expected 'class cx cy w h' (5 numbers), got 2 field(s)"),
        ("outside", "lies outside the 64x64 image"),
        ("coco", "image id 1: file"),
        ("scheme", "unknown detection dataset 'kitti:x'; use one of: shapes, yolo:DATASET.yaml"),
        ("nofile", "dataset YAML"),
    ],
)
def test_bad_input_is_one_error_line_exit_2_and_no_run_directory(runner, tmp_path, damage, message):
    data = None
    if damage in ("orphan", "class", "malformed", "outside"):
        root = _yolo(tmp_path)
        data = f"yolo:{root / 'data.yaml'}"
        if damage == "orphan":
            (root / "labels" / "train" / "000999.txt").write_text("0 0.5 0.5 0.2 0.2\n")
        elif damage == "class":
            _label(root).write_text("9 0.5 0.5 0.2 0.2\n")
        elif damage == "malformed":
            _label(root).write_text("0 0.5\n")
        else:
            _label(root).write_text("0 0.5 0.5 0.2 0.2\n0 0.1 0.5 0.4 0.2\n")
    elif damage == "coco":
        data = _coco(tmp_path)
    elif damage == "scheme":
        data = "kitti:x"
    else:
        data = f"yolo:{tmp_path / 'nowhere.yaml'}"
    before = {p for p in tmp_path.rglob("*")}
    r = runner.invoke(app, ["detect", "train", *TINY, "--data", data, "--out", str(tmp_path / "run")])
    said = " ".join(r.output.split())
    assert r.exit_code == 2 and said.startswith("error:") and message in said and "Traceback" not in said, r.output
    assert not (tmp_path / "run").exists() and not (tmp_path / "runs").exists()
    assert {p for p in tmp_path.rglob("*")} == before  # the user's files untouched, nothing added


@pytest.mark.parametrize("args, message", [
    (["detect", "eval", "--run", "nowhere"], "run directory nowhere does not exist"),
    (["detect", "predict", "--run", "nowhere", "x.png"], "run directory nowhere does not exist"),
    (["detect", "anchors", "--data", "voc:nowhere"], "has no Annotations folder"),
    (["detect", "train", "--loss", "mse", "--no-progress"], "--loss (detect.loss) 'mse' is not valid"),
    (["detect", "train", "--model", "cnn", *TINY], "'cnn' is not a detector"),
    (["detect", "train", "--image-size", "100", "--no-progress"], "must be a multiple of 32"),
    (["data", "export", "--format", "kitti", "--out", "x"], "--format 'kitti' is not valid"),
])
def test_other_user_errors(runner, tmp_path, args, message):
    r = runner.invoke(app, args)
    said = " ".join(r.output.split())
    assert r.exit_code == 2 and said.startswith("error:") and message in said, r.output
    assert not (tmp_path / "runs").exists() and not (tmp_path / "x").exists()


def test_predict_with_a_classify_run_is_refused(runner, tmp_path):
    from dlbox.model_io import save_model
    from dlbox.models import create_model

    (tmp_path / "clf").mkdir()
    save_model(tmp_path / "clf", create_model("mlp", depth=1, width=8), {"task": "classify", "class_names": ["a"], "input": {"channels": 1, "size": [8, 8]}})
    r = runner.invoke(app, ["detect", "predict", "--run", str(tmp_path / "clf"), "sample:coffee"])
    assert r.exit_code == 2 and "is a 'classify' run, not a detect run" in r.output


def test_resume_after_sigkill_finishes(runner, tmp_path, kill_training):
    import torch

    run = tmp_path / "run"
    kill_training(["detect", "train", *TINY, "--epochs", "40", "--schedule", "none"], run, epochs=1)
    last = run / "checkpoints" / "last.ckpt"
    assert not (run / "metrics.json").exists()
    done = torch.load(last, weights_only=True)["loop"]["epoch"]
    assert done < 40
    r = _ok(runner.invoke(app, ["detect", "train", "--resume", str(run), "--epochs", str(done + 1), "--no-progress"]))
    m = json.loads((run / "metrics.json").read_text())
    assert m["epochs"] == done + 1 and m["resumed_with"] == {"train.epochs": [40, done + 1]} and "test mAP@0.5" in r.output


def test_init_from_a_darknet_classification_run(runner, tmp_path):
    from safetensors.torch import load_file

    clf = tmp_path / "clf"
    _ok(runner.invoke(app, ["classify", "train", "--data", "shapes", "--image-size", "64", "--model", "darknet53", "--model-arg", "width=0.125",
                            "--model-arg", "depth=0.34", "--max-steps", "2", "--batch-size", "8", "--no-progress", "--set", "data.num_samples=60",
                            "--out", str(clf)]))
    run = tmp_path / "det"
    _ok(runner.invoke(app, ["detect", "train", *TINY, "--init", str(clf), "--max-steps", "1", "--lr", "1e-9", "--schedule", "none",
                            "--out", str(run)]))
    before, after = load_file(clf / "model.safetensors"), load_file(run / "model.safetensors")
    key = "features.stem.conv.weight"  # one step at lr 1e-9: the transferred weights are still the classifier's
    assert after[key].shape == before[key].shape and (after[key] - before[key]).abs().max() < 1e-6
    assert json.loads((run / "model.json").read_text())["init"] == str(clf)


def test_train_with_neighbour_cells_and_the_notes_objectness_target(runner, tmp_path):
    run = tmp_path / "run"
    _ok(runner.invoke(app, ["detect", "train", *TINY, "--max-steps", "2", "--assign", "neighbours", "--obj-target", "one", "--out", str(run)]))
    meta = json.loads((run / "model.json").read_text())
    assert meta["assign"] == "neighbours" and meta["box_coding"] == "yolov5"
    import yaml

    detect = yaml.safe_load((run / "config.yaml").read_text())["detect"]
    assert detect["obj_target"] == "one" and detect["assign"] == "neighbours"
    r = runner.invoke(app, ["detect", "train", *TINY, "--max-steps", "2", "--obj-target", "all", "--out", str(tmp_path / "bad")])
    assert r.exit_code != 0 and "detect.obj_target 'all' is not valid; choose from one, iou" in r.output
