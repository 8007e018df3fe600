"""Valid U-Net size arithmetic (notes 3.11.2): 572 -> 388, integral sizes, nearest valid sizes."""

import pytest

from dlbox.ops.unet_sizes import UNetSizeError, nearest_valid_sizes, output_size, valid_output_size


def test_paper_sizes_572_to_388():
    assert valid_output_size(572, 4) == 388
    assert output_size(572, 4, "same") == 572


def test_invalid_size_names_nearest_valid_sizes():
    with pytest.raises(UNetSizeError, match="556 or 572"):
        valid_output_size(570, 4)
    assert nearest_valid_sizes(570, 4) == (556, 572)
    assert nearest_valid_sizes(572, 4) == (572, 572)
    below, above = nearest_valid_sizes(64, 3)
    assert below is None and above == 92  # 2^3 * 8 + 28: the smallest valid input at depth 3
    with pytest.raises(UNetSizeError, match="92"):
        valid_output_size(64, 3)


@pytest.mark.parametrize("depth", [1, 2, 3, 4])
def test_every_reported_valid_size_is_valid(depth):
    for size in range(40, 300, 7):
        below, above = nearest_valid_sizes(size, depth)
        assert valid_output_size(above, depth) > 0
        if below is not None:
            assert below <= size <= above and valid_output_size(below, depth) > 0
