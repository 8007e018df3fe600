import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.generative.dequantize import dequantized_nll_bound, from_levels, quantize, to_levels, uniform_dequantize


@settings(max_examples=40, deadline=None)
@given(levels=st.integers(2, 256), seed=st.integers(0, 10**6))
def test_dequantized_values_fill_their_bin_and_quantize_back(levels, seed):
    g = torch.Generator().manual_seed(seed)
    k = torch.randint(0, levels, (3, 2, 4, 4), generator=g)
    x = from_levels(k, levels)
    assert torch.equal(to_levels(x, levels), k)
    y = uniform_dequantize(x, levels, g)
    assert torch.all(y >= k / levels) and torch.all(y < (k + 1) / levels)  # bin of width 1/L
    assert torch.equal(quantize(y, levels), x)


def test_dequantization_is_uniform_within_the_bin():
    x = torch.full((50000,), 8 / 16)
    y = uniform_dequantize(x, 17, torch.Generator().manual_seed(0))
    u = y * 17 - 8  # should be U[0, 1)
    assert float(u.mean()) == pytest.approx(0.5, abs=0.01) and float(u.var()) == pytest.approx(1 / 12, rel=0.03)


def test_bound_is_exact_for_the_uniform_density():
    # the uniform density on [0,1]^D has NLL 0; its discretisation gives every level 1/L: -log P = D log L
    assert float(dequantized_nll_bound(torch.tensor(0.0), 64, 17)) == pytest.approx(64 * math.log(17))


def test_off_grid_and_out_of_range_data_are_rejected():
    with pytest.raises(ValueError, match="grid of 17 levels"):
        to_levels(torch.tensor([0.5, 0.52]), 17)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        to_levels(torch.tensor([1.2]), 17)
    with pytest.raises(ValueError, match="at least 2"):
        to_levels(torch.tensor([0.0]), 1)
