"""``dlbox summary`` as a function: load a model by registry name or run directory, summarize it,
optionally compare its convolutions with depthwise-separable ones, and write a run directory.

>>> report = summary_report("cnn", (1, 8, 8), compare_separable=True)  # doctest: +SKIP
>>> print(report)  # the per-layer table, then the comparison table    # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.table import Table

from dlbox.analysis.separable import SeparableComparison, separable_comparisons
from dlbox.analysis.summary import Summary, render_text, summary

if TYPE_CHECKING:
    import torch.nn as nn

DEFAULT_INPUT_SIZE = (1, 8, 8)  # the shape of dlbox's default data set (digits); every builder's default
InputSize = tuple[int, int, int]


class UnknownModelError(ValueError):
    """A model source that is neither a run directory nor a registered model name."""


@dataclass(frozen=True)
class SummaryReport:
    """A :class:`Summary`, the separable comparisons asked for (``(layer, comparison)``), and the run directory written."""

    summary: Summary
    comparisons: list[tuple[str, SeparableComparison]] = field(default_factory=list)
    run_dir: Path | None = None

    def to_dict(self) -> dict:
        """The summary's plain data, plus ``separable_comparison`` when there are comparisons."""
        data = self.summary.to_dict()
        if self.comparisons:
            data["separable_comparison"] = self.comparison_dicts()
        return data

    def comparison_dicts(self) -> list[dict]:
        """One dict per compared layer: ``layer`` and :meth:`SeparableComparison.to_dict`."""
        return [{"layer": name, **c.to_dict()} for name, c in self.comparisons]

    def to_csv(self) -> str:
        """The summary's CSV, then (if any) a CSV block of the comparisons."""
        return self.summary.to_csv() + (self.comparison_csv() if self.comparisons else "")

    def comparison_csv(self) -> str:
        """``layer,standard_params,separable_params,standard_macs,separable_macs,macs_ratio`` lines."""
        lines = ["layer,standard_params,separable_params,standard_macs,separable_macs,macs_ratio"]
        for name, c in self.comparisons:
            numbers = [c.standard_params, c.separable_params, c.standard_macs, c.separable_macs]
            lines.append(",".join([name, *map(str, numbers), f"{c.macs_ratio:.6f}"]))
        return "\n".join(lines) + "\n"

    def tables(self) -> list[Table]:
        """The summary's rich table, then the comparison table (if any)."""
        return [self.summary.to_table(), *([self.comparison_table()] if self.comparisons else [])]

    def comparison_table(self) -> Table:
        """One line per compared layer, and the totals of both designs."""
        table = Table(title="Standard vs depthwise-separable convolutions (notes 3.4.1)")
        for column in ("Layer", "Shape", "Params std", "Params sep", "MACs std", "MACs sep", "MACs ratio"):
            table.add_column(column, justify="left" if column in ("Layer", "Shape") else "right")
        for name, c in self.comparisons:
            shape = f"{c.in_channels}->{c.out_channels} k{c.kernel} @{c.size}" + ("" if c.bias else " no bias")
            table.add_row(name, shape, f"{c.standard_params:,}", f"{c.separable_params:,}",
                          f"{c.standard_macs:,}", f"{c.separable_macs:,}", f"{c.macs_ratio:.3f}")
        fields = ("standard_params", "separable_params", "standard_macs", "separable_macs")
        totals = [sum(getattr(c, f) for _, c in self.comparisons) for f in fields]
        table.add_section()
        table.add_row("Total", "", *(f"{t:,}" for t in totals), f"{totals[3] / totals[2]:.3f}")
        return table

    def to_text(self, width: int = 160) -> str:
        """Every table as plain text."""
        return "".join(render_text(table, width) for table in self.tables())

    def __str__(self) -> str:
        return self.to_text()


