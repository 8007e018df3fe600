"""``dlbox.tasks.detect.train``: a tiny run writes its report; files exported from the generator train identically."""

from __future__ import annotations

import json

import pytest

from dlbox.tasks.detect.export import export_shapes
from dlbox.tasks.detect.train import train

pytest.importorskip("pycocotools", reason="torchmetrics' MeanAveragePrecision needs pycocotools (a dlbox dependency)")


def test_a_tiny_run_writes_model_metrics_and_figures(tmp_path, tiny_cfg):
    run = train(tiny_cfg(tmp_path / "run", train={"ema": True}))
    for name in ("model.safetensors", "model.json", "curves.png", "pr_curves.png", "confusion_matrix.png", "worst.png", "metrics.csv"):
        assert (run / name).is_file(), name
    m = json.loads((run / "metrics.json").read_text())
    for key in ("test_map50", "test_map50_95", "per_class", "confusion_matrix", "ms_per_image", "val_loss", "val_map50", "best_val_map50"):
        assert key in m, key
    assert 0 <= m["test_map50_95"] <= m["test_map50"] <= 1 and m["steps"] == 6 and set(m["ms_per_image"]) == {"batch_1", "batch_32"}
    assert len(m["confusion_matrix"]) == 4 and sum(map(sum, m["confusion_matrix"])) >= m["n_objects"]
    meta = json.loads((run / "model.json").read_text())
    assert meta["task"] == "detect" and meta["class_names"] == ["circle", "square", "triangle"]
    assert meta["strides"] == [32, 16, 8] and len(meta["anchors"]) == 3 and meta["thresholds"]["iou"] == 0.45
    assert meta["assign"] == "multi"  # the default target assignment (the notes' rule is assign=best)
    header = (run / "metrics.csv").read_text().splitlines()[0]
    for part in ("train_box", "train_obj", "train_noobj", "train_cls", "val_map50"):
        assert part in header, part


def test_training_from_exported_yolo_files_equals_training_from_the_generator(tmp_path, tiny_cfg):
    cfg = tiny_cfg(tmp_path / "gen", train={"deterministic": True})
    result = export_shapes("yolo", tmp_path / "files", cfg.data, cfg.detect.min_objects, cfg.detect.max_objects)
    files = tiny_cfg(tmp_path / "yolo", train={"deterministic": True}, data={"name": result["data"]})
    a = json.loads((train(cfg) / "metrics.json").read_text())
    b = json.loads((train(files) / "metrics.json").read_text())
    for key in ("test_map50", "test_map50_95", "val_loss", "val_map50", "per_class", "confusion_matrix", "weight_sha256_per_rank"):
        assert a[key] == b[key], key


@pytest.mark.parametrize("field, value, message", [
    ("loss", "mse", "--loss (detect.loss) 'mse' is not valid"),
    ("multiscale", "fancy", "fpn, hierarchy, single, pyramid"),
    ("assign", "all", "--assign (detect.assign) 'all' is not valid; choose from best, multi, neighbours"),
    ("obj_target", "giou", "detect.obj_target 'giou' is not valid; choose from one, iou"),
    ("box_weight", -1.0, "detect.box_weight must be a number >= 0, got -1.0"),
    ("cls_weight", float("nan"), "detect.cls_weight must be a number >= 0, got nan"),
    ("assign_threshold", -0.1, "--assign-threshold (detect.assign_threshold) must lie in [0, 1]"),
    ("conf_threshold", 1.5, "must lie in [0, 1]"),
    ("min_objects", 4, "1 <= --min-objects <= --max-objects"),
])
def test_bad_detect_options_fail_before_a_run_directory(tmp_path, tiny_cfg, field, value, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")):
        train(tiny_cfg(tmp_path / "run", detect={field: value}))
    assert not (tmp_path / "run").exists()


def test_a_dataset_without_test_images_is_refused_before_training(tmp_path, tiny_cfg):
    with pytest.raises(ValueError, match="no test images; set data.test_fraction above 0"):
        train(tiny_cfg(tmp_path / "run", data={"test_fraction": 0.0}))
    assert not (tmp_path / "run").exists()


def test_unused_shared_fields_are_refused(tmp_path, tiny_cfg):
    with pytest.raises(ValueError, match="data.train_per_class is not used by `dlbox detect`"):
        train(tiny_cfg(tmp_path / "run", data={"train_per_class": 5}))


@pytest.mark.parametrize("detect, message", [
    ({"loss": "paper", "obj_weight": 2.0}, "apply to --loss bce only"),
])
def test_bce_only_options_with_the_paper_loss_are_refused(tmp_path, tiny_cfg, detect, message):
    with pytest.raises(ValueError, match=message):
        train(tiny_cfg(tmp_path / "run", detect=detect))
    assert not (tmp_path / "run").exists()


def test_a_neighbours_run_saves_a_model_that_decodes_by_yolov5(tmp_path, tiny_cfg):
    from dlbox.model_io import load_model

    run = train(tiny_cfg(tmp_path / "run", detect={"assign": "neighbours", "obj_target": "iou"}))
    meta = json.loads((run / "model.json").read_text())
    assert meta["assign"] == "neighbours" and meta["box_coding"] == "yolov5" and meta["kwargs"]["box_coding"] == "yolov5"
    assert load_model(run).box_coding == "yolov5"  # dlbox detect predict decodes as the run trained
