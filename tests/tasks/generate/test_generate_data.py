"""The data of a generative run: its grid of levels found (digits 17, 8-bit 256), off-grid images rounded to 8 bits."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.config import DataConfig
from dlbox.data import load_dataset
from dlbox.tasks.generate.data import data_levels, levels_of, load_generative_data, on_levels


@settings(max_examples=30, deadline=None)
@given(levels=st.sampled_from([17, 256]), seed=st.integers(0, 1000))
def test_images_on_a_known_grid_are_recognised(levels, seed):
    k = torch.randint(0, levels, (3, 1, 4, 4), generator=torch.Generator().manual_seed(seed))
    x = k.float() / (levels - 1)
    found = levels_of(x)
    # a 17-level image whose values are all also on the 256 grid (only 0 and 1 are) is reported as 17 too
    assert found == levels or (levels == 256 and found == 17 and bool(((x == 0) | (x == 1)).all()))
    assert torch.equal(on_levels(x, levels), x)


def test_off_grid_images_are_not_on_a_grid_and_rounding_moves_them_by_half_a_level_at_most():
    x = torch.rand(2, 3, 5, 5, generator=torch.Generator().manual_seed(0))
    assert levels_of(x) is None
    y = on_levels(x, 256)
    assert levels_of(y) in (17, 256) and float((y - x).abs().max()) <= 0.5 / 255 + 1e-7


def test_digits_keep_their_17_levels_and_shapes_are_rounded_to_8_bits():
    digits = load_generative_data(DataConfig(name="digits"))
    assert data_levels(digits) == 17 and digits.info["rounded_to_levels"] is False
    raw = load_dataset(DataConfig(name="digits"))
    assert torch.equal(raw.test["image"], digits.test["image"])  # untouched
    shapes = load_generative_data(DataConfig(name="shapes", image_size=16, num_samples=60))
    assert data_levels(shapes) == 256 and shapes.info["rounded_to_levels"] is True
    k = shapes.train["image"] * 255
    assert torch.allclose(k, k.round(), atol=1e-4) and len(shapes.test["image"]) == 12


def test_a_split_too_small_to_score_is_refused():
    with pytest.raises(ValueError, match="the Frechet distance needs at least 2"):
        load_generative_data(DataConfig(name="shapes", image_size=16, num_samples=6, test_fraction=0.1))
