"""dlbox.tasks.fundamentals: each study as a Python call writes the same run directory as its command."""

import csv
import json

import pytest

from dlbox.fundamentals import equal_step_lr
from dlbox.tasks.fundamentals import (
    run_approximation_study,
    run_backprop_study,
    run_optimizers_study,
    run_perceptron_study,
    run_vanishing_study,
)
from dlbox.tasks.fundamentals import studies


def _metrics(run):
    return json.loads((run.run_dir / "metrics.json").read_text())


def test_perceptron_study_returns_what_it_wrote(tmp_path):
    run = run_perceptron_study("xor", epochs=10, out=tmp_path / "p")
    assert run.run_dir == tmp_path / "p" and _metrics(run) == run.metrics
    rows = list(csv.DictReader((run.run_dir / "truth_table.csv").open()))
    assert [int(r["two_layer"]) for r in rows] == [r["target"] for r in run.table] == [0, 1, 1, 0]
    assert run.metrics["epochs_run"] == 10 and not run.metrics["converged"]
    assert run.title == "perceptron on XOR" and "converged: False after 10 epochs" in run.lines[0]
    assert (run.run_dir / "perceptron.png").stat().st_size > 0


def test_optimizers_study_shows_and_records_the_effective_lr(tmp_path, monkeypatch):
    """issue 12: momentum variants train at lr (1 - alpha); the plot and metrics.json must say so."""
    plotted = {}

    def capture(curves, xlabel, ylabel, path, **kwargs):
        plotted.update(labels=list(curves), title=kwargs.get("title", ""))
        path.write_bytes(b"png")

    monkeypatch.setattr(studies, "plot_curves", capture)
    run = run_optimizers_study(epochs=2, lr=0.2, alpha=0.75, batch_size=20, out=tmp_path / "o")
    effective = _metrics(run)["effective_lr"]
    momentum_lr = equal_step_lr(0.2, 0.75)
    assert effective == {"full-batch GD": 0.2, "mini-batch GD (20)": 0.2, "online GD": 0.2,
                         "momentum (mini-batch, alpha=0.75)": momentum_lr,
                         "Nesterov (mini-batch, alpha=0.75)": momentum_lr}
    assert plotted["labels"] == [f"{name}, lr={lr:g}" for name, lr in effective.items()]
    assert "lr (1 - alpha)" in plotted["title"] and f"{momentum_lr:g}" in plotted["title"]
    assert [row["lr"] for row in run.table] == [f"{lr:g}" for lr in effective.values()]
    header = next(csv.reader((run.run_dir / "losses.csv").open()))
    assert header == ["epoch", *effective]


def test_backprop_approximation_and_vanishing_studies(tmp_path):
    backprop = run_backprop_study(epochs=50, out=tmp_path / "b")
    assert backprop.metrics["max_abs_diff_vs_finite_differences"] < 1e-7 and len(backprop.lines) == 2
    assert len(list(csv.DictReader((backprop.run_dir / "gradient_check.csv").open()))) == 18
    approx = run_approximation_study([4, 16], out=tmp_path / "a")
    assert approx.metrics["widths"] == [4, 16] and approx.metrics["max_error"][0] > approx.metrics["max_error"][1]
    vanishing = run_vanishing_study(depth=3, width=8, out=tmp_path / "v")
    assert len(vanishing.table) == 4 and vanishing.metrics["sigmoid_over_relu_first_layer"] < 1
    for run in (backprop, approx, vanishing):
        assert _metrics(run) == run.metrics


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda out: run_perceptron_study("nor", out=out), "nand"),
        (lambda out: run_optimizers_study(alpha=1.5, out=out), "alpha"),
        (lambda out: run_approximation_study([4, 0], out=out), "widths"),
        (lambda out: run_vanishing_study(depth=0, out=out), "depth"),
        (lambda out: run_backprop_study(lr=-1.0, out=out), "lr"),
    ],
)
def test_bad_arguments_are_named_before_any_directory_is_made(tmp_path, call, message):
    with pytest.raises(ValueError, match=message):
        call(tmp_path / "never")
    assert not (tmp_path / "never").exists()
