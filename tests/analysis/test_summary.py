"""dlbox.analysis.summary: rows, totals and cross-checks against sum(numel) and FlopCounterMode."""

import csv
import io
import json

import pytest
import torch
import torch.nn as nn

from dlbox.analysis import compare_separable, summary
from dlbox.formulas import conv2d_macs, conv2d_params, receptive_field, separable_conv2d_macs, separable_conv2d_params


def small_cnn() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, stride=2, dilation=2, groups=2),
        nn.Conv2d(16, 16, 3, groups=16),  # depthwise
        nn.ConvTranspose2d(16, 4, 2, stride=2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(0.1),
        nn.Linear(4, 10),
    )


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(1, 4, 3, padding=1)
        self.branch = nn.Sequential(nn.Conv2d(4, 4, 5, padding=2), nn.Conv2d(4, 4, 5, padding=2))
        self.shortcut = nn.Conv2d(4, 4, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        return self.branch(x) + self.shortcut(x)


class Untracked(nn.Module):
    """A parameter on a non-leaf module, a functional matmul and an uncounted layer type."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(6))
        self.proj = nn.Linear(6, 6)
        self.attention = nn.MultiheadAttention(6, 2, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.proj(x) * self.scale
        x = x @ x.transpose(-1, -2) @ x
        return self.attention(x, x, x)[0]


def test_small_cnn_agrees_with_pytorch_everywhere():
    model = small_cnn()
    result = summary(model, (3, 32, 32))
    assert result.mismatches == []
    assert result.total_params == result.rows_params == sum(p.numel() for p in model.parameters())
    assert result.total_macs == result.counter_macs
    assert result.total_flops == 2 * result.total_macs
    assert [r.type for r in result.rows] == [type(m).__name__ for m in model]
    assert result.rows[-1].output_shape == (10,)
    assert result.rows[0].macs == conv2d_macs(3, 3, 3, 8, 32, 32)
    assert result.rows[0].params == conv2d_params(3, 3, 3, 8)
    assert all(r.macs == r.counter_macs for r in result.rows)


def test_receptive_field_composes_kernels_strides_dilations():
    model = small_cnn()
    rows = summary(model, (3, 32, 32)).rows
    expected = receptive_field([(3, 1, 1), (2, 2, 1), (3, 2, 2), (3, 1, 1)])
    assert rows[5].receptive_field == (expected, expected)
    assert rows[1].receptive_field == rows[0].receptive_field == (3, 3)
    assert rows[-1].receptive_field == "global"


def test_dense_layer_on_flattened_features_sees_the_whole_input():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 6 * 6, 3), nn.ReLU())
    rows = summary(model, (1, 8, 8)).rows
    assert [r.receptive_field for r in rows] == [(3, 3), (3, 3), "global", "global"]


def test_receptive_field_takes_the_widest_branch_and_matches_the_input_gradient():
    model = Residual()
    rows = {r.name: r for r in summary(model, (1, 32, 32)).rows}
    assert rows["shortcut"].receptive_field == (3, 3)
    assert rows["branch.1"].receptive_field == (11, 11)
    # empirical check: pixels influencing the centre output
    x = torch.zeros(1, 1, 32, 32, requires_grad=True)
    with torch.no_grad():
        for p in model.parameters():
            p.fill_(1.0)
    model(x)[0, 0, 16, 16].backward()
    touched = torch.nonzero(x.grad[0, 0].abs().sum(0)).flatten()
    assert int(touched.max() - touched.min()) + 1 == 11


def test_mismatches_are_shown_not_hidden():
    result = summary(Untracked(), (4, 6))
    text = "\n".join(result.mismatches)
    assert "sum(numel)" in text  # the non-leaf parameter `scale`
    assert result.total_params - result.rows_params == 6
    assert "FlopCounterMode" in text  # the functional matmuls
    assert result.counter_macs > result.total_macs
    attention = next(r for r in result.rows if r.name == "attention")
    assert attention.params == sum(p.numel() for p in Untracked().attention.parameters())
    assert attention.macs is None and "not counted" in attention.check


def test_uncounted_layer_type_is_reported():
    result = summary(nn.Conv3d(2, 3, 3), (2, 5, 5, 5))
    assert result.rows[0].macs is None
    assert "not counted by dlbox" in result.rows[0].check
    assert result.counter_macs == 3 * 3 * 3 * 2 * 3 * 27


def test_shared_module_counts_parameters_once_and_macs_per_call():
    layer = nn.Linear(5, 5)
    model = nn.Sequential(layer, nn.Tanh(), layer)
    result = summary(model, (5,))
    assert len(result.rows) == 3 and result.rows[2].name.endswith("(again)")
    assert result.total_params == result.rows_params == 30
    assert result.total_macs == 50 == result.counter_macs
    assert result.mismatches == []


def test_training_state_and_running_statistics_are_untouched():
    model = small_cnn().train()
    before = model[1].running_mean.clone()
    summary(model, (3, 32, 32))
    assert model.training and all(m.training for m in model.modules())
    assert torch.equal(model[1].running_mean, before)


def test_exports_are_consistent():
    result = summary(small_cnn(), (3, 32, 32))
    data = json.loads(result.to_json())
    assert data["total_macs"] == result.total_macs and len(data["rows"]) == len(result.rows)
    lines = list(csv.reader(io.StringIO(result.to_csv())))
    assert lines[0][0] == "name" and len(lines) == len(result.rows) + 2
    assert lines[-1][0] == "TOTAL" and int(lines[-1][3]) == result.total_params
    assert result.to_table().row_count == len(result.rows) + 3


@pytest.mark.parametrize(("c_in", "c_out", "k", "size"), [(32, 64, 3, 16), (3, 8, 5, 9)])
def test_compare_separable_matches_notes_formulas(c_in, c_out, k, size):
    comparison = compare_separable(c_in, c_out, k, size)
    assert comparison.standard_params == conv2d_params(k, k, c_in, c_out)
    assert comparison.separable_params == separable_conv2d_params(k, k, c_in, c_out)
    assert comparison.standard_macs == conv2d_macs(k, k, c_in, c_out, size, size)
    assert comparison.separable_macs == separable_conv2d_macs(k, k, c_in, c_out, size, size)
    assert comparison.macs_ratio == pytest.approx(comparison.notes_ratio, rel=1e-12)
    assert comparison.separable_params < comparison.standard_params


def test_torch_and_formula_agree_on_flop_convention():
    """FlopCounterMode counts 2 FLOPs per MAC: the summary's counter_macs is FLOPs / 2."""
    from torch.utils.flop_counter import FlopCounterMode

    layer = nn.Conv2d(2, 3, 3)
    with FlopCounterMode(display=False) as counter:
        layer(torch.zeros(1, 2, 7, 7))
    assert counter.get_total_flops() == 2 * summary(layer, (2, 7, 7)).total_macs


# ---------------------------------------------------------------- `dlbox summary` command


def _summary_app():
    import typer

    from dlbox.cli.summary import summary_command

    app = typer.Typer()
    app.command("summary")(summary_command)
    app.command("unused")(lambda: None)  # two commands: keep the `summary` name on the command line
    return app


def _run(*args: str):
    from typer.testing import CliRunner

    return CliRunner().invoke(_summary_app(), ["summary", *args])


def test_summary_command_on_a_registered_model_as_json():
    result = _run("cnn", "--input", "1x8x8", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["mismatches"] == [] and data["input_size"] == [1, 8, 8]
    assert data["total_flops"] == 2 * data["total_macs"]


def test_summary_command_compares_separable_and_writes_a_run_directory(tmp_path):
    out = tmp_path / "summary"
    result = _run("cnn", "--input", "3x16x16", "--format", "csv", "--compare-separable", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "standard_params,separable_params" in result.output
    assert {"summary.json", "summary.csv", "summary.txt", "separable.json", "params_macs.png"} <= {
        p.name for p in out.iterdir()
    }
    comparisons = json.loads((out / "separable.json").read_text())
    assert comparisons and all(c["separable_macs"] < c["standard_macs"] for c in comparisons)


def test_summary_command_reads_a_run_directory(tmp_path):
    from dlbox.model_io import save_model
    from dlbox.models import create_model

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    model = create_model("mlp", in_channels=1, num_classes=3, image_size=6)
    save_model(run_dir, model, {"input": {"channels": 1, "size": [6, 6]}})
    result = _run(str(run_dir))
    assert result.exit_code == 0, result.output
    assert "input 1x6x6" in result.output and "MISMATCHES" not in result.output


@pytest.mark.parametrize(
    ("args", "hint"),
    [(("cnn", "--input", "3x32"), "--input"), (("no-such-model",), "MODEL"), (("cnn", "--format", "xml"), "--format")],
)
def test_summary_command_rejects_bad_values_by_name(args, hint):
    result = _run(*args)
    assert result.exit_code == 2
    assert hint in result.output
