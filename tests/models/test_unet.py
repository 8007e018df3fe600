"""U-Net (notes 3.11.2): padded and valid variants, size arithmetic, names."""

import pytest
import torch

from dlbox.models import create_model
from dlbox.ops.unet_sizes import UNetSizeError


def test_valid_unet_572_gives_388():
    model = create_model("unet", in_channels=1, num_classes=2, image_size=572, depth=4, width=1, padding="valid").eval()
    with torch.no_grad():
        assert model(torch.rand(1, 1, 572, 572)).shape == (1, 2, 388, 388)
    assert model.output_hw((572, 572)) == (388, 388)


@pytest.mark.parametrize("hw", [(32, 32), (37, 50), (8, 8)])
def test_same_padding_keeps_the_input_size(hw):
    model = create_model("unet", in_channels=3, num_classes=4, image_size=32, depth=3, width=4).eval()
    assert model(torch.rand(2, 3, *hw)).shape == (2, 4, *hw)


def test_invalid_valid_size_is_an_error_naming_nearest_sizes():
    with pytest.raises(UNetSizeError, match="556 or 572"):
        create_model("unet", image_size=570, depth=4, padding="valid")
    model = create_model("unet", image_size=44, depth=2, width=2, padding="valid")
    with pytest.raises(UNetSizeError, match="nearest valid input sizes: 60 or 64"):
        model(torch.rand(1, 3, 62, 62))


def test_depth_width_and_layer_names():
    model = create_model("unet", in_channels=3, num_classes=5, image_size=64, depth=2, width=6)
    names = dict(model.named_modules())
    assert {"encoder.enc1.conv1.conv", "encoder.enc2.conv2.conv", "bottleneck.conv1.conv", "decoder.dec1.up", "classifier"} <= set(names)
    assert names["bottleneck.conv1.conv"].out_channels == 24  # width * 2^depth
    assert names["decoder.dec1.convs.conv1.conv"].in_channels == 12  # skip (6) + upsampled (6)
    with pytest.raises(ValueError, match="padding"):
        create_model("unet", padding="full")


def test_bf16_autocast_and_channels_last_match_float32():
    torch.manual_seed(0)
    model = create_model("unet", in_channels=3, num_classes=4, image_size=32, depth=2, width=8).eval()
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        reference = model(x)
        fast = model.to(memory_format=torch.channels_last)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            low = fast(x.contiguous(memory_format=torch.channels_last))
    assert low.dtype == torch.bfloat16 and low.shape == reference.shape
    torch.testing.assert_close(low.float(), reference, atol=0.05, rtol=0.05)  # bf16 keeps 8 bits of mantissa
    assert float((low.float().argmax(1) == reference.argmax(1)).float().mean()) > 0.95


def test_valid_unet_builds_with_its_defaults_and_checks_only_a_given_size():
    model = create_model("unet", padding="valid", width=2)  # the caller gave no size: nothing to check
    assert tuple(model(torch.rand(1, 3, 572, 572)).shape[-2:]) == (388, 388)
    with pytest.raises(ValueError, match="556 or 572"):
        create_model("unet", padding="valid", image_size=570, width=2)
