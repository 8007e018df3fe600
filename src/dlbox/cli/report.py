"""``dlbox report RUN_DIR...`` and ``dlbox runs [DIR] [--task T] [--compare RUN RUN...]``: parse, call, print.

Wire them with ``app.command("report")(report_command)`` and ``app.command("runs")(runs_command)``.
The work is :mod:`dlbox.report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from dlbox.cli.common import user_errors

STATUS_STYLE = {"complete": "green", "unfinished": "yellow", "failed": "red"}


@user_errors
def report_command(
    run_dirs: Annotated[list[Path], typer.Argument(metavar="RUN_DIR...", help="run directories whose report.html to (re)build")],
) -> None:
    """(Re)write report.html in each run directory (also runs made before dlbox wrote reports) and print its path."""
    from dlbox.report import write_report
    from dlbox.report.runs import require_run

    for run_dir in run_dirs:  # check all first: a typo in the last one should not leave half the pages rebuilt
        require_run(run_dir)
    for run_dir in run_dirs:
        typer.echo(str(write_report(run_dir)))


@user_errors
def runs_command(
    paths: Annotated[Optional[list[Path]], typer.Argument(
        metavar="[DIR]...", help="where to look for runs (default: runs); with --compare, the run directories to compare")] = None,
    task: Annotated[Optional[str], typer.Option("--task", help="list only this task's runs, e.g. classify")] = None,
    compare: Annotated[bool, typer.Option("--compare", help="write one page comparing the run directories given")] = False,
    out: Annotated[Optional[Path], typer.Option(
        "--out", help="the comparison page to write (with --compare; default comparison.html)")] = None,
) -> None:
    """A table of the runs below DIR (task, name, started, status, headline figure, path), or with --compare a page
    putting several runs' figures and curves side by side."""
    from dlbox.report import find_runs, write_comparison

    if compare:
        if not paths:
            raise typer.BadParameter("--compare needs the run directories to compare, e.g. dlbox runs --compare A B",
                                     param_hint="--compare")
        typer.echo(str(write_comparison(list(paths), out or Path("comparison.html"))))
        return
    if out is not None:
        raise typer.BadParameter("--out names the page --compare writes; add --compare RUN RUN...", param_hint="--out")
    found = [run for root in (paths or [Path("runs")]) for run in find_runs(root, task)]
    if not found:
        where = ", ".join(str(p) for p in paths or [Path("runs")])
        typer.echo(f"no run directories{f' of task {task}' if task else ''} under {where}")
        return
    _print_runs(found)


def _print_runs(runs: list) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(runs)} runs")
    for column in ("task", "name", "started", "status", "headline", "path"):
        table.add_column(column, overflow="fold")
    for run in runs:
        figure = run.headline[0] if run.headline else None
        table.add_row(run.task, run.name, (run.started or "-").replace("T", " "),
                      f"[{STATUS_STYLE[run.status]}]{run.status}[/]",
                      f"{figure.label} {figure.text}" if figure else "-", str(run.path))
    console = Console()
    (console if console.is_terminal else Console(width=160)).print(table)  # piped: no folding at 80 columns
