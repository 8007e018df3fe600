"""One run of every run-writing command (tests/command_table.py, run once per session by the ``command_run``
fixture), its own ``report.html`` (written by the command itself) opened in Chromium: clean offline, figures equal to metrics.json."""

from __future__ import annotations

import json

import pytest

from command_table import COMMANDS
from harness import assert_metrics_match, assert_page_ok, check_page

pytestmark = pytest.mark.slow


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
