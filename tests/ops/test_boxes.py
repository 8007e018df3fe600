"""Box formats and IoU (notes 3.12) against the notes' formula written out, and closed forms of GIoU/CIoU."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.ops.boxes import (
    batched_box_iou,
    box_area,
    box_iou,
    box_iou_aligned,
    ciou_loss,
    convert_boxes,
    cxcywh_to_xyxy,
    giou_loss,
    iou_reference,
    valid_boxes,
    wh_iou,
    xyxy_to_cxcywh,
)


@st.composite
def xyxy_boxes(draw, n_min=1, n_max=6):
    n = draw(st.integers(n_min, n_max))
    coord = st.floats(0.0, 100.0, allow_nan=False, width=32)
    size = st.floats(0.5, 60.0, allow_nan=False, width=32)
    rows = [(x, y, x + w, y + h) for x, y, w, h in draw(st.lists(st.tuples(coord, coord, size, size), min_size=n, max_size=n))]
    return torch.tensor(rows, dtype=torch.float64)


def reference_matrix(a, b):
    return torch.tensor([[iou_reference(p, q) for q in b.tolist()] for p in a.tolist()], dtype=torch.float64)


@settings(max_examples=80, deadline=None)
@given(a=xyxy_boxes(), b=xyxy_boxes())
def test_box_iou_equals_the_notes_formula(a, b):
    torch.testing.assert_close(box_iou(a, b), reference_matrix(a, b), atol=1e-12, rtol=1e-9)


@settings(max_examples=40, deadline=None)
@given(a=xyxy_boxes(4, 4), b=xyxy_boxes(4, 4))
def test_aligned_and_batched_iou_agree_with_pairwise(a, b):
    full = box_iou(a, b)
    torch.testing.assert_close(box_iou_aligned(a, b, eps=0.0), full.diagonal(), atol=1e-12, rtol=1e-9)
    torch.testing.assert_close(box_iou_aligned(a, b), full.diagonal(), atol=1e-7, rtol=1e-7)  # default eps
    batched = batched_box_iou(torch.stack([a, b]), torch.stack([b, a]))  # (2, 4, 4)
    torch.testing.assert_close(batched[0], full, atol=1e-12, rtol=1e-9)
    torch.testing.assert_close(batched[1], full.T, atol=1e-12, rtol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    wh1=st.lists(st.tuples(st.floats(0.1, 50), st.floats(0.1, 50)), min_size=1, max_size=5),
    wh2=st.lists(st.tuples(st.floats(0.1, 50), st.floats(0.1, 50)), min_size=1, max_size=5),
    centre=st.tuples(st.floats(-20, 20), st.floats(-20, 20)),
)
def test_wh_iou_is_the_iou_of_boxes_sharing_a_centre(wh1, wh2, centre):
    a, b = torch.tensor(wh1, dtype=torch.float64), torch.tensor(wh2, dtype=torch.float64)
    c = torch.tensor(centre, dtype=torch.float64)

    def centred(wh):
        return torch.cat([c - wh / 2, c + wh / 2], dim=1)

    torch.testing.assert_close(wh_iou(a, b), reference_matrix(centred(a), centred(b)), atol=1e-9, rtol=1e-9)


def test_iou_reference_by_hand():
    # two 2x2 squares overlapping in a 1x2 strip: 2 / (4 + 4 - 2)
    assert iou_reference((0, 0, 2, 2), (1, 0, 3, 2)) == pytest.approx(2 / 6)
    assert iou_reference((0, 0, 1, 1), (2, 2, 3, 3)) == 0.0
    assert iou_reference((0, 0, 0, 0), (0, 0, 0, 0)) == 0.0
    assert iou_reference((1, 1, 4, 5), (1, 1, 4, 5)) == 1.0


@settings(max_examples=40, deadline=None)
@given(boxes=xyxy_boxes())
def test_formats_round_trip_and_match_their_definition(boxes):
    c = xyxy_to_cxcywh(boxes)
    torch.testing.assert_close(c[:, 0], (boxes[:, 0] + boxes[:, 2]) / 2)
    torch.testing.assert_close(c[:, 3], boxes[:, 3] - boxes[:, 1])
    torch.testing.assert_close(cxcywh_to_xyxy(c), boxes)
    xywh = convert_boxes(boxes, "xyxy", "xywh")
    torch.testing.assert_close(xywh[:, :2], boxes[:, :2])
    torch.testing.assert_close(convert_boxes(xywh, "xywh", "cxcywh"), c)
    nested = boxes.reshape(1, -1, 1, 4)
    assert xyxy_to_cxcywh(nested).shape == nested.shape


def test_area_and_validity():
    boxes = torch.tensor([[0.0, 0, 2, 3], [5, 5, 5, 8], [4, 4, 2, 6], [0, 0, float("nan"), 1]])
    assert box_area(boxes[:3]).tolist() == [6.0, 0.0, 0.0]
    assert valid_boxes(boxes).tolist() == [True, False, False, False]


def _giou_closed_form(p, t):
    area_p, area_t = (p[2] - p[0]) * (p[3] - p[1]), (t[2] - t[0]) * (t[3] - t[1])
    inter = max(0, min(p[2], t[2]) - max(p[0], t[0])) * max(0, min(p[3], t[3]) - max(p[1], t[1]))
    union = area_p + area_t - inter
    hull = (max(p[2], t[2]) - min(p[0], t[0])) * (max(p[3], t[3]) - min(p[1], t[1]))
    return 1 - (inter / union - (hull - union) / hull)


def _ciou_closed_form(p, t):
    iou = iou_reference(p, t)
    rho2 = ((p[0] + p[2]) / 2 - (t[0] + t[2]) / 2) ** 2 + ((p[1] + p[3]) / 2 - (t[1] + t[3]) / 2) ** 2
    c2 = (max(p[2], t[2]) - min(p[0], t[0])) ** 2 + (max(p[3], t[3]) - min(p[1], t[1])) ** 2
    v = 4 / math.pi**2 * (math.atan((t[2] - t[0]) / (t[3] - t[1])) - math.atan((p[2] - p[0]) / (p[3] - p[1]))) ** 2
    alpha = v / (1 - iou + v) if v > 0 else 0.0
    return 1 - iou + rho2 / c2 + alpha * v


@settings(max_examples=40, deadline=None)
@given(p=xyxy_boxes(3, 3), t=xyxy_boxes(3, 3))
def test_giou_and_ciou_losses_match_their_closed_forms(p, t):
    g = giou_loss(p, t)
    c = ciou_loss(p, t)
    assert g.shape == c.shape == (3,)
    for i in range(3):
        pi, ti = p[i].tolist(), t[i].tolist()
        assert float(g[i]) == pytest.approx(_giou_closed_form(pi, ti), abs=1e-6)
        assert float(c[i]) == pytest.approx(_ciou_closed_form(pi, ti), abs=1e-6)


def test_iou_losses_vanish_on_identical_boxes_and_broadcast():
    b = torch.tensor([[1.0, 2.0, 5.0, 9.0], [0.0, 0.0, 3.0, 3.0]])
    assert torch.allclose(giou_loss(b, b), torch.zeros(2), atol=1e-6)
    assert torch.allclose(ciou_loss(b, b), torch.zeros(2), atol=1e-6)
    one = b[:1].reshape(1, 1, 4)
    assert giou_loss(b.reshape(2, 1, 4), one).shape == (2, 1)


def test_bad_shapes_and_formats_are_named():
    with pytest.raises(ValueError, match="boxes1 must have shape"):
        box_iou(torch.zeros(3, 5), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="valid formats: xyxy, xywh, cxcywh"):
        convert_boxes(torch.zeros(1, 4), "xyxy", "yolo")
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        wh_iou(torch.zeros(3, 4), torch.zeros(2, 2))
