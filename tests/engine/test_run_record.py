"""run.json, failed.json and report.html: what every run directory records about its own life."""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from pathlib import Path

import pytest

import dlbox
import dlbox.report
from dlbox.engine.run_record import command_line, record_start, recorded_run
from dlbox.engine.rundir import write_json


def _json(path: Path) -> dict:
    return json.loads(path.read_text())


def _time(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


def _finish_ok(run_dir: Path) -> None:
    write_json(run_dir / "metrics.json", {"accuracy": 0.5})


def test_success_records_the_run_and_writes_the_report(tmp_path):
    import torch

    with recorded_run("classify", out=tmp_path / "run") as run_dir:
        assert run_dir == tmp_path / "run"
        started = _json(run_dir / "run.json")
        assert "finished" not in started and not (run_dir / "report.html").exists()  # only once the body is done
        _finish_ok(run_dir)
    record = _json(run_dir / "run.json")
    assert record["task"] == "classify"
    assert record["command"] == ["python-api", f"{__name__}.test_success_records_the_run_and_writes_the_report"]
    assert record["host"] == platform.node() and record["platform"] == platform.platform()
    assert record["python"] == platform.python_version() and record["torch"] == torch.__version__
    assert record["dlbox"] == dlbox.__version__ and record["pid"] == os.getpid()
    assert _time(record["started"]) <= _time(record["finished"])
    assert isinstance(record["seconds"], float) and record["seconds"] >= 0
    assert {k: record[k] for k in started} == started  # finishing only adds
    assert not (run_dir / "failed.json").exists()
    assert dlbox.report.run_status(run_dir) == "complete"
    assert "classify" in (run_dir / "report.html").read_text()


def _broken_step() -> None:
    raise ValueError("the loss became nan at step 7")


def test_an_error_writes_failed_json_and_the_report_then_is_reraised(tmp_path):
    error = None
    with pytest.raises(ValueError) as raised:
        with recorded_run("segment-eval", out=tmp_path / "run") as run_dir:
            (run_dir / "partial.png").write_bytes(b"")
            try:
                _broken_step()
            except ValueError as exc:
                error = exc
                raise
    assert raised.value is error  # the very exception, not a wrapper
    failed = _json(run_dir / "failed.json")
    assert failed["error"] == "the loss became nan at step 7" and failed["type"] == "ValueError"
    assert "_broken_step" in failed["traceback"] and failed["traceback"].rstrip().endswith("ValueError: the loss became nan at step 7")
    assert _time(failed["at"]) >= _time(_json(run_dir / "run.json")["started"])
    assert "finished" not in _json(run_dir / "run.json") and not (run_dir / "metrics.json").exists()
    assert dlbox.report.run_status(run_dir) == "failed"
    assert "the loss became nan at step 7" in (run_dir / "report.html").read_text()


def test_an_interrupt_leaves_the_run_unfinished(tmp_path):
    """Ctrl-C is not a failure of the run: like a killed process it leaves neither metrics.json nor failed.json."""
    with pytest.raises(KeyboardInterrupt):
        with recorded_run("dream", out=tmp_path / "run") as run_dir:
            raise KeyboardInterrupt
    assert not (run_dir / "failed.json").exists() and not (run_dir / "metrics.json").exists()
    assert "finished" not in _json(run_dir / "run.json")
    assert dlbox.report.run_status(run_dir) == "unfinished"


def test_a_bad_out_fails_before_anything_is_recorded(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "mine.txt").write_text("user's file")
    with pytest.raises(ValueError, match="already exists and is not empty"):
        with recorded_run("attack", out=tmp_path / "taken"):
            pytest.fail("the body must not run")
    assert sorted(p.name for p in (tmp_path / "taken").iterdir()) == ["mine.txt"]


def test_a_report_error_after_success_is_raised_and_the_run_stays_complete(tmp_path, monkeypatch):
    def broken(run_dir):
        raise RuntimeError("template missing")

    monkeypatch.setattr(dlbox.report, "write_report", broken)
    with pytest.raises(RuntimeError, match="template missing") as raised:
        with recorded_run("classify-eval", out=tmp_path / "run") as run_dir:
            _finish_ok(run_dir)
    assert any(f"dlbox report {run_dir}" in note and "complete" in note for note in raised.value.__notes__)
    assert "finished" in _json(run_dir / "run.json") and not (run_dir / "failed.json").exists()
    assert dlbox.report.run_status(run_dir) == "complete"


def test_a_report_error_after_a_failure_does_not_hide_the_failure(tmp_path, monkeypatch):
    def broken(run_dir):
        raise RuntimeError("template missing")

    monkeypatch.setattr(dlbox.report, "write_report", broken)
    with pytest.raises(ValueError, match="bad image") as raised:
        with recorded_run("classify-predict", out=tmp_path / "run") as run_dir:
            raise ValueError("bad image")
    assert any("template missing" in note and f"dlbox report {run_dir}" in note for note in raised.value.__notes__)
    assert _json(run_dir / "failed.json")["error"] == "bad image"


def test_a_resumed_run_keeps_its_start_and_drops_its_stale_failure(tmp_path):
    with pytest.raises(OSError):
        with recorded_run("classify", out=tmp_path / "run") as run_dir:
            raise OSError("disk full")
    first = _json(run_dir / "run.json")
    record_start(run_dir, "classify")
    resumed = _json(run_dir / "run.json")
    assert not (run_dir / "failed.json").exists() and dlbox.report.run_status(run_dir) == "unfinished"
    assert resumed["started"] == first["started"] and resumed["pid"] == first["pid"]
    assert len(resumed["resumes"]) == 1 and resumed["resumes"][0]["pid"] == os.getpid()
    assert _time(resumed["resumes"][0]["at"]) >= _time(first["started"])
    record_start(run_dir, "classify")
    assert len(_json(run_dir / "run.json")["resumes"]) == 2


@pytest.mark.parametrize("program", ["/home/me/.venv/bin/dlbox", "/site-packages/dlbox/cli/main.py", "dlbox"])
def test_the_command_line_of_the_dlbox_program(monkeypatch, program):
    monkeypatch.setattr(sys, "argv", [program, "segment", "train", "--epochs", "3"])
    assert command_line() == ["dlbox", "segment", "train", "--epochs", "3"]


def test_the_command_line_of_a_python_caller(monkeypatch, tmp_path):
    from dlbox.tasks.fundamentals.studies import run_vanishing_study

    monkeypatch.setattr(sys, "argv", ["/usr/bin/python", "my_script.py"])
    assert command_line() == ["python-api", f"{__name__}.test_the_command_line_of_a_python_caller"]
    run = run_vanishing_study(depth=2, width=4, out=tmp_path / "study")
    assert _json(run.run_dir / "run.json")["command"] == ["python-api", "dlbox.tasks.fundamentals.studies.run_vanishing_study"]
