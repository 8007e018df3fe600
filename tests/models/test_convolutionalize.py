"""Convolutionalization (notes 3.11.1): dense head -> convolutions, same logits, heatmaps beyond."""

import pytest
import torch
import torch.nn as nn

from dlbox.models import create_model
from dlbox.models.convolutionalize import convolutionalize


def _cnn(head_pool, hidden, size=24, classes=4):
    torch.manual_seed(0)
    return create_model(
        "cnn", in_channels=3, num_classes=classes, image_size=size, channels=[4, 8, 8],
        head_pool=head_pool, hidden=hidden, dropout=0.1,
    ).eval()


@pytest.mark.parametrize("head_pool,hidden", [("flatten", [16, 12]), ("flatten", []), ("avg", [10]), ("avg", [])])
def test_equals_classifier_logits_at_input_size(head_pool, hidden):
    clf = _cnn(head_pool, hidden)
    # Train-mode batch-norm statistics would differ from eval; give them non-trivial values first.
    clf.train()
    with torch.no_grad():
        clf(torch.rand(16, 3, 24, 24))
    clf.eval()
    x = torch.rand(5, 3, 24, 24)
    conv = convolutionalize(clf).eval()
    out = conv(x)
    assert out.shape == (5, 4, 1, 1)
    torch.testing.assert_close(out.flatten(1), clf(x), atol=1e-5, rtol=1e-5)
    assert not any(isinstance(m, nn.Linear) for m in conv.modules())


def test_non_square_input_size_and_kernel_shape():
    clf = _cnn("flatten", [6], size=[16, 40])
    conv = convolutionalize(clf).eval()
    assert conv.head.fc1.kernel_size == (2, 5)  # 16x40 after three 2x2 pools
    assert conv.head.fc.kernel_size == (1, 1)
    x = torch.rand(2, 3, 16, 40)
    torch.testing.assert_close(conv(x).flatten(1), clf(x), atol=1e-5, rtol=1e-5)


def test_larger_image_gives_a_heatmap_of_window_logits():
    torch.manual_seed(0)
    # unpadded convolutions: a window's features are exactly a block of the whole image's features
    clf = create_model("cnn", in_channels=3, num_classes=4, image_size=40, channels=[4, 8, 8], padding="valid", head_pool="flatten", hidden=[16]).eval()
    conv = convolutionalize(clf).eval()
    big = torch.rand(1, 3, 56, 64)
    heat = conv(big)
    assert heat.shape == (1, 4, 3, 4)  # 40-pixel windows at stride 8
    for i, j in [(0, 0), (1, 3), (2, 2)]:  # each cell is the classifier applied to its window
        window = big[:, :, 8 * i : 8 * i + 40, 8 * j : 8 * j + 40]
        torch.testing.assert_close(heat[0, :, i, j], clf(window)[0], atol=1e-5, rtol=1e-5)
    # with padded convolutions (the default cnn) the heatmap has the same layout
    assert convolutionalize(_cnn("flatten", [16])).eval()(torch.rand(1, 3, 40, 56)).shape == (1, 4, 3, 5)


def test_weights_are_reshaped_not_retrained():
    clf = _cnn("flatten", [16])
    conv = convolutionalize(clf)
    torch.testing.assert_close(conv.head.fc1.weight.flatten(1), clf.head.fc1.weight)
    assert conv.features is clf.features


def test_rejects_non_classifier_and_bad_padding():
    with pytest.raises(TypeError, match="Classifier"):
        convolutionalize(nn.Linear(3, 4))
    with pytest.raises(ValueError, match="padding"):
        convolutionalize(_cnn("avg", []), padding="full")


def test_same_padding_keeps_the_feature_map_size():
    clf = _cnn("flatten", [16])
    conv = convolutionalize(clf, padding="same").eval()
    x = torch.rand(2, 3, 24, 24)
    out = conv(x)
    assert out.shape == (2, 4, 3, 3)
    torch.testing.assert_close(out[:, :, 1, 1], clf(x), atol=1e-5, rtol=1e-5)  # the unpadded position
