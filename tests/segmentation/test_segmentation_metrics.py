"""IoU, mIoU, pixel accuracy (against torchmetrics), per-image mIoU, with an ignore index."""

import math

import torch
from torchmetrics.functional.classification import multiclass_accuracy, multiclass_jaccard_index

from dlbox.segmentation.metrics import (
    confusion_matrix,
    iou_from_confusion,
    mean_iou,
    per_image_miou,
    pixel_accuracy,
    segmentation_report,
)


def test_iou_matches_torchmetrics_with_ignore_index():
    torch.manual_seed(0)
    target = torch.randint(0, 4, (3, 10, 10))
    target[:, 0] = 255
    preds = torch.where(torch.rand(3, 10, 10) < 0.7, target.clamp(max=3), torch.randint(0, 4, (3, 10, 10)))
    cm = confusion_matrix(preds, target, 4, 255)
    assert int(cm.sum()) == 3 * 9 * 10  # ignored row dropped
    expected = multiclass_jaccard_index(preds, target, 4, average=None, ignore_index=255)
    torch.testing.assert_close(iou_from_confusion(cm).float(), expected)
    acc = multiclass_accuracy(preds, target, 4, average="micro", ignore_index=255)
    assert math.isclose(pixel_accuracy(cm), float(acc), rel_tol=1e-6)


def test_absent_class_is_left_out_of_the_mean():
    target = torch.tensor([[[0, 0, 1, 1]]])
    preds = torch.tensor([[[0, 1, 1, 1]]])
    cm = confusion_matrix(preds, target, 3, 255)
    iou = iou_from_confusion(cm)
    assert math.isnan(float(iou[2]))
    assert math.isclose(mean_iou(cm), (1 / 2 + 2 / 3) / 2)
    report = segmentation_report(cm, ["bg", "a", "b"])
    assert report["per_class"]["b"]["iou"] is None and report["per_class"]["a"]["pixels"] == 2


def test_per_image_miou():
    target = torch.tensor([[[0, 1]], [[0, 1]]])
    preds = torch.tensor([[[0, 1]], [[1, 1]]])
    torch.testing.assert_close(per_image_miou(preds, target, 2), torch.tensor([1.0, 0.25], dtype=torch.float64))
