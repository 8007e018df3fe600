"""The ``dlbox`` entry point: one typer app; each task registers a sub-app. No logic here."""

from __future__ import annotations

import os

import typer

from dlbox.cli import attack, autoencode, classify, data, detect, dream, fundamentals, generate, layers, segment, style, visualize
from dlbox.cli.report import report_command, runs_command
from dlbox.cli.summary import summary_command
from dlbox.cli.tour import tour_command

app = typer.Typer(
    help="dlbox: every technique of a deep-learning course, as one toolkit. `dlbox TASK MODE --help` for details.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(classify.app, name="classify")
app.add_typer(fundamentals.app, name="fundamentals")
app.add_typer(segment.app, name="segment")
app.add_typer(visualize.app, name="visualize")
app.add_typer(style.app, name="style")
app.command("dream")(dream.dream)
app.command("layers")(layers.layers)
app.command("attack")(attack.attack_command)
app.add_typer(autoencode.app, name="autoencode")
app.add_typer(detect.app, name="detect")
app.add_typer(data.app, name="data")
app.add_typer(generate.app, name="generate")
app.command("summary")(summary_command)
app.command("report")(report_command)
app.command("runs")(runs_command)
app.command("tour")(tour_command)


def _version(value: bool) -> None:
    if value:
        from dlbox import __version__

        typer.echo(f"dlbox {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="print the version and exit"),
) -> None:
    """dlbox: every technique of a deep-learning course, as one toolkit. `dlbox TASK MODE --help` for details."""


def main() -> None:
    # Spin-waiting OpenMP threads slowed steps 5-20x on a shared machine. On an idle one passive waiting costs small
    # networks 1.4-1.8x per step; GOMP_SPINCOUNT (which libgomp prefers to this) gets it back (README, "CPU threads").
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    app()


if __name__ == "__main__":
    main()
