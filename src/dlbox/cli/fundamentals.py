"""``dlbox fundamentals perceptron|backprop|optimizers|approximation|vanishing`` (notes 1, 2).

Each command writes its tables (CSV/JSON) and plots (PNG) to a new run directory
(``--out DIR``, else ``runs/fundamentals/<command>[-NNN]``), writes ``metrics.json`` last and
prints the run directory.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import numpy as np
import typer

from dlbox.cli.common import echo_run_dir, user_errors

if TYPE_CHECKING:
    from types import ModuleType

    from dlbox.fundamentals import MLP, Perceptron

app = typer.Typer(help="First principles in NumPy: perceptron, backpropagation, optimizers, expressivity.",
                  no_args_is_help=True)

OutOption = Annotated[Optional[Path], typer.Option("--out", help="run directory (must not exist or be empty)")]


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
    from dlbox.fundamentals import Perceptron, gate_truth_table, xor_by_composition

    run_dir = _run_dir("perceptron", out)
    x, y = gate_truth_table(gate.value)
    unit = Perceptron(2)
    fit = unit.fit(x, y, epochs)
    predicted = unit.predict(x)
    table = [{"x1": int(a), "x2": int(b), "target": int(t), "perceptron": int(p)}
             for (a, b), t, p in zip(x, y, predicted)]
    if gate is Gate.xor:  # notes 1.2: a composition of perceptrons computes XOR
        for row, value in zip(table, xor_by_composition(x)):
            row["two_layer"] = int(value)
    _write_csv(run_dir / "truth_table.csv", table)
    _write_csv(run_dir / "errors.csv", [{"epoch": e + 1, "errors": n} for e, n in enumerate(fit.errors)])
    _plot_perceptron(x, y, unit, fit.errors, gate.value, run_dir / "perceptron.png")
    metrics = {"gate": gate.value, "converged": fit.converged, "epochs_run": fit.epochs_run,
               "accuracy": float((predicted == y).mean()), "weights": unit.weights.tolist(), "bias": unit.bias}
    if gate is Gate.xor:
        metrics["two_layer_accuracy"] = float((xor_by_composition(x) == y).mean())
    _print_table(f"perceptron on {gate.value.upper()}", table)
    typer.echo(f"accuracy {metrics['accuracy']:.2f}, converged: {fit.converged} after {fit.epochs_run} epochs")
    _finish(run_dir, metrics)


@app.command()
@user_errors
def backprop(
    epochs: Annotated[int, typer.Option("--epochs", min=1, help="full-batch epochs of the XOR network")] = 3000,
    lr: Annotated[float, typer.Option("--lr", min=0.0)] = 2.0,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    out: OutOption = None,
) -> None:
    """Check hand-written backpropagation against finite differences, then train a 2-4-1 network on XOR (notes 2.2)."""
    from dlbox.fundamentals import MLP, gate_truth_table, mlp_numerical_gradients, train

    run_dir = _run_dir("backprop", out)
    rng = np.random.default_rng(seed)
    checks = []
    for activation, output, loss in [("sigmoid", "sigmoid", "mse"), ("tanh", "softmax", "cross_entropy"),
                                     ("tanh", "sigmoid", "binary_cross_entropy")]:
        net = MLP((3, 5, 4, 3), activation, output, loss, seed=seed)
        x = rng.normal(size=(6, 3))
        y = rng.dirichlet(np.ones(3), size=6) if loss == "cross_entropy" else rng.uniform(size=(6, 3))
        for index, (ours, numeric) in enumerate(zip(net.flat_gradients(x, y), mlp_numerical_gradients(net, x, y))):
            name = f"{'W' if index < 3 else 'b'}{index % 3 + 1}"
            checks.append({"activation": activation, "output": output, "loss": loss, "parameter": name,
                           "max_abs_diff": float(np.abs(ours - numeric).max()),
                           "max_abs_grad": float(np.abs(numeric).max())})
    _write_csv(run_dir / "gradient_check.csv", checks)
    x, y = gate_truth_table("xor")
    net = MLP((2, 4, 1), "sigmoid", "sigmoid", "mse", seed=seed)
    history = train(net, x, y[:, None].astype(float), epochs=epochs, lr=lr)
    predicted = (net.forward(x)[:, 0] >= 0.5).astype(int)
    _write_csv(run_dir / "xor_loss.csv", [{"epoch": e, "loss": v} for e, v in enumerate(history)])
    _plot_curves({"XOR 2-4-1 sigmoid MLP": history}, "full-batch epoch", "MSE", run_dir / "xor_loss.png")
    metrics = {"max_abs_diff_vs_finite_differences": max(c["max_abs_diff"] for c in checks),
               "xor_final_loss": history[-1], "xor_accuracy": float((predicted == y).mean())}
    typer.echo(f"backprop vs finite differences: max |diff| = {metrics['max_abs_diff_vs_finite_differences']:.2e}")
    typer.echo(f"XOR network: loss {history[-1]:.4f}, accuracy {metrics['xor_accuracy']:.2f}, predictions {predicted.tolist()}")
    _finish(run_dir, metrics)


@app.command()
@user_errors
def optimizers(
    epochs: Annotated[int, typer.Option("--epochs", min=1)] = 60,
    lr: Annotated[float, typer.Option("--lr", min=0.0)] = 0.1,
    alpha: Annotated[float, typer.Option("--alpha", min=0.0, max=1.0, help="momentum coefficient")] = 0.9,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="mini-batch size")] = 16,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    out: OutOption = None,
) -> None:
    """Full-batch, mini-batch and online GD, momentum and Nesterov on one problem and one initialization (notes 2.1).

    Momentum variants use ``lr * (1 - alpha)``, so their steady-state step ``lr / (1 - alpha)`` equals plain GD's.
    """
    from dlbox.fundamentals import MLP, train

    run_dir = _run_dir("optimizers", out)
    x, y = _two_moons(200, seed)
    # steady-state momentum steps are lr / (1 - alpha) long: scale lr so all variants take equal steps
    momentum_lr = lr * (1.0 - alpha)
    variants = {
        "full-batch GD": dict(batch_size=None, method="gd", lr=lr),
        f"mini-batch GD ({batch_size})": dict(batch_size=batch_size, method="gd", lr=lr),
        "online GD": dict(batch_size=1, method="gd", lr=lr),
        f"momentum (mini-batch, alpha={alpha})": dict(batch_size=batch_size, method="momentum", lr=momentum_lr),
        f"Nesterov (mini-batch, alpha={alpha})": dict(batch_size=batch_size, method="nesterov", lr=momentum_lr),
    }
    curves = {}
    for name, kwargs in variants.items():
        net = MLP((2, 16, 1), "tanh", "sigmoid", "binary_cross_entropy", seed=seed)
        curves[name] = train(net, x, y, epochs=epochs, alpha=alpha, seed=seed, **kwargs)
    _write_csv(run_dir / "losses.csv", [{"epoch": e, **{k: v[e] for k, v in curves.items()}} for e in range(epochs + 1)])
    _plot_curves(curves, "epoch", "binary cross-entropy (full data)", run_dir / "losses.png", log=True)
    metrics = {"final_loss": {k: v[-1] for k, v in curves.items()},
               "lr": lr, "momentum_lr": momentum_lr, "alpha": alpha, "batch_size": batch_size}
    _print_table("final loss per variant", [{"variant": k, "loss": f"{v[-1]:.4f}"} for k, v in curves.items()])
    _finish(run_dir, metrics)


@app.command()
@user_errors
def approximation(
    widths: Annotated[str, typer.Option("--widths", help="comma-separated hidden widths")] = "2,4,8,16,32,64",
    out: OutOption = None,
) -> None:
    """One hidden layer approximates a continuous f: R -> [0, 1]; the max error falls with the width (notes 1.2)."""
    from dlbox.fundamentals import approximation_study, bump, staircase_network

    sizes = _parse_widths(widths)
    run_dir = _run_dir("approximation", out)
    results = approximation_study(sizes)
    rows = [vars(r) for r in results]
    _write_csv(run_dir / "approximation.csv", rows)
    _plot_approximation(sizes, bump, staircase_network, run_dir / "approximation.png")
    _plot_curves({"constructed": [r.constructed_max_error for r in results],
                  "after gradient descent": [r.trained_max_error for r in results]},
                 "hidden width", "max |net(x) - f(x)|", run_dir / "error_vs_width.png", log=True, x=sizes, log_x=True)
    _print_table("max error per width", [{k: (f"{v:.4g}" if isinstance(v, float) else v) for k, v in row.items()}
                                         for row in rows])
    _finish(run_dir, {"widths": sizes, "max_error": [r.trained_max_error for r in results],
                      "constructed_max_error": [r.constructed_max_error for r in results]})


@app.command()
@user_errors
def vanishing(
    depth: Annotated[int, typer.Option("--depth", min=1, help="hidden layers")] = 10,
    width: Annotated[int, typer.Option("--width", min=1)] = 32,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    out: OutOption = None,
) -> None:
    """Per-layer gradient norms of a deep sigmoid network versus ReLU (notes 2.2, vanishing gradient)."""
    from dlbox.fundamentals import vanishing_study

    run_dir = _run_dir("vanishing", out)
    norms = vanishing_study(("sigmoid", "relu"), depth=depth, width=width, seed=seed)
    rows = [{"layer": i + 1, **{k: float(v[i]) for k, v in norms.items()}} for i in range(depth + 1)]
    _write_csv(run_dir / "gradient_norms.csv", rows)
    _plot_curves({k: list(v) for k, v in norms.items()}, "layer (1 = first)", "||dL/dW_l||",
                 run_dir / "vanishing.png", log=True, x=list(range(1, depth + 2)))
    metrics = {f"{k}_first_over_last": float(v[0] / v[-1]) for k, v in norms.items()}
    metrics["sigmoid_over_relu_first_layer"] = float(norms["sigmoid"][0] / norms["relu"][0])
    _print_table("gradient norm per layer", [{k: (f"{v:.2e}" if isinstance(v, float) else v) for k, v in r.items()}
                                             for r in rows])
    _finish(run_dir, metrics)


# ---------------------------------------------------------------- helpers


def _run_dir(command: str, out: Path | None) -> Path:
    from dlbox.engine.rundir import new_run_dir

    return new_run_dir("fundamentals", name=command, out=out)


def _finish(run_dir: Path, metrics: dict) -> None:
    from dlbox.engine.rundir import write_json

    write_json(run_dir / "metrics.json", metrics)  # written last: the run is complete
    echo_run_dir(run_dir)


def _parse_widths(text: str) -> list[int]:
    try:
        widths = [int(w) for w in text.split(",") if w.strip()]
    except ValueError:
        widths = []
    if not widths or min(widths) < 1:
        raise typer.BadParameter(f"{text!r} is not a comma-separated list of positive integers, e.g. 4,8,16",
                                 param_hint="--widths")
    return widths


def _two_moons(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved half circles with a little noise: ``x`` ``(n, 2)``, labels ``(n, 1)``."""
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, np.pi, n)
    label = rng.integers(0, 2, n)
    x = np.stack([np.cos(angle) + label * 1.0, np.sin(angle) * (1 - 2 * label) + label * 0.5], axis=1)
    return x + rng.normal(0, 0.1, x.shape), label[:, None].astype(float)


