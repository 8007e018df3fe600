"""Every command that writes a run directory records it the same way (engine/run_record.py): ``run.json`` with
its task and command line, ``metrics.json`` on success, and a ``report.html`` about that task.

Each command runs once per session, through the real CLI, with the tiny options of tests/command_table.py
(the ``command_run`` fixture); commands that need a trained run use the run their training command wrote.
"""

from __future__ import annotations

import json

import pytest
from command_table import COMMANDS

from dlbox.cli.main import app


def test_the_table_names_every_run_writing_command():
    """A new command that writes a run directory belongs in COMMANDS: compare with the CLI's own command list."""
    import typer.main

    group = typer.main.get_command(app)
    found = set()
    for name, command in group.commands.items():
        subcommands = getattr(command, "commands", None)
        found |= {f"{name} {sub}" for sub in subcommands} if subcommands else {name}
    # a dataset; pages about runs; the tour (its steps are these commands' runs)
    no_run_directory = {"data export", "report", "runs", "tour"}
    assert found - no_run_directory == set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_writes_run_json_metrics_and_a_report(command, command_run):
    run_dir = command_run(command)
    task = COMMANDS[command][1]
    record = json.loads((run_dir / "run.json").read_text())
    assert record["task"] == task and "finished" in record and record["seconds"] >= 0
    assert record["command"][0] in ("dlbox", "python-api")
    assert (run_dir / "metrics.json").is_file() and not (run_dir / "failed.json").exists()
    html = (run_dir / "report.html").read_text()
    assert f">{task}<" in html, f"report.html of {command} does not name its task {task!r}"
