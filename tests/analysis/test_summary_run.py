"""dlbox.analysis.summary_run: `dlbox summary` as a Python function, from a registry name or a run directory."""

import json

import pytest
import torch

from dlbox.analysis import SummaryReport, UnknownModelError, load_summary_model, summary_report
from dlbox.model_io import save_model
from dlbox.models import create_model


def test_registered_model_on_the_default_input():
    network, shape = load_summary_model("cnn")
    assert shape == (1, 8, 8)
    assert network(torch.zeros(1, *shape)).shape == (1, 10)
    report = summary_report("cnn", num_classes=3)
    assert report.summary.input_size == (1, 8, 8) and report.summary.rows[-1].output_shape == (3,)
    assert report.comparisons == [] and report.run_dir is None and report.summary.mismatches == []


def test_run_directory_uses_its_recorded_input(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    model = create_model("mlp", in_channels=1, num_classes=3, image_size=6)
    save_model(run_dir, model, {"input": {"channels": 1, "size": [6, 6]}})
    report = summary_report(run_dir)
    assert report.summary.input_size == (1, 6, 6)
    assert report.summary.total_params == sum(p.numel() for p in model.parameters())
    assert summary_report(run_dir, (1, 6, 6)).summary.total_params == report.summary.total_params


def test_report_writes_a_run_directory_and_prints_both_tables(tmp_path):
    out = tmp_path / "summary"
    report = summary_report("cnn", (3, 16, 16), compare_separable=True, out=out)
    assert isinstance(report, SummaryReport) and report.run_dir == out
    assert {"summary.json", "summary.csv", "summary.txt", "separable.json", "params_macs.png"} <= {
        p.name for p in out.iterdir()
    }
    assert json.loads((out / "summary.json").read_text())["total_macs"] == report.summary.total_macs
    assert json.loads((out / "separable.json").read_text()) == report.comparison_dicts()
    assert (out / "summary.txt").read_text() == report.summary.to_text(160)
    text = str(report)
    assert "input 3x16x16" in text and "Standard vs depthwise-separable" in text
    assert report.to_dict()["separable_comparison"] == report.comparison_dicts()
    csv_lines = report.to_csv().splitlines()
    assert csv_lines.count("layer,standard_params,separable_params,standard_macs,separable_macs,macs_ratio") == 1


def test_bad_sources_and_shapes_are_named(tmp_path):
    with pytest.raises(UnknownModelError, match="no-such-model.*cnn"):
        summary_report("no-such-model")
    with pytest.raises(ValueError, match=r"input_size.*\(3, 32, 32\)"):
        summary_report("cnn", (3, 32))
    with pytest.raises(ValueError, match="input_size"):
        summary_report("cnn", (3, 0, 8))
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "keep.txt").write_text("x")
    with pytest.raises(ValueError, match="not empty"):
        summary_report("cnn", out=taken)
    assert [p.name for p in taken.iterdir()] == ["keep.txt"]


def test_run_without_a_recorded_input_asks_for_one(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    model = create_model("cnn", in_channels=1, num_classes=2, image_size=8)
    save_model(run_dir, model, {})
    config = json.loads((run_dir / "model.json").read_text())
    config.pop("input", None)
    config["kwargs"].pop("image_size", None)
    (run_dir / "model.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="input_size"):
        summary_report(run_dir)
