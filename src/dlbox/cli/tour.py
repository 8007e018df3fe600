"""``dlbox tour [--quick] [--out DIR]``: run the course end to end and write an index page (notes 1-4)."""

from __future__ import annotations

from pathlib import Path

import typer

from dlbox.cli.common import user_errors


@user_errors
def tour_command(
    quick: bool = typer.Option(False, "--quick", help="small budgets (a few minutes on a laptop CPU); every command still runs once"),
    out: Path = typer.Option(Path("runs/tour"), help="the tour's directory; rerun with the same one to resume (complete steps are kept)"),
) -> None:
    """Run every section of the notes that has a command, in order, and write OUT/index.html linking each run's report.

    A failing step is recorded (tour.json, index.html) and the tour goes on; steps that need its runs fail naming them.
    Exits with status 1 when any step failed.
    """
    import json

    from dlbox.tour import run_tour

    index = run_tour(out, quick=quick, echo=typer.echo)
    state = json.loads((index.parent / "tour.json").read_text())
    if any(s["status"] != "complete" for s in state["steps"]):
        raise typer.Exit(1)
