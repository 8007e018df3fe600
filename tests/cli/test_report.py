"""`dlbox report RUN_DIR...` and `dlbox runs [DIR] [--task T] [--compare RUN RUN... --out PAGE]`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dlbox.cli.main import app


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def runs(tmp_path: Path) -> Path:
    """``runs/`` with a complete classify run (made before run.json existed), a killed segment run, a failed detect run."""
    root = tmp_path / "runs"
    done, killed, broke = root / "classify" / "done", root / "segment" / "killed", root / "detect" / "broke"
    for run in (done, killed, broke):
        run.mkdir(parents=True)
    (done / "config.yaml").write_text("model:\n  name: cnn\ntrain: {}\nclassify: {}\n")
    (done / "metrics.json").write_text(json.dumps({"test_acc": 0.875, "test_loss": 0.3}))
    (killed / "run.json").write_text(json.dumps({"task": "segment", "started": "2026-01-01T10:00:00"}))
    (broke / "run.json").write_text(json.dumps({"task": "detect", "started": "2026-01-01T11:00:00"}))
    (broke / "failed.json").write_text(json.dumps({"error": "bad anchors", "type": "ValueError"}))
    return root


def _rows(output: str) -> dict[str, str]:
    """Table row (joined) by run name."""
    return {name: line for line in output.splitlines() for name in ("done", "killed", "broke") if f" {name} " in line}


def test_runs_lists_the_three_statuses_and_headline(runs):
    result = _invoke("runs", str(runs))
    assert result.exit_code == 0, result.output
    rows = _rows(result.output)
    assert "complete" in rows["done"] and "classify" in rows["done"] and "87.50%" in rows["done"]
    assert "unfinished" in rows["killed"] and "segment" in rows["killed"]
    assert "failed" in rows["broke"] and "detect" in rows["broke"]


def test_runs_filters_by_task_and_says_when_there_is_none(runs):
    result = _invoke("runs", str(runs), "--task", "segment")
    assert result.exit_code == 0 and set(_rows(result.output)) == {"killed"}
    result = _invoke("runs", str(runs), "--task", "dream")
    assert result.exit_code == 0 and "no run directories of task dream" in result.output


def test_runs_defaults_to_the_runs_folder(runs, monkeypatch):
    monkeypatch.chdir(runs.parent)
    result = _invoke("runs")
    assert result.exit_code == 0 and set(_rows(result.output)) == {"done", "killed", "broke"}


def test_report_rebuilds_pages_and_prints_their_paths(runs):
    result = _invoke("report", str(runs / "classify" / "done"), str(runs / "detect" / "broke"))
    assert result.exit_code == 0, result.output
    pages = [Path(line) for line in result.output.split()]
    assert pages == [runs / "classify" / "done" / "report.html", runs / "detect" / "broke" / "report.html"]
    assert 'data-value="0.875"' in pages[0].read_text() and "bad anchors" in pages[1].read_text()


def test_report_on_a_missing_or_non_run_path_names_it(runs, tmp_path):
    missing = tmp_path / "no" / "such-run"
    result = _invoke("report", str(runs / "classify" / "done"), str(missing))
    assert result.exit_code != 0 and str(missing) in result.output
    assert not (runs / "classify" / "done" / "report.html").exists()  # checked before writing anything
    result = _invoke("report", str(runs))
    assert result.exit_code != 0 and f"{runs} is not a dlbox run directory" in result.output


def test_runs_compare_writes_one_page_with_both_runs(runs, tmp_path):
    out = tmp_path / "cmp.html"
    result = _invoke("runs", "--compare", str(runs / "classify" / "done"), str(runs / "segment" / "killed"),
                     "--out", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert result.output.strip() == str(out) and 'data-run="done"' in html and 'data-run="killed"' in html
    result = _invoke("runs", "--compare")
    assert result.exit_code != 0 and "--compare" in result.output
    result = _invoke("runs", str(runs), "--out", str(tmp_path / "x.html"))
    assert result.exit_code != 0 and "--out" in result.output and not (tmp_path / "x.html").exists()
