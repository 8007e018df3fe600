"""Postprocessing: decode all scales, score = objectness x p(c), threshold, per-class per-image NMS."""

import pytest
import torch

from dlbox.detection.coder import decode_boxes
from dlbox.detection.postprocess import decode_outputs, postprocess, select_detections
from dlbox.ops.anchors import group_anchors, yolov3_anchors
from dlbox.ops.boxes import cxcywh_to_xyxy
from dlbox.ops.nms import nms_reference

SIZE, C = 64, 3
STRIDES = (32, 16, 8)
GRIDS = [(SIZE // s, SIZE // s) for s in STRIDES]
ANCHORS = group_anchors(yolov3_anchors(SIZE), STRIDES)


def test_decode_outputs_concatenates_every_scale_in_order():
    torch.manual_seed(0)
    outputs = [torch.randn(2, 3, h, w, 5 + C) for h, w in GRIDS]
    boxes, obj, cls = decode_outputs(outputs, ANCHORS, STRIDES)
    n = sum(3 * h * w for h, w in GRIDS)
    assert boxes.shape == (2, n, 4) and obj.shape == (2, n) and cls.shape == (2, n, C)
    start = 3 * 2 * 2 + 3 * 4 * 4  # the stride-8 map comes third
    expected = cxcywh_to_xyxy(decode_boxes(outputs[2][..., :4], ANCHORS[2], 8)).reshape(2, -1, 4)
    torch.testing.assert_close(boxes[:, start:], expected)
    torch.testing.assert_close(obj[:, :12], torch.sigmoid(outputs[0][..., 4]).reshape(2, -1))


def reference(boxes, obj, cls, conf, iou, max_det):
    """Image by image, class by class, with the notes' NMS."""
    out = []
    for b in range(boxes.shape[0]):
        rows = []
        for c in range(cls.shape[-1]):
            s = obj[b] * cls[b, :, c]
            idx = (s > conf).nonzero().flatten()
            keep = nms_reference(boxes[b, idx], s[idx], torch.zeros(len(idx), dtype=torch.long), iou)
            rows += [(float(s[idx][k]), c, boxes[b, idx][k].tolist()) for k in keep.tolist()]
        rows.sort(key=lambda r: -r[0])
        out.append(rows[:max_det])
    return out


@pytest.mark.parametrize("seed", range(4))
def test_matches_a_per_image_per_class_reference(seed):
    g = torch.Generator().manual_seed(seed)
    outputs = [torch.randn(3, 3, h, w, 5 + C, generator=g, dtype=torch.float64) for h, w in GRIDS]
    det = postprocess(outputs, ANCHORS, STRIDES, conf_threshold=0.3, iou_threshold=0.4, max_detections=15)
    ref = reference(*decode_outputs(outputs, ANCHORS, STRIDES), 0.3, 0.4, 15)
    assert det.counts.tolist() == [len(r) for r in ref]
    for (boxes, scores, labels), rows in zip(det.per_image(), ref):
        assert scores.tolist() == pytest.approx([r[0] for r in rows])
        assert labels.tolist() == [r[1] for r in rows]
        torch.testing.assert_close(boxes, torch.tensor([r[2] for r in rows], dtype=boxes.dtype).reshape(-1, 4))
    k = det.boxes.shape[1]
    pad = torch.arange(k)[None] >= det.counts[:, None]
    assert (det.labels[pad] == -1).all() and (det.scores[pad] == 0).all()


def test_hand_built_scene():
    boxes = torch.tensor([[[0.0, 0, 20, 20], [1, 1, 21, 21], [0, 0, 20, 20], [40, 40, 60, 60], [30, 0, 40, 10]]])
    obj = torch.tensor([[0.9, 0.8, 0.9, 0.7, 0.1]])
    cls = torch.tensor([[[1.0, 0, 0], [1.0, 0, 0], [0, 0.5, 0], [0, 0, 1.0], [1.0, 0, 0]]])
    det = select_detections(boxes, obj, cls, conf_threshold=0.25, iou_threshold=0.5)
    # box 1 duplicates box 0 (same class, IoU 0.82): suppressed; box 2 coincides but is another class;
    # box 4 scores 0.1 < 0.25
    assert det.counts.tolist() == [3]
    assert det.labels[0].tolist() == [0, 2, 1]
    assert det.scores[0].tolist() == pytest.approx([0.9, 0.7, 0.45])
    capped = select_detections(boxes, obj, cls, 0.25, 0.5, max_detections=2)
    assert capped.counts.tolist() == [2] and capped.labels[0].tolist() == [0, 2]


def test_an_image_without_detections_is_empty_not_an_error():
    outputs = [torch.full((2, 3, h, w, 5 + C), -20.0) for h, w in GRIDS]
    outputs[0][1, 0, 0, 0] = 20.0  # one confident prediction in image 1
    det = postprocess(outputs, ANCHORS, STRIDES)
    assert det.counts.tolist() == [0, 3]  # three classes of one box
    assert [len(s) for _, s, _ in det.per_image()] == [0, 3]
    none = postprocess([torch.full((1, 3, h, w, 5 + C), -20.0) for h, w in GRIDS], ANCHORS, STRIDES)
    assert none.boxes.shape == (1, 0, 4)


def test_bad_arguments_are_named():
    outputs = [torch.zeros(1, 3, h, w, 5 + C) for h, w in GRIDS]
    with pytest.raises(ValueError, match="conf_threshold"):
        postprocess(outputs, ANCHORS, STRIDES, conf_threshold=2.0)
    with pytest.raises(ValueError, match="one stride and anchor group per output"):
        postprocess(outputs[:2], ANCHORS, STRIDES)