def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _print_table(title: str, rows: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in rows[0]:
        table.add_column(str(column))
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    Console().print(table)


def _pyplot() -> ModuleType:
    """``matplotlib.pyplot`` on the headless Agg backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _plot_curves(curves: dict[str, list[float]], xlabel: str, ylabel: str, path: Path,
                 log: bool = False, x: list[int] | None = None, log_x: bool = False) -> None:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, values in curves.items():
        ax.plot(x if x is not None else range(len(values)), values, marker="o" if x is not None else None, label=name)
    if log:
        ax.set_yscale("log")
    if log_x:
        ax.set_xscale("log", base=2)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_perceptron(
    x: np.ndarray, y: np.ndarray, unit: Perceptron, errors: list[int], gate: str, path: Path
) -> None:
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.scatter(x[:, 0], x[:, 1], c=y, cmap="coolwarm", s=200, edgecolors="k")
    grid = np.linspace(-0.5, 1.5, 200)
    xx, yy = np.meshgrid(grid, grid)
    decision = unit.predict(np.stack([xx.ravel(), yy.ravel()], axis=1)).reshape(xx.shape)
    left.contourf(xx, yy, decision, alpha=0.2, cmap="coolwarm")
    left.set(title=f"{gate.upper()}: learned half-plane w.x + b >= 0", xlabel="x1", ylabel="x2")
    right.plot(range(1, len(errors) + 1), errors, marker=".")
    right.set(title="perceptron rule", xlabel="epoch", ylabel="misclassified samples")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _plot_approximation(
    widths: list[int],
    f: Callable[[np.ndarray], np.ndarray],
    build: Callable[[Callable, int, float, float], MLP],
    path: Path,
) -> None:
    plt = _pyplot()
    grid = np.linspace(-3.0, 3.0, 1001)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(grid, f(grid), "k", lw=3, label="f(x)")
    for width in widths:
        ax.plot(grid, build(f, width, -3.0, 3.0).forward(grid[:, None])[:, 0], lw=1, label=f"width {width}")
    ax.set(xlabel="x", ylabel="value", title="one hidden sigmoid layer (constructed)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
