"""One run of every run-writing command (the table of tests/test_every_command_writes_a_report.py), its own
``report.html`` (written by the command itself) opened in Chromium: clean offline, figures equal to metrics.json."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from harness import assert_metrics_match, assert_page_ok, check_page

pytestmark = pytest.mark.slow

commands = pytest.importorskip("test_every_command_writes_a_report",
                               reason="the table of run-writing commands is not there yet (branch h-lifecycle)")
COMMANDS: dict[str, tuple[list[str], str]] = commands.COMMANDS


@pytest.fixture(scope="module")
def command_run(tmp_path_factory, digits_classifier_run) -> Callable[[str], Path]:
    """The run directory ``command`` wrote through the real CLI (running it, and the runs it needs, on first use)."""
    from typer.testing import CliRunner

    from dlbox.cli.main import app

    root = tmp_path_factory.mktemp("browser-commands")
    made: dict[str, Path] = {"evaluator": digits_classifier_run}

    def run(command: str) -> Path:
        if command not in made:
            args = [str(run(a[1:-1])) if a.startswith("{") and a.endswith("}") else a for a in COMMANDS[command][0]]
            out = root / command.replace(" ", "-")
            result = CliRunner().invoke(app, [*args, "--out", str(out)])
            assert result.exit_code == 0, f"dlbox {' '.join(args)}\n{result.output}\n{result.exception!r}"
            made[command] = out
        return made[command]

    return run


@pytest.mark.parametrize("command", COMMANDS)
def test_report_of_every_command_is_clean_and_shows_metrics_json(command, command_run, browser):
    from dlbox.report import headline

    run = command_run(command)
    page = run / "report.html"
    assert page.is_file(), f"dlbox {command} wrote no report.html in {run}"
    check = check_page(browser, page)
    assert_page_ok(check)
    assert_metrics_match(check, json.loads((run / "metrics.json").read_text()))
    assert [f.key for f in headline(run)] == list(check.metrics)[: len(headline(run))], "headline figures missing"
    pictures = sorted(p.name for p in run.glob("*.png"))
    assert not pictures or check.images, f"the page shows none of the run's pictures {pictures}"
