"""Detection metrics: matching and confusion matrix by hand-made cases; mAP inputs by closed forms."""

from __future__ import annotations

import pytest
import torch

from dlbox.detection import Detections
from dlbox.tasks.detect.metrics import above, concat_detections, map50, match_detections, mean_ap

pytest.importorskip("pycocotools", reason="torchmetrics' MeanAveragePrecision needs pycocotools (a dlbox dependency)")

NAMES = ["a", "b", "c"]


def _dets(rows: list[list[tuple[list[float], float, int]]]) -> Detections:
    k = max(1, max(len(r) for r in rows))
    boxes, scores, labels = torch.zeros(len(rows), k, 4), torch.zeros(len(rows), k), torch.full((len(rows), k), -1)
    for i, r in enumerate(rows):
        for j, (b, s, c) in enumerate(r):
            boxes[i, j], scores[i, j], labels[i, j] = torch.tensor(b), s, c
    return Detections(boxes, scores, labels, torch.tensor([len(r) for r in rows]))


def _gt(rows: list[list[tuple[list[float], int]]]) -> tuple[torch.Tensor, torch.Tensor]:
    m = max(1, max(len(r) for r in rows))
    boxes, labels = torch.full((len(rows), m, 4), -1.0), torch.full((len(rows), m), -1)
    for i, r in enumerate(rows):
        for j, (b, c) in enumerate(r):
            boxes[i, j], labels[i, j] = torch.tensor(b), c
    return boxes, labels


def test_matching_and_confusion_by_hand():
    gt_boxes, gt_labels = _gt([[([0, 0, 10, 10], 0), ([20, 20, 30, 30], 1)], [([0, 0, 8, 8], 2)]])
    dets = _dets([
        [([0, 0, 10, 10], 0.9, 0), ([0, 0, 10, 9], 0.8, 0), ([20, 20, 30, 30], 0.7, 2), ([50, 50, 60, 60], 0.6, 1)],
        [],
    ])
    m = match_detections(dets, gt_boxes, gt_labels, num_classes=3)
    # image 0: a correct, a duplicate (false), b seen as c, a detection of nothing; image 1: c missed
    expected = torch.zeros(4, 4, dtype=torch.long)
    expected[0, 0] = 1  # a -> a
    expected[1, 2] = 1  # b -> c
    expected[3, 0] = 1  # duplicate: background -> a
    expected[3, 1] = 1  # nothing -> b
    expected[2, 3] = 1  # c missed
    assert torch.equal(m.confusion, expected)
    assert m.errors.tolist() == [3, 1]  # duplicate + false detection + wrong class; one missed
    assert m.matched_pred[0].tolist() == [True, False, True, False] and m.matched_gt.tolist() == [[True, True], [False, False]]


def test_a_detection_goes_to_the_ground_truth_it_overlaps_most():
    gt_boxes, gt_labels = _gt([[([0, 0, 10, 10], 0), ([4, 0, 14, 10], 1)]])
    m = match_detections(_dets([[([4, 0, 13, 10], 0.9, 1)]]), gt_boxes, gt_labels, 2)
    assert m.matched_gt.tolist() == [[False, True]] and m.confusion[1, 1] == 1 and m.confusion[0, 2] == 1


def test_above_and_concat_keep_layout():
    d = _dets([[([0, 0, 1, 1], 0.9, 0), ([0, 0, 2, 2], 0.2, 1)], [([0, 0, 3, 3], 0.5, 2)]])
    kept = above(d, 0.3)
    assert kept.counts.tolist() == [1, 1] and kept.labels.tolist() == [[0, -1], [2, -1]]
    both = concat_detections([d, _dets([[([1, 1, 2, 2], 0.4, 0)]])])
    assert both.boxes.shape == (3, 2, 4) and both.counts.tolist() == [2, 1, 1] and both.labels[2].tolist() == [0, -1]


def test_map_closed_forms():
    gt_boxes, gt_labels = _gt([[([0, 0, 10, 10], 0)], [([5, 5, 25, 25], 1)]])
    perfect = _dets([[([0, 0, 10, 10], 0.9, 0)], [([5, 5, 25, 25], 0.8, 1)]])
    assert map50(perfect, gt_boxes, gt_labels) == pytest.approx(1.0)
    full = mean_ap(perfect, gt_boxes, gt_labels, NAMES)
    assert full["map50"] == pytest.approx(1.0) and full["map50_95"] == pytest.approx(1.0)
    assert set(full["per_class"]) == {"a", "b"} and full["pr_curves"]["a"][1][0] == pytest.approx(1.0)
    # class a: one of two objects found, first in rank: precision 1 up to recall 0.5 -> 51 of COCO's 101 points
    gt_boxes, gt_labels = _gt([[([0, 0, 10, 10], 0)], [([5, 5, 25, 25], 0)]])
    half = _dets([[([0, 0, 10, 10], 0.9, 0)], []])
    assert map50(half, gt_boxes, gt_labels) == pytest.approx(51 / 101, abs=1e-6)
    # the first-ranked box has IoU 0.62: a hit at IoU thresholds 0.5, 0.55, 0.6 (AP 1); at the 7 others a miss
    # ranked above a hit: precision 1/2 up to recall 1/2 -> AP 25.5 / 101
    shifted = _dets([[([0, 0, 10, 6.2], 0.9, 0)], [([5, 5, 25, 25], 0.8, 0)]])
    r = mean_ap(shifted, gt_boxes, gt_labels, NAMES)
    assert r["map50"] == pytest.approx(1.0) and r["map50_95"] == pytest.approx((3 + 7 * 25.5 / 101) / 10, abs=1e-6)
