"""FCN-32s/16s/8s (notes 3.11.1): shapes, strides, skips, bilinear upsampling, weights from a classifier."""

import pytest
import torch
import torch.nn.functional as F

from dlbox.models import create_model
from dlbox.models.fcn import load_classifier_weights

BACKBONE = {"name": "cnn", "kwargs": {"channels": [4, 6, 8, 8], "head_pool": "flatten", "hidden": [12]}}


def _fcn(variant, **kw):
    torch.manual_seed(0)
    return create_model(variant, in_channels=3, num_classes=3, image_size=32, backbone=BACKBONE, **kw).eval()


@pytest.mark.parametrize("variant,skips,stride", [("fcn32s", [], 16), ("fcn16s", ["stage3"], 8), ("fcn8s", ["stage3", "stage2"], 4)])
def test_output_size_strides_and_skips(variant, skips, stride):
    model = _fcn(variant)
    for hw in [(32, 32), (45, 38)]:
        assert model(torch.rand(2, 3, *hw)).shape == (2, 3, *hw)
    assert list(model.skip_score) == skips
    assert model.strides["score_fr"] == 16 and model.strides["output"] == stride  # 4-stage backbone: 16/8/4


def test_fresh_fcn8s_is_bilinear_upsampling_of_the_score_map():
    """Skip scores start at zero, so the output is score_fr upsampled x2, x2, x4 bilinearly."""
    model = _fcn("fcn8s")
    x = torch.rand(1, 3, 32, 32)
    with torch.no_grad():
        y = model.score_fr(model.head(model.features(x)))
        for _ in range(2):
            y = F.interpolate(y, scale_factor=2, mode="bilinear", align_corners=False)
        y = F.interpolate(y, scale_factor=4, mode="bilinear", align_corners=False)
        torch.testing.assert_close(model(x), y, atol=1e-5, rtol=1e-5)
        model.skip_score["stage2"].bias.fill_(1.0)
        assert (model(x) - y).abs().max() > 0.5  # the skip now contributes


def test_concat_fusion_starts_as_the_sum():
    a, b = _fcn("fcn16s"), _fcn("fcn16s", fuse="concat")
    b.load_state_dict(a.state_dict(), strict=False)
    with torch.no_grad():
        a.skip_score["stage3"].weight.normal_()
        b.skip_score["stage3"].weight.copy_(a.skip_score["stage3"].weight)
        x = torch.rand(1, 3, 32, 32)
        torch.testing.assert_close(a(x), b(x), atol=1e-5, rtol=1e-5)


def test_weights_from_a_classifier_are_convolutionalized():
    torch.manual_seed(1)
    clf = create_model("cnn", in_channels=3, num_classes=5, image_size=32, **BACKBONE["kwargs"])
    model = _fcn("fcn8s")
    keys = load_classifier_weights(model, clf)
    assert "head.fc1.weight" in keys and not any(k.startswith("head.fc.") for k in keys)
    torch.testing.assert_close(model.head.fc1.weight.flatten(1), clf.head.fc1.weight)
    torch.testing.assert_close(model.features.stage1.conv1.conv.weight, clf.features.stage1.conv1.conv.weight)
    assert model.head.fc1.kernel_size == (2, 2)  # 32 px / stride 16


def test_variant_and_stage_errors():
    with pytest.raises(ValueError, match="fcn8s taps the last 3"):
        create_model("fcn8s", image_size=32, backbone={"name": "cnn", "kwargs": {"channels": [4, 4], "head_pool": "flatten"}})
    with pytest.raises(ValueError, match="choose the model fcn8s"):
        create_model("fcn32s", image_size=32, variant="fcn8s", backbone=BACKBONE)
