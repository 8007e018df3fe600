"""``dlbox summary MODEL``: per-layer shapes, parameters, MACs and receptive fields of a model.

Wire it with ``app.command("summary")(summary_command)``. The work is
:func:`dlbox.analysis.summary_report`; this module parses options and prints.
"""

from __future__ import annotations

import json
from enum import Enum
from typing import Annotated, Optional

import typer

from dlbox.cli.common import user_errors

MODEL_HELP = "registered model name (see `dlbox classify train --help`) or a run directory"
INPUT_HELP = "input shape CxHxW, e.g. 3x32x32 (default: the run's input, else 1x8x8)"
OUT_HELP = "also write summary.{txt,json,csv} and a plot to this new directory"
COMPARE_HELP = "also compare every KxK convolution with its depthwise-separable version (notes 3.4.1)"


class SummaryFormat(str, Enum):
    """How the summary is printed."""

    table = "table"
    json = "json"
    csv = "csv"


@user_errors
def summary_command(
    model: Annotated[str, typer.Argument(help=MODEL_HELP)],
    input: Annotated[Optional[str], typer.Option("--input", help=INPUT_HELP)] = None,  # noqa: A002
    format: Annotated[SummaryFormat, typer.Option("--format", help="table | json | csv")] = SummaryFormat.table,  # noqa: A002
    out: Annotated[Optional[str], typer.Option("--out", help=OUT_HELP)] = None,
    num_classes: Annotated[int, typer.Option("--num-classes", min=1, help="classes of a registered model")] = 10,
    compare_separable: Annotated[bool, typer.Option("--compare-separable", help=COMPARE_HELP)] = False,
) -> None:
    """Print a per-layer summary (name, type, output shape, params, MACs, receptive field) and totals.

    Parameters are cross-checked against ``sum(numel)`` and MACs against PyTorch's
    ``FlopCounterMode`` formulas (FLOPs / 2); every disagreement is printed. ``--compare-separable``
    adds, for each standard ``KxK`` convolution (``K > 1``, ``groups == 1``) of the model, the
    parameters and MACs of a depthwise-separable convolution with the same input, output and
    kernel shape (with biases only if the layer has one), and the totals of both.
    """
    from dlbox.analysis.summary_run import UnknownModelError, summary_report

    fmt = SummaryFormat(format)
    shape = parse_input_shape(input) if input is not None else None
    try:
        report = summary_report(model, shape, num_classes, compare_separable, out)
    except UnknownModelError as exc:
        raise typer.BadParameter(str(exc), param_hint="MODEL") from None
    if fmt is SummaryFormat.json:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    elif fmt is SummaryFormat.csv:
        typer.echo(report.to_csv(), nl=False)
    else:
        from rich.console import Console

        console = Console(width=max(Console().width, 160))
        for table in report.tables():
            console.print(table)
    if report.run_dir is not None:
        typer.echo(f"run directory: {report.run_dir}")


def parse_input_shape(text: str) -> tuple[int, int, int]:
    """``"3x32x32"`` -> ``(3, 32, 32)``; anything else is a ``typer.BadParameter`` naming ``--input``."""
    parts = text.lower().replace("×", "x").split("x")
    if len(parts) != 3 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise typer.BadParameter(f"{text!r} is not CxHxW with positive integers, e.g. 3x32x32", param_hint="--input")
    c, h, w = (int(p) for p in parts)
    return c, h, w
