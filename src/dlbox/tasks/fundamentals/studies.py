"""The ``dlbox fundamentals`` studies as functions: compute (NumPy), then write a run directory.

Each ``run_*_study`` creates a new, recorded run directory (``out``, else ``runs/fundamentals/<study>[-NNN]``),
writes its tables (CSV) and plots (PNG), writes ``metrics.json`` last, and returns a
:class:`StudyRun`: the directory, the metrics and what the command line prints.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from dlbox.engine.run_record import recorded_run
from dlbox.engine.rundir import write_json
from dlbox.fundamentals import (
    GATES,
    approximation_study,
    bump,
    check_backprop,
    compare_optimizers,
    equal_step_lr,
    learn_gate,
    learn_xor,
    staircase_network,
    two_moons,
    vanishing_study,
)
from dlbox.tasks.fundamentals.plots import plot_approximation, plot_curves, plot_perceptron

PathLike = str | Path


@dataclass(frozen=True)
class StudyRun:
    """A finished study: its run directory, ``metrics.json``'s content, and a printable report.

    ``table`` (titled ``title``, empty when the study prints none) and ``lines`` are the text the
    ``dlbox fundamentals`` command prints, values already formatted.
    """

    run_dir: Path
    metrics: dict[str, Any]
    title: str = ""
    table: list[dict[str, Any]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def run_perceptron_study(gate: str = "nand", epochs: int = 100, out: PathLike | None = None) -> StudyRun:
    """One perceptron on a logic gate (notes 1.1); for XOR also the hand-wired two-layer network (notes 1.2).

    Writes ``truth_table.csv``, ``errors.csv`` (misclassified samples per epoch), ``perceptron.png``.
    """
    if gate not in GATES:
        raise ValueError(f"unknown gate {gate!r}; valid: {', '.join(GATES)}")
    _require_positive(epochs=epochs)
    with _run_dir("perceptron", out) as run_dir:
        result = learn_gate(gate, epochs)
        table = [{"x1": int(a), "x2": int(b), "target": int(t), "perceptron": int(p)}
                 for (a, b), t, p in zip(result.x, result.y, result.predicted)]
        if result.two_layer is not None:
            for row, value in zip(table, result.two_layer):
                row["two_layer"] = int(value)
        _write_csv(run_dir / "truth_table.csv", table)
        _write_csv(run_dir / "errors.csv", [{"epoch": e + 1, "errors": n} for e, n in enumerate(result.fit.errors)])
        plot_perceptron(result.x, result.y, result.perceptron, result.fit.errors, gate, run_dir / "perceptron.png")
        metrics = {"gate": gate, "converged": result.fit.converged, "epochs_run": result.fit.epochs_run,
                   "accuracy": result.accuracy, "weights": result.perceptron.weights.tolist(),
                   "bias": result.perceptron.bias}
        if result.two_layer is not None:
            metrics["two_layer_accuracy"] = float((result.two_layer == result.y).mean())
        line = f"accuracy {result.accuracy:.2f}, converged: {result.fit.converged} after {result.fit.epochs_run} epochs"
        return _finish(run_dir, metrics, f"perceptron on {gate.upper()}", table, [line])


def run_backprop_study(epochs: int = 3000, lr: float = 2.0, seed: int = 0, out: PathLike | None = None) -> StudyRun:
    """Backpropagation vs finite differences (notes 2.2), then a 2-4-1 sigmoid network trained on XOR.

    Writes ``gradient_check.csv``, ``xor_loss.csv`` and ``xor_loss.png``.
    """
    _require_positive(epochs=epochs)
    _require_non_negative(lr=lr)
    with _run_dir("backprop", out) as run_dir:
        checks = check_backprop(seed=seed)
        _write_csv(run_dir / "gradient_check.csv", [asdict(c) for c in checks])
        xor = learn_xor(epochs, lr, seed)
        _write_csv(run_dir / "xor_loss.csv", [{"epoch": e, "loss": v} for e, v in enumerate(xor.history)])
        plot_curves({"XOR 2-4-1 sigmoid MLP": xor.history}, "full-batch epoch", "MSE", run_dir / "xor_loss.png")
        metrics = {"max_abs_diff_vs_finite_differences": max(c.max_abs_diff for c in checks),
                   "xor_final_loss": xor.history[-1], "xor_accuracy": xor.accuracy}
        lines = [
            f"backprop vs finite differences: max |diff| = {metrics['max_abs_diff_vs_finite_differences']:.2e}",
            f"XOR network: loss {xor.history[-1]:.4f}, accuracy {xor.accuracy:.2f}, predictions {xor.predicted.tolist()}",
        ]
        return _finish(run_dir, metrics, lines=lines)


def run_optimizers_study(
    epochs: int = 60,
    lr: float = 0.1,
    alpha: float = 0.9,
    batch_size: int = 16,
    seed: int = 0,
    out: PathLike | None = None,
) -> StudyRun:
    """Full-batch, mini-batch and online GD, momentum and Nesterov on two moons, one initialization (notes 2.1).

    Momentum variants use ``lr * (1 - alpha)`` (see :mod:`dlbox.fundamentals.optimizer_comparison`);
    the lr each variant used is in the plot's legend and in ``metrics.json["effective_lr"]``.
    Writes ``losses.csv`` (one column per variant) and ``losses.png``.
    """
    _require_positive(epochs=epochs, batch_size=batch_size)
    _require_non_negative(lr=lr)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    with _run_dir("optimizers", out) as run_dir:
        x, y = two_moons(200, seed=seed)
        result = compare_optimizers(x, y, epochs=epochs, lr=lr, alpha=alpha, batch_size=batch_size, seed=seed)
        curves, used = result.curves, result.effective_lr
        momentum_lr = equal_step_lr(lr, alpha)
        _write_csv(run_dir / "losses.csv", [{"epoch": e, **{k: v[e] for k, v in curves.items()}} for e in range(epochs + 1)])
        labelled = {f"{name}, lr={used[name]:g}": values for name, values in curves.items()}
        title = (f"momentum and Nesterov use lr (1 - alpha) = {lr:g} x {1 - alpha:g} = {momentum_lr:g},\n"
                 f"so their steady-state step (that lr / (1 - alpha)) equals plain GD's step at lr = {lr:g}")
        plot_curves(labelled, "epoch", "binary cross-entropy (full data)", run_dir / "losses.png", log=True, title=title)
        metrics = {"final_loss": {k: v[-1] for k, v in curves.items()},
                   "lr": lr, "momentum_lr": momentum_lr, "alpha": alpha, "batch_size": batch_size, "effective_lr": used}
        table = [{"variant": k, "lr": f"{used[k]:g}", "loss": f"{v[-1]:.4f}"} for k, v in curves.items()]
        return _finish(run_dir, metrics, "final loss per variant", table)


def run_approximation_study(widths: Sequence[int] = (2, 4, 8, 16, 32, 64), out: PathLike | None = None) -> StudyRun:
    """One hidden layer approximates a continuous f: R -> [0, 1]; the max error falls with the width (notes 1.2).

    Writes ``approximation.csv``, ``approximation.png`` (f and the constructed networks) and
    ``error_vs_width.png``.
    """
    sizes = [int(w) for w in widths]
    if not sizes or min(sizes) < 1:
        raise ValueError(f"widths must be a non-empty list of positive integers, got {list(widths)}")
    with _run_dir("approximation", out) as run_dir:
        results = approximation_study(sizes)
        rows = [asdict(r) for r in results]
        _write_csv(run_dir / "approximation.csv", rows)
        plot_approximation(sizes, bump, staircase_network, run_dir / "approximation.png")
        plot_curves({"constructed": [r.constructed_max_error for r in results],
                     "after gradient descent": [r.trained_max_error for r in results]},
                    "hidden width", "max |net(x) - f(x)|", run_dir / "error_vs_width.png", log=True, x=sizes, log_x=True)
        metrics = {"widths": sizes, "max_error": [r.trained_max_error for r in results],
                   "constructed_max_error": [r.constructed_max_error for r in results]}
        table = [{k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in row.items()} for row in rows]
        return _finish(run_dir, metrics, "max error per width", table)


def run_vanishing_study(depth: int = 10, width: int = 32, seed: int = 0, out: PathLike | None = None) -> StudyRun:
    """Per-layer gradient norms of a deep sigmoid network versus ReLU at initialization (notes 2.2).

    Writes ``gradient_norms.csv`` (one row per layer, first layer first) and ``vanishing.png``.
    """
    _require_positive(depth=depth, width=width)
    with _run_dir("vanishing", out) as run_dir:
        norms = vanishing_study(("sigmoid", "relu"), depth=depth, width=width, seed=seed)
        rows = [{"layer": i + 1, **{k: float(v[i]) for k, v in norms.items()}} for i in range(depth + 1)]
        _write_csv(run_dir / "gradient_norms.csv", rows)
        plot_curves({k: list(v) for k, v in norms.items()}, "layer (1 = first)", "||dL/dW_l||",
                    run_dir / "vanishing.png", log=True, x=list(range(1, depth + 2)))
        metrics = {f"{k}_first_over_last": float(v[0] / v[-1]) for k, v in norms.items()}
        metrics["sigmoid_over_relu_first_layer"] = float(norms["sigmoid"][0] / norms["relu"][0])
        table = [{k: (f"{v:.2e}" if isinstance(v, float) else v) for k, v in r.items()} for r in rows]
        return _finish(run_dir, metrics, "gradient norm per layer", table)


# ---------------------------------------------------------------- helpers


def _run_dir(study: str, out: PathLike | None) -> AbstractContextManager[Path]:
    return recorded_run("fundamentals", name=study, out=out)


def _finish(
    run_dir: Path, metrics: dict[str, Any], title: str = "", table: list[dict] | None = None,
    lines: list[str] | None = None,
) -> StudyRun:
    write_json(run_dir / "metrics.json", metrics)  # written last: the run is complete
    return StudyRun(run_dir, metrics, title, table or [], lines or [])


def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _require_positive(**values: int) -> None:
    for name, value in values.items():
        if value < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")


def _require_non_negative(**values: float) -> None:
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value}")
