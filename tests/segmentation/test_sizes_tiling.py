"""Valid U-Net size arithmetic, centre crops and tiled whole-image prediction (notes 3.11.2)."""

import pytest
import torch

from dlbox.models.unet import unet
from dlbox.segmentation.crop import center_crop, match_size
from dlbox.segmentation.sizes import UNetSizeError, nearest_valid_sizes, output_size, valid_output_size
from dlbox.segmentation.tiling import _pad, tiled_logits, whole_image_logits


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


def test_center_crop_and_match_size():
    x = torch.arange(36).view(1, 6, 6)
    assert center_crop(x, (2, 2)).tolist() == [[[14, 15], [20, 21]]]
    with pytest.raises(ValueError, match="6x6 map to 8x8"):
        center_crop(x, (8, 8))
    y = torch.rand(1, 2, 5, 5)
    assert match_size(y, (6, 4)).shape == (1, 2, 6, 4)
    torch.testing.assert_close(match_size(y, (6, 4))[..., 5, :], y[..., 4, :4])


def test_tiled_prediction_equals_the_whole_padded_image():
    torch.manual_seed(0)
    model = unet(3, 3, 44, depth=2, width=4, padding="valid").eval()
    x = torch.rand(2, 3, 48, 40)
    margin = (44 - model.output_hw((44, 44))[0]) // 2
    full = model(_pad(x, (margin,) * 4))  # 88x80 is valid: one pass over everything
    with torch.no_grad():
        for tile, overlap in [(44, 4), (60, 8)]:
            torch.testing.assert_close(tiled_logits(model, x, tile=tile, overlap=overlap), full, atol=1e-5, rtol=1e-5)
        assert whole_image_logits(model, x).shape == (2, 3, 48, 40)
