"""dlbox.analysis.separable: a standard KxK convolution vs its depthwise-separable counterpart (notes 3.4.1)."""

import pytest
import torch.nn as nn

from dlbox.analysis import compare_separable, separable_comparisons, summary
from dlbox.formulas import conv2d_macs, conv2d_params, separable_conv2d_macs, separable_conv2d_params


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(("c_in", "c_out", "k", "size"), [(32, 64, 3, 16), (3, 8, 5, 9)])
def test_compare_separable_matches_notes_formulas(c_in, c_out, k, size, bias):
    comparison = compare_separable(c_in, c_out, k, size, bias=bias)
    assert comparison.bias is bias
    assert comparison.standard_params == conv2d_params(k, k, c_in, c_out, bias=bias)
    assert comparison.separable_params == separable_conv2d_params(k, k, c_in, c_out, bias=bias)
    assert comparison.standard_macs == conv2d_macs(k, k, c_in, c_out, size, size)
    assert comparison.separable_macs == separable_conv2d_macs(k, k, c_in, c_out, size, size)
    assert comparison.macs_ratio == pytest.approx(comparison.notes_ratio, rel=1e-12)
    assert comparison.separable_params < comparison.standard_params
    if not bias:  # notes 3.4.1's ratio is stated without biases: it holds for the parameters too
        assert comparison.params_ratio == pytest.approx(comparison.notes_ratio, rel=1e-12)


def test_a_layer_without_bias_is_compared_without_bias():
    """issue 12: a bias-free 1->32 3x3 conv has 288 parameters, not 320; its separable version 9 + 32."""
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.ReLU(), nn.Conv2d(32, 8, 3, padding=1))
    result = summary(model, (1, 8, 8))
    (first, a), (second, b) = separable_comparisons(model, result)
    assert (first, second) == ("0", "2")
    assert a.standard_params == sum(p.numel() for p in model[0].parameters()) == 288
    assert a.separable_params == 3 * 3 * 1 + 1 * 32 == 41 and not a.bias
    assert b.standard_params == sum(p.numel() for p in model[2].parameters()) == 32 * 8 * 9 + 8
    assert b.separable_params == 32 * 9 + 32 * 8 + (32 + 8) and b.bias
    assert a.standard_macs == result.rows[0].macs and b.standard_macs == result.rows[2].macs


def test_only_standard_square_kernels_are_compared():
    model = nn.Sequential(nn.Conv2d(4, 4, 1), nn.Conv2d(4, 4, 3, padding=1, groups=4),
                          nn.Conv2d(4, 4, (3, 1), padding=(1, 0)), nn.Conv2d(4, 6, 3, stride=2))
    result = summary(model, (4, 9, 9))
    comparisons = separable_comparisons(model, result)
    assert [name for name, _ in comparisons] == ["3"]
    # the output side: the strided kernel is applied 4 x 4 times, as in the layer's own MACs
    assert comparisons[0][1].size == 4 and comparisons[0][1].standard_macs == result.rows[3].macs


def test_a_comparison_prints_as_a_table():
    text = str(compare_separable(8, 16, 3, 5, bias=False))
    assert "Depthwise-separable" in text and f"{8 * 16 * 9:,}" in text and "no bias" in text
