"""PNG plots of the fundamentals studies (matplotlib on the headless Agg backend)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from types import ModuleType

    from dlbox.fundamentals import MLP, Perceptron


def _pyplot() -> ModuleType:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curves(
    curves: dict[str, Sequence[float]],
    xlabel: str,
    ylabel: str,
    path: Path,
    log: bool = False,
    x: Sequence[int] | None = None,
    log_x: bool = False,
    title: str | None = None,
) -> None:
    """One line per curve (legend = the dict keys); ``x`` defaults to ``0, 1, ...``."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, values in curves.items():
        ax.plot(x if x is not None else range(len(values)), values, marker="o" if x is not None else None, label=name)
    if log:
        ax.set_yscale("log")
    if log_x:
        ax.set_xscale("log", base=2)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_perceptron(
    x: np.ndarray, y: np.ndarray, unit: Perceptron, errors: Sequence[int], gate: str, path: Path
) -> None:
    """Left: the gate's truth table over the learned half-plane; right: errors per epoch of the perceptron rule."""
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    left.scatter(x[:, 0], x[:, 1], c=y, cmap="coolwarm", s=200, edgecolors="k")
    grid = np.linspace(-0.5, 1.5, 200)
    xx, yy = np.meshgrid(grid, grid)  # (200, 200) each
    decision = unit.predict(np.stack([xx.ravel(), yy.ravel()], axis=1)).reshape(xx.shape)
    left.contourf(xx, yy, decision, alpha=0.2, cmap="coolwarm")
    left.set(title=f"{gate.upper()}: learned half-plane w.x + b >= 0", xlabel="x1", ylabel="x2")
    right.plot(range(1, len(errors) + 1), errors, marker=".")
    right.set(title="perceptron rule", xlabel="epoch", ylabel="misclassified samples")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_approximation(
    widths: Sequence[int],
    f: Callable[[np.ndarray], np.ndarray],
    build: Callable[[Callable, int, float, float], MLP],
    path: Path,
    lo: float = -3.0,
    hi: float = 3.0,
) -> None:
    """``f`` and the network ``build(f, width, lo, hi)`` of every width on ``[lo, hi]``."""
    plt = _pyplot()
    grid = np.linspace(lo, hi, 1001)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.plot(grid, f(grid), "k", lw=3, label="f(x)")
    for width in widths:
        ax.plot(grid, build(f, width, lo, hi).forward(grid[:, None])[:, 0], lw=1, label=f"width {width}")
    ax.set(xlabel="x", ylabel="value", title="one hidden sigmoid layer (constructed)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
