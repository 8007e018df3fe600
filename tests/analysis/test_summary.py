"""dlbox.analysis.summary: rows, totals and cross-checks against sum(numel) and FlopCounterMode."""

import csv
import io
import json
from collections import OrderedDict

import torch
import torch.nn as nn

import dlbox
from dlbox.analysis import summary
from dlbox.formulas import conv2d_macs, conv2d_params, receptive_field


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


def test_torch_and_formula_agree_on_flop_convention():
    """FlopCounterMode counts 2 FLOPs per MAC: the summary's counter_macs is FLOPs / 2."""
    from torch.utils.flop_counter import FlopCounterMode

    layer = nn.Conv2d(2, 3, 3)
    with FlopCounterMode(display=False) as counter:
        layer(torch.zeros(1, 2, 7, 7))
    assert counter.get_total_flops() == 2 * summary(layer, (2, 7, 7)).total_macs


def test_printing_a_summary_shows_the_table_as_text():
    """issue 12: the README's `dlbox.summary(model, (1, 8, 8))` printed `<rich.table.Table object ...>`."""
    layers = {"stem_conv": nn.Conv2d(1, 4, 3), "stem_act": nn.ReLU(), "flatten": nn.Flatten(),
              "classifier": nn.Linear(4 * 6 * 6, 3)}
    model = nn.Sequential(OrderedDict(layers))
    result = dlbox.summary(model, (1, 8, 8))
    assert [r.name for r in result.rows] == list(layers)
    text = str(result)
    assert "rich.table" not in text and "object at" not in text
    for row in result.rows:
        assert row.name in text and row.type in text
    assert "Total" in text and f"{result.total_params:,}" in text and f"{result.total_macs:,}" in text
    assert f"{result.total_flops:,}" in text and "input 1x8x8" in text
    assert max(len(line) for line in result.to_text(width=90).splitlines()) <= 90


def test_rich_renders_a_summary_without_to_table():
    from rich.console import Console

    console = Console(record=True, width=160)
    result = summary(small_cnn(), (3, 32, 32))
    console.print(result)
    assert console.export_text() == result.to_text(160)
