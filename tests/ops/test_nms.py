"""NMS (notes 3.12.3): the torchvision fast path keeps exactly the boxes the notes' algorithm keeps."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.ops.boxes import box_iou

from dlbox.ops.nms import nms, nms_reference


@st.composite
def detections(draw):
    n = draw(st.integers(0, 25))
    # integer pixel coordinates: IoUs are exact ratios of small integers, so no float32-vs-float64 disagreement
    xy = st.integers(0, 40)
    wh = st.integers(1, 25)
    rows = draw(st.lists(st.tuples(xy, xy, wh, wh), min_size=n, max_size=n))
    boxes = torch.tensor([(x, y, x + w, y + h) for x, y, w, h in rows], dtype=torch.float32).reshape(n, 4)
    # distinct scores: equal scores make the order (hence the kept set) implementation-defined
    order = draw(st.permutations(list(range(n))))
    scores = (torch.tensor(order, dtype=torch.float32) + 1) / (n + 1)
    labels = torch.tensor(draw(st.lists(st.integers(0, 2), min_size=n, max_size=n)), dtype=torch.long)
    return boxes, scores, labels


# Thresholds are dyadic (exact in float32): torchvision compares a float32 IoU with the threshold, so an IoU
# that equals a threshold like 0.2 exactly (55/275) rounds to 0.2000000030 > 0.2 and is suppressed there but
# not by the exact reference. Integer boxes keep every other IoU far (> 1e-5) from the threshold.
THRESHOLDS = [0.0, 0.125, 0.25, 0.375, 0.5, 0.625, 0.75, 0.875, 1.0]


@settings(max_examples=150, deadline=None)
@given(det=detections(), t=st.sampled_from(THRESHOLDS))
def test_fast_nms_keeps_the_reference_boxes_in_the_same_order(det, t):
    boxes, scores, labels = det
    fast, ref = nms(boxes, scores, labels, t), nms_reference(boxes, scores, labels, t)
    assert fast.tolist() == ref.tolist()


@settings(max_examples=60, deadline=None)
@given(det=detections(), t=st.sampled_from(THRESHOLDS[1:-1]))
def test_kept_boxes_of_a_class_never_overlap_above_the_threshold(det, t):
    boxes, scores, labels = det
    keep = nms(boxes, scores, labels, t)
    for c in labels[keep].unique():
        k = keep[labels[keep] == c]
        iou = box_iou(boxes[k], boxes[k]).fill_diagonal_(0)
        assert (iou <= t).all()
    # every suppressed box overlaps a kept, higher-scoring box of its class by more than t
    suppressed = sorted(set(range(len(boxes))) - set(keep.tolist()))
    for i in suppressed:
        same = keep[(labels[keep] == labels[i]) & (scores[keep] > scores[i])]
        assert (box_iou(boxes[i : i + 1], boxes[same]) > t).any()


def test_by_hand_per_class():
    boxes = torch.tensor([[0.0, 0, 10, 10], [1, 1, 10, 10], [0, 0, 10, 10], [20, 20, 30, 30]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6])
    same_class = torch.zeros(4, dtype=torch.long)
    assert nms_reference(boxes, scores, same_class, 0.5).tolist() == [0, 3]
    # box 2 is a different class: kept although it coincides with box 0
    labels = torch.tensor([0, 0, 1, 0])
    assert nms_reference(boxes, scores, labels, 0.5).tolist() == [0, 2, 3]
    assert nms(boxes, scores, labels, 0.5).tolist() == [0, 2, 3]
    # IoU(0, 1) = 81/100: a threshold of exactly 0.81 keeps both (strictly greater suppresses)
    assert nms_reference(boxes, scores, same_class, 0.81).tolist() == [0, 1, 3]


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match=r"boxes of shape \(N, 4\)"):
        nms(torch.zeros(3, 5), torch.zeros(3), torch.zeros(3, dtype=torch.long), 0.5)
    with pytest.raises(ValueError, match="scores and labels"):
        nms(torch.zeros(3, 4), torch.zeros(2), torch.zeros(3, dtype=torch.long), 0.5)
    with pytest.raises(ValueError, match="iou_threshold"):
        nms_reference(torch.zeros(1, 4), torch.zeros(1), torch.zeros(1, dtype=torch.long), 1.5)
