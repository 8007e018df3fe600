"""Run status, task, start time and discovery; on runs with run.json and on runs made before it existed."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from dlbox.report import describe_run, find_runs, headline, run_status
from dlbox.report.runs import infer_task, is_run_dir, list_images, started


def test_the_three_statuses(runs_root):
    assert run_status(runs_root / "classify" / "good") == "complete"
    assert run_status(runs_root / "segment" / "killed") == "unfinished"
    assert run_status(runs_root / "detect" / "broke") == "failed"
    assert run_status(runs_root / "classify" / "x") == "complete"


def test_metrics_json_wins_over_a_stale_failed_json(runs_root):
    run = runs_root / "detect" / "broke"
    (run / "metrics.json").write_text(json.dumps({"test_map50_95": 0.3}))
    assert run_status(run) == "complete"


def test_missing_and_non_run_directories_are_named_in_the_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        run_status(tmp_path / "nowhere")
    (tmp_path / "plain").mkdir()
    with pytest.raises(ValueError, match="plain is not a dlbox run directory"):
        describe_run(tmp_path / "plain")
    assert not is_run_dir(tmp_path / "plain")


def test_headline_values_are_those_of_metrics_json(runs_root):
    run = runs_root / "classify" / "good"
    metrics = json.loads((run / "metrics.json").read_text())
    figures = headline(run)
    assert figures[0].key == "test_acc" and figures[0].text == "97.31%"
    assert all(metrics[f.key] == f.value for f in figures)
    assert headline(runs_root / "segment" / "killed") == []


def test_task_from_run_json_then_parent_folder(runs_root, tmp_path):
    assert infer_task(runs_root / "segment" / "killed") == "segment"
    assert infer_task(runs_root / "classify" / "x") == "classify"  # no run.json: the folder under runs/
    moved = tmp_path / "elsewhere" / "mine"
    moved.mkdir(parents=True)
    (moved / "run.json").write_text(json.dumps({"task": "attack"}))
    assert infer_task(moved) == "attack"


@pytest.mark.parametrize(("config", "metrics", "files", "task"), [
    ({"model": {}, "train": {}, "segment": {}}, None, (), "segment"),
    ({"model": {}, "train": {}, "seg": {}}, None, (), "segment"),
    ({"method": "pgd", "eps": 0.1}, None, (), "attack"),
    ({"dream": {}}, None, (), "dream"),
    ({"gatys": {}}, None, (), "style-transfer"),
    (None, {"test_map50": 0.1}, (), "detect"),
    (None, {"frechet_ratio": 2.0, "best_epoch": 1}, (), "generate"),
    (None, {"frechet_ratio": 2.0, "run": "r"}, (), "generate-eval"),
    (None, {"gate": "nand", "accuracy": 1.0}, (), "fundamentals"),
    (None, {"images": 1, "run": "r"}, ("predictions.json", "a_mask.png"), "segment-predict"),
    (None, {"images": 1, "run": "r"}, ("predictions.json",), "classify-predict"),
    (None, {"whatever": 1}, (), "unknown"),
])
def test_task_of_an_old_run_outside_runs_is_guessed_from_its_files(tmp_path, config, metrics, files, task):
    run = tmp_path / "old"
    run.mkdir()
    if config is not None:
        (run / "config.yaml").write_text(yaml.safe_dump(config))
    if metrics is not None:
        (run / "metrics.json").write_text(json.dumps(metrics))
    for name in files:
        (run / name).write_text("")
    assert infer_task(run) == task


def test_summary_run_made_before_metrics_json_is_complete(tmp_path):
    run = tmp_path / "sum"
    run.mkdir()
    (run / "summary.json").write_text(json.dumps({"model": "cnn", "rows": [{}], "total_params": 10, "total_macs": 99}))
    info = describe_run(run)
    assert (info.status, info.task) == ("complete", "summary")
    assert [(f.key, f.value) for f in info.headline][:1] == [("total_params", 10)]


def test_started_from_run_json_else_config_mtime(runs_root):
    assert started(runs_root / "classify" / "good") == "2026-01-02T03:04:05"
    config = runs_root / "classify" / "x" / "config.yaml"
    os.utime(config, (1_700_000_000, 1_700_000_000))
    assert started(config.parent) == datetime.fromtimestamp(1_700_000_000).isoformat(timespec="seconds")


def test_images_are_relative_and_subfolders_capped(runs_root):
    run = runs_root / "classify" / "good"
    images = list_images(run, per_folder=5)
    assert all(not p.is_absolute() and (run / p).is_file() for p in images)
    assert [p.name for p in images[:3]] == ["confusion_matrix.png", "curves.png", "sample:coffee mask.png"]
    assert len([p for p in images if p.parts[0] == "images"]) == 5


def test_find_runs_lists_every_run_once_and_filters_by_task(runs_root):
    (runs_root / "classify" / "good" / "images" / "config.yaml").write_text("{}")  # inside a run: not a run of its own
    found = find_runs(runs_root)
    assert sorted((r.task, r.name, r.status) for r in found) == [
        ("classify", "good", "complete"), ("classify", "x", "complete"),
        ("detect", "broke", "failed"), ("segment", "killed", "unfinished")]
    assert [r.name for r in find_runs(runs_root, task="classify")] in (["good", "x"], ["x", "good"])
    assert find_runs(runs_root, task="dream") == []
    assert [r.name for r in find_runs(runs_root / "detect" / "broke")] == ["broke"]
    with pytest.raises(FileNotFoundError, match="missing"):
        find_runs(runs_root / "missing")


def test_describe_run_section_follows_the_model(runs_root):
    assert describe_run(runs_root / "segment" / "killed").section == "3.11.2 U-net"
    assert describe_run(runs_root / "classify" / "x").section == "3.5 Residual learning"


def test_importing_the_report_package_loads_no_torch_or_matplotlib():
    import subprocess
    import sys

    code = "import sys, dlbox.report; print('torch' in sys.modules, 'matplotlib' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split() == ["False", "False"]
