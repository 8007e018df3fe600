"""``dlbox fundamentals perceptron|backprop|optimizers|approximation|vanishing`` (notes 1, 2).

Each command calls one :mod:`dlbox.tasks.fundamentals` study, which writes its tables (CSV) and
plots (PNG) to a new run directory (``--out DIR``, else ``runs/fundamentals/<command>[-NNN]``)
and ``metrics.json`` last; the command prints the study's report and the run directory.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from dlbox.cli.common import echo_run_dir, user_errors

if TYPE_CHECKING:
    from dlbox.tasks.fundamentals import StudyRun

app = typer.Typer(help="First principles in NumPy: perceptron, backpropagation, optimizers, expressivity.",
                  no_args_is_help=True)

OutOption = Annotated[Optional[Path], typer.Option("--out", help="run directory (must not exist or be empty)")]
SeedOption = Annotated[int, typer.Option("--seed", help="random seed")]


class Gate(str, Enum):
    """Two-input logic gates."""

    nand = "nand"
    and_ = "and"
    or_ = "or"
    xor = "xor"


@app.command()
@user_errors
def perceptron(
    gate: Annotated[Gate, typer.Option("--gate", help="logic gate to learn")] = Gate.nand,
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="maximum epochs of the perceptron rule")] = 100,
    out: OutOption = None,
) -> None:
    """Train one perceptron on a gate: NAND/AND/OR converge, XOR never does (notes 1.1)."""
    from dlbox.tasks.fundamentals import run_perceptron_study

    _show(run_perceptron_study(gate.value, epochs, out))


@app.command()
@user_errors
def backprop(
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="full-batch epochs of the XOR network")] = 3000,
    lr: Annotated[float, typer.Option("--lr", min=0.0)] = 2.0,
    seed: SeedOption = 0, out: OutOption = None,
) -> None:
    """Check hand-written backpropagation against finite differences, then train a 2-4-1 network on XOR (notes 2.2)."""
    from dlbox.tasks.fundamentals import run_backprop_study

    _show(run_backprop_study(epochs, lr, seed, out))


@app.command()
@user_errors
def optimizers(
    epochs: Annotated[int, typer.Option("--epochs", min=1)] = 60,
    lr: Annotated[float, typer.Option("--lr", min=0.0)] = 0.1,
    alpha: Annotated[float, typer.Option("--alpha", min=0.0, max=1.0, help="momentum coefficient")] = 0.9,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="mini-batch size")] = 16,
    seed: SeedOption = 0, out: OutOption = None,
) -> None:
    """Full-batch, mini-batch and online GD, momentum and Nesterov on one problem and one initialization (notes 2.1).

    Momentum variants use ``lr * (1 - alpha)``, so their steady-state step ``lr / (1 - alpha)`` equals plain GD's;
    the plot's legend, the printed table and ``metrics.json`` (``effective_lr``) show the lr of each variant.
    """
    from dlbox.tasks.fundamentals import run_optimizers_study

    _show(run_optimizers_study(epochs, lr, alpha, batch_size, seed, out))


@app.command()
@user_errors
def approximation(
    widths: Annotated[str, typer.Option("--widths", help="comma-separated hidden widths")] = "2,4,8,16,32,64",
    out: OutOption = None,
) -> None:
    """One hidden layer approximates a continuous f: R -> [0, 1]; the max error falls with the width (notes 1.2)."""
    from dlbox.tasks.fundamentals import run_approximation_study

    _show(run_approximation_study(_parse_widths(widths), out))


@app.command()
@user_errors
def vanishing(
    depth: Annotated[int, typer.Option("--depth", min=1, help="hidden layers")] = 10,
    width: Annotated[int, typer.Option("--width", min=1)] = 32,
    seed: SeedOption = 0, out: OutOption = None,
) -> None:
    """Per-layer gradient norms of a deep sigmoid network versus ReLU (notes 2.2, vanishing gradient)."""
    from dlbox.tasks.fundamentals import run_vanishing_study

    _show(run_vanishing_study(depth, width, seed, out))


# ---------------------------------------------------------------- helpers


def _parse_widths(text: str) -> list[int]:
    try:
        widths = [int(w) for w in text.split(",") if w.strip()]
    except ValueError:
        widths = []
    if not widths or min(widths) < 1:
        raise typer.BadParameter(f"{text!r} is not a comma-separated list of positive integers, e.g. 4,8,16",
                                 param_hint="--widths")
    return widths


def _show(run: StudyRun) -> None:
    """The study's table and lines, then the run directory."""
    if run.table:
        from rich.console import Console
        from rich.table import Table

        table = Table(title=run.title)
        for column in run.table[0]:
            table.add_column(str(column))
        for row in run.table:
            table.add_row(*(str(v) for v in row.values()))
        Console().print(table)
    for line in run.lines:
        typer.echo(line)
    echo_run_dir(run.run_dir)