def summary_report(
    model: str | Path,
    input_size: InputSize | None = None,
    num_classes: int = 10,
    compare_separable: bool = False,
    out: str | Path | None = None,
) -> SummaryReport:
    """Summarize a registered model (by name) or the model of a run directory, as ``dlbox summary`` does.

    ``input_size`` is ``(C, H, W)``; by default a run's recorded input, else ``(1, 8, 8)``.
    ``num_classes`` applies to registered models. ``compare_separable`` adds
    :func:`separable_comparisons`. With ``out``, a new run directory gets ``summary.{txt,csv,json}``,
    ``params_macs.png`` and (with comparisons) ``separable.json``.
    """
    network, shape = load_summary_model(model, input_size, num_classes)
    result = summary(network, shape)
    comparisons = separable_comparisons(network, result) if compare_separable else []
    report = SummaryReport(result, comparisons)
    if out is None:
        return report
    return SummaryReport(result, comparisons, write_summary_run(report, out))


def load_summary_model(
    model: str | Path, input_size: InputSize | None = None, num_classes: int = 10
) -> tuple[nn.Module, InputSize]:
    """The model and the ``(C, H, W)`` input to summarize it on, from a run directory or a registry name."""
    path = Path(model)
    if path.is_dir():
        from dlbox.model_io import load_model, read_model_json

        network = load_model(path)
        return network, _checked(input_size) if input_size is not None else run_input_size(read_model_json(path))
    from dlbox.models import create_model, list_models

    if str(model) not in list_models():
        raise UnknownModelError(
            f"{str(model)!r} is neither a run directory nor a registered model ({', '.join(list_models())})"
        )
    c, h, w = _checked(input_size if input_size is not None else DEFAULT_INPUT_SIZE)
    image_size = h if h == w else (h, w)
    return create_model(str(model), in_channels=c, num_classes=num_classes, image_size=image_size), (c, h, w)


def run_input_size(config: dict) -> InputSize:
    """The input shape a run was trained on, from its ``model.json``: ``input`` = {channels, size}, else the model kwargs."""
    saved = config.get("input") or {}
    kwargs = config.get("kwargs", {})
    channels = saved.get("channels", kwargs.get("in_channels"))
    size = saved.get("size", kwargs.get("image_size"))
    if channels is None or size is None:
        raise ValueError("the run's model.json records no input shape; pass input_size (C, H, W) / --input CxHxW")
    h, w = (size, size) if isinstance(size, int) else size
    return int(channels), int(h), int(w)


def write_summary_run(report: SummaryReport, out: str | Path) -> Path:
    """Write ``report`` to the new run directory ``out``: ``summary.{txt,csv,json}``, the plot, and the totals
    (with comparisons: the separable designs' share of the MACs) in ``metrics.json`` last."""
    from dlbox.engine.run_record import recorded_run
    from dlbox.engine.rundir import write_json

    with recorded_run("summary", out=out) as run_dir:
        (run_dir / "summary.csv").write_text(report.summary.to_csv())
        (run_dir / "summary.txt").write_text(report.summary.to_text(160))
        if report.comparisons:
            write_json(run_dir / "separable.json", report.comparison_dicts())
        plot_params_macs(report.summary, run_dir / "params_macs.png")
        write_json(run_dir / "summary.json", report.summary.to_dict())
        s = report.summary
        totals = {"model": s.model, "input_size": list(s.input_size), "total_params": s.total_params,
                  "trainable_params": s.trainable_params, "total_macs": s.total_macs, "total_flops": s.total_flops}
        if report.comparisons:
            standard, separable = (sum(getattr(c, f) for _, c in report.comparisons) for f in ("standard_macs", "separable_macs"))
            totals["separable_macs_ratio"] = separable / standard
        write_json(run_dir / "metrics.json", totals)  # last: the run is complete
        return run_dir


def plot_params_macs(result: Summary, path: str | Path) -> None:
    """Horizontal bars: parameters and MACs of every layer that has any."""
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


def _checked(size: tuple[int, ...]) -> InputSize:
    if len(size) != 3 or not all(isinstance(s, int) and s > 0 for s in size):
        raise ValueError(f"input_size must be (C, H, W) with positive integers, e.g. (3, 32, 32); got {tuple(size)}")
    c, h, w = size
    return c, h, w
