"""``dlbox tour``: the command runs the table (here a tiny one), prints a line per step and the index, and exits
with status 1 when a step failed."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from dlbox.cli.main import app
from dlbox.tour.steps import Run, Step

runner = CliRunner()


def _table(gate: str) -> tuple[Step, ...]:
    return (Step("gate", "A gate", {"1.1": None}, (Run("learn", "fundamentals perceptron", {"gate": gate, "epochs": 10}),)),)


def test_tour_command_runs_the_table_and_reports(tmp_path, monkeypatch):
    monkeypatch.setattr("dlbox.tour.course.STEPS", _table("nand"))
    result = runner.invoke(app, ["tour", "--quick", "--out", str(tmp_path / "t")])
    assert result.exit_code == 0, result.output
    assert "01-gate" in result.output and "complete" in result.output and f"index: {tmp_path / 't' / 'index.html'}" in result.output
    assert json.loads((tmp_path / "t" / "tour.json").read_text())["mode"] == "quick"

    monkeypatch.setattr("dlbox.tour.course.STEPS", _table("nope"))
    result = runner.invoke(app, ["tour", "--quick", "--out", str(tmp_path / "u")])
    assert result.exit_code == 1 and "failed" in result.output and "nope" in result.output


def test_tour_into_a_tour_of_the_other_mode_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr("dlbox.tour.course.STEPS", _table("nand"))
    assert runner.invoke(app, ["tour", "--out", str(tmp_path / "t")]).exit_code == 0
    result = runner.invoke(app, ["tour", "--quick", "--out", str(tmp_path / "t")])
    assert result.exit_code == 2 and "error:" in result.output and "without --quick" in result.output
