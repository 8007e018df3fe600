"""``dlbox summary MODEL``: per-layer shapes, parameters, MACs and receptive fields of a model.

Wire it with ``app.command("summary")(summary_command)``.
"""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from dlbox.cli.common import user_errors

if TYPE_CHECKING:
    import torch.nn as nn

    from rich.table import Table

    from dlbox.analysis.summary import SeparableComparison, Summary

    Comparisons = list[tuple[str, SeparableComparison]]

DEFAULT_INPUT = "1x8x8"  # the shape of dlbox's default data set (digits); every builder's default
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
    ``FlopCounterMode`` (FLOPs / 2); every disagreement is printed. ``--compare-separable``
    adds, for each standard ``KxK`` convolution (``K > 1``, ``groups == 1``) of the model, the
    parameters and MACs of a depthwise-separable convolution with the same input, output and
    kernel shape, and the totals of both.
    """
    from dlbox.analysis.summary import summary

    fmt = SummaryFormat(format)
    network, shape = _load(model, input, num_classes)
    result = summary(network, shape)
    comparisons = _separable_rows(network, result) if compare_separable else []
    _print(result, comparisons, fmt)
    if out is not None:
        _write(Path(out), result, comparisons)


def parse_input_shape(text: str) -> tuple[int, int, int]:
    """``"3x32x32"`` -> ``(3, 32, 32)``; anything else is a ``typer.BadParameter`` naming ``--input``."""
    parts = text.lower().replace("×", "x").split("x")
    if len(parts) != 3 or not all(p.strip().isdigit() and int(p) > 0 for p in parts):
        raise typer.BadParameter(f"{text!r} is not CxHxW with positive integers, e.g. 3x32x32", param_hint="--input")
    c, h, w = (int(p) for p in parts)
    return c, h, w


def _load(model: str, input_text: str | None, num_classes: int) -> tuple[nn.Module, tuple[int, int, int]]:
    path = Path(model)
    if path.is_dir():
        return _load_run(path, input_text)
    from dlbox.models import create_model, list_models

    if model not in list_models():
        raise typer.BadParameter(
            f"{model!r} is neither a run directory nor a registered model ({', '.join(list_models())})",
            param_hint="MODEL",
        )
    c, h, w = parse_input_shape(input_text or DEFAULT_INPUT)
    image_size = h if h == w else (h, w)
    return create_model(model, in_channels=c, num_classes=num_classes, image_size=image_size), (c, h, w)


def _load_run(path: Path, input_text: str | None) -> tuple[nn.Module, tuple[int, int, int]]:
    from dlbox import load_model

    network = load_model(path)
    if input_text is not None:
        return network, parse_input_shape(input_text)
    return network, _run_input_shape(json.loads((path / "model.json").read_text()))


def _run_input_shape(config: dict) -> tuple[int, int, int]:
    """The input shape a run was trained on: ``input`` = {channels, size}, else the model kwargs."""
    saved = config.get("input") or {}
    kwargs = config.get("kwargs", {})
    channels = saved.get("channels", kwargs.get("in_channels"))
    size = saved.get("size", kwargs.get("image_size"))
    if channels is None or size is None:
        raise ValueError("the run's model.json records no input shape; pass --input CxHxW")
    h, w = (size, size) if isinstance(size, int) else size
    return int(channels), int(h), int(w)


def _separable_rows(network: nn.Module, result: Summary) -> Comparisons:
    """One :class:`SeparableComparison` per standard KxK convolution of the summarized model."""
    import torch.nn as nn

    from dlbox.analysis.summary import compare_separable

    modules = dict(network.named_modules())
    out = []
    for row in result.rows:
        conv = modules.get(row.name)
        if not isinstance(conv, nn.Conv2d) or conv.groups != 1:
            continue
        k_h, k_w = conv.kernel_size
        if k_h == k_w > 1:
            # MACs at the layer's output size (the kernel is applied O_h x O_w times, whatever the stride)
            out.append((row.name, compare_separable(conv.in_channels, conv.out_channels, k_h, row.output_shape[-1])))
    return out


def _print(result: Summary, comparisons: Comparisons, fmt: SummaryFormat) -> None:
    if fmt is SummaryFormat.json:
        data = result.to_dict()
        if comparisons:
            data["separable_comparison"] = _comparison_dicts(comparisons)
        typer.echo(json.dumps(data, indent=2))
    elif fmt is SummaryFormat.csv:
        typer.echo(result.to_csv(), nl=False)
        if comparisons:
            typer.echo(_comparison_csv(comparisons), nl=False)
    else:
        from rich.console import Console

        console = Console(width=max(Console().width, 160))
        console.print(result.to_table())
        if comparisons:
            console.print(_comparison_table(comparisons))


def _comparison_dicts(comparisons: Comparisons) -> list[dict]:
    return [{"layer": name, **c.to_dict()} for name, c in comparisons]


def _comparison_csv(comparisons: Comparisons) -> str:
    lines = ["layer,standard_params,separable_params,standard_macs,separable_macs,macs_ratio"]
    for name, c in comparisons:
        numbers = [c.standard_params, c.separable_params, c.standard_macs, c.separable_macs]
        lines.append(",".join([name, *map(str, numbers), f"{c.macs_ratio:.6f}"]))
    return "\n".join(lines) + "\n"


def _comparison_table(comparisons: Comparisons) -> Table:
    from rich.table import Table

    table = Table(title="Standard vs depthwise-separable convolutions (notes 3.4.1)")
    for column in ("Layer", "Shape", "Params std", "Params sep", "MACs std", "MACs sep", "MACs ratio"):
        table.add_column(column, justify="left" if column in ("Layer", "Shape") else "right")
    for name, c in comparisons:
        shape = f"{c.in_channels}->{c.out_channels} k{c.kernel} @{c.size}"
        table.add_row(name, shape, f"{c.standard_params:,}", f"{c.separable_params:,}",
                      f"{c.standard_macs:,}", f"{c.separable_macs:,}", f"{c.macs_ratio:.3f}")
    fields = ("standard_params", "separable_params", "standard_macs", "separable_macs")
    totals = [sum(getattr(c, f) for _, c in comparisons) for f in fields]
    table.add_section()
    table.add_row("Total", "", *(f"{t:,}" for t in totals), f"{totals[3] / totals[2]:.3f}")
    return table


def _write(directory: Path, result: Summary, comparisons: Comparisons) -> None:
    from rich.console import Console

    from dlbox.engine.rundir import new_run_dir, write_json

    run_dir = new_run_dir("summary", out=directory)
    (run_dir / "summary.csv").write_text(result.to_csv())
    with (run_dir / "summary.txt").open("w") as handle:
        Console(file=handle, width=160).print(result.to_table())
    if comparisons:
        write_json(run_dir / "separable.json", _comparison_dicts(comparisons))
    _plot(result, run_dir / "params_macs.png")
    write_json(run_dir / "summary.json", result.to_dict())
    typer.echo(f"run directory: {run_dir}")


def _plot(result: Summary, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in result.rows if r.params or r.macs]
    names = [r.name for r in rows]
    fig, axes = plt.subplots(1, 2, figsize=(12, max(3, 0.3 * len(rows))), sharey=True)
    axes[0].barh(names, [r.params for r in rows])
    axes[0].set_xlabel("parameters")
    axes[1].barh(names, [r.macs or 0 for r in rows], color="tab:orange")
    axes[1].set_xlabel("MACs per sample")
    axes[0].invert_yaxis()
    fig.suptitle(f"{result.model}: {result.total_params:,} params, {result.total_macs:,} MACs")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
