"""`dlbox fundamentals ...`: each command writes its tables, plots and metrics.json to the run directory."""

import csv
import json

import pytest
from typer.testing import CliRunner

from dlbox.cli.fundamentals import app

runner = CliRunner()


def invoke(*args: str):
    result = runner.invoke(app, list(args))
    return result


def read_metrics(path):
    return json.loads((path / "metrics.json").read_text())


def test_perceptron_nand_converges(tmp_path):
    out = tmp_path / "nand"
    result = invoke("perceptron", "--gate", "nand", "--out", str(out))
    assert result.exit_code == 0, result.output
    metrics = read_metrics(out)
    assert metrics["converged"] is True and metrics["accuracy"] == 1.0
    assert {"truth_table.csv", "errors.csv", "perceptron.png"} <= {p.name for p in out.iterdir()}
    assert str(out) in result.output and "converged: True" in result.output


def test_perceptron_xor_never_converges_but_two_layers_do(tmp_path):
    out = tmp_path / "xor"
    result = invoke("perceptron", "--gate", "xor", "--epochs", "50", "--out", str(out))
    assert result.exit_code == 0, result.output
    metrics = read_metrics(out)
    assert metrics["converged"] is False and metrics["epochs_run"] == 50 and metrics["accuracy"] < 1.0
    assert metrics["two_layer_accuracy"] == 1.0
    rows = list(csv.DictReader((out / "truth_table.csv").open()))
    assert [r["two_layer"] for r in rows] == [r["target"] for r in rows]


def test_invalid_gate_names_the_option_and_choices(tmp_path):
    result = invoke("perceptron", "--gate", "nor", "--out", str(tmp_path / "x"))
    assert result.exit_code == 2
    assert "--gate" in result.output and "nand" in result.output and "xor" in result.output


def test_out_directory_is_never_overwritten(tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    result = invoke("perceptron", "--out", str(out))
    assert result.exit_code != 0
    assert "not empty" in result.output
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


def test_backprop_matches_finite_differences_and_learns_xor(tmp_path):
    out = tmp_path / "bp"
    result = invoke("backprop", "--epochs", "2000", "--out", str(out))
    assert result.exit_code == 0, result.output
    metrics = read_metrics(out)
    assert metrics["max_abs_diff_vs_finite_differences"] < 1e-7
    assert metrics["xor_accuracy"] == 1.0
    assert (out / "xor_loss.png").stat().st_size > 0 and (out / "gradient_check.csv").exists()


def test_optimizers_writes_one_curve_per_variant(tmp_path):
    out = tmp_path / "opt"
    result = invoke("optimizers", "--epochs", "5", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "losses.csv").open()))
    assert len(rows) == 6 and len(rows[0]) == 6  # epoch + 5 variants
    final = read_metrics(out)["final_loss"]
    assert all(final[name] < float(rows[0][name]) for name in final)
    assert (out / "losses.png").exists()


def test_optimizers_prints_and_records_the_lr_of_each_variant(tmp_path):
    """issue 12: momentum variants use lr (1 - alpha); the run must say so."""
    out = tmp_path / "opt"
    result = invoke("optimizers", "--epochs", "2", "--lr", "0.3", "--alpha", "0.5", "--out", str(out))
    assert result.exit_code == 0, result.output
    metrics = read_metrics(out)
    assert metrics["effective_lr"]["online GD"] == 0.3
    assert metrics["effective_lr"]["momentum (mini-batch, alpha=0.5)"] == metrics["momentum_lr"] == 0.3 * 0.5
    momentum_line = next(line for line in result.output.splitlines() if "momentum (mini-batch" in line)
    assert "0.15" in momentum_line


def test_approximation_error_falls_with_width(tmp_path):
    out = tmp_path / "approx"
    result = invoke("approximation", "--widths", "4,16,64", "--out", str(out))
    assert result.exit_code == 0, result.output
    errors = read_metrics(out)["max_error"]
    assert errors[0] > errors[1] > errors[2]
    assert {"approximation.png", "error_vs_width.png", "approximation.csv"} <= {p.name for p in out.iterdir()}


def test_approximation_rejects_bad_widths(tmp_path):
    result = invoke("approximation", "--widths", "4,x", "--out", str(tmp_path / "a"))
    assert result.exit_code == 2 and "--widths" in result.output


def test_vanishing_reports_orders_of_magnitude(tmp_path):
    out = tmp_path / "van"
    result = invoke("vanishing", "--depth", "8", "--width", "16", "--out", str(out))
    assert result.exit_code == 0, result.output
    metrics = read_metrics(out)
    assert metrics["sigmoid_over_relu_first_layer"] < 1e-4
    assert metrics["sigmoid_first_over_last"] < 1e-3 < metrics["relu_first_over_last"]
    assert len(list(csv.DictReader((out / "gradient_norms.csv").open()))) == 9


@pytest.mark.parametrize("command", ["perceptron", "backprop", "optimizers", "approximation", "vanishing"])
def test_every_command_has_help(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0 and "--out" in result.output
