"""Tiled whole-image prediction of a valid U-Net equals one pass over the mirror-padded image (notes 3.11.2)."""

import torch

from dlbox.models.unet import unet
from dlbox.segmentation.tiling import _pad, tiled_logits, whole_image_logits


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
