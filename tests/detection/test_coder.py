"""Box coding (notes 3.12.1): decode follows the formulas element by element; encode inverts it."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.detection.coder import anchor_boxes, cell_grid, decode_boxes, encode_boxes


def test_decode_follows_the_notes_entry_by_entry():
    torch.manual_seed(0)
    b, a, h, w, stride = 2, 3, 4, 5, 8
    t = torch.randn(b, a, h, w, 4, dtype=torch.float64)
    anchors = torch.tensor([[10.0, 13], [16, 30], [33, 23]], dtype=torch.float64)
    out = decode_boxes(t, anchors, stride)
    assert out.shape == (b, a, h, w, 4)
    sig = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    for bi, ai, cy, cx in [(0, 0, 0, 0), (1, 2, 3, 4), (0, 1, 2, 1), (1, 0, 1, 3)]:
        tx, ty, tw, th = t[bi, ai, cy, cx].tolist()
        pw, ph = anchors[ai].tolist()
        expected = [(cx + sig(tx)) * stride, (cy + sig(ty)) * stride, pw * math.exp(tw), ph * math.exp(th)]
        assert out[bi, ai, cy, cx].tolist() == pytest.approx(expected, rel=1e-12)


def test_cell_grid_is_column_then_row():
    g = cell_grid(2, 3)
    assert g.shape == (2, 3, 2)
    assert g[1, 2].tolist() == [2.0, 1.0]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), stride=st.sampled_from([8, 16, 32]), h=st.integers(1, 6), w=st.integers(1, 6))
def test_encode_inverts_decode_and_back(seed, stride, h, w):
    g = torch.Generator().manual_seed(seed)
    a = 3
    t = torch.randn(2, a, h, w, 4, generator=g, dtype=torch.float64) * 2
    anchors = torch.rand(a, 2, generator=g, dtype=torch.float64) * 100 + 1
    boxes = decode_boxes(t, anchors, stride)
    cells = cell_grid(h, w, dtype=torch.float64)[None, None].expand(2, a, h, w, 2)
    back = encode_boxes(boxes, cells, anchors[None, :, None, None, :], stride)
    torch.testing.assert_close(back, t, atol=1e-7, rtol=1e-7)
    # boxes -> t -> boxes, with the cell holding each centre
    centres = torch.rand(10, 2, generator=g, dtype=torch.float64) * torch.tensor([w, h]) * stride
    sizes = torch.rand(10, 2, generator=g, dtype=torch.float64) * 200 + 1
    bx = torch.cat([centres, sizes], dim=1)
    cells = (centres / stride).floor()
    anc = anchors[torch.arange(10) % a]
    tt = encode_boxes(bx, cells, anc, stride)
    rebuilt = torch.cat([(cells + torch.sigmoid(tt[:, :2])) * stride, anc * torch.exp(tt[:, 2:])], dim=1)
    torch.testing.assert_close(rebuilt, bx, atol=1e-4, rtol=1e-9)


def test_anchor_boxes_are_centred_on_cells():
    anchors = torch.tensor([[8.0, 4.0], [2.0, 6.0]])
    boxes = anchor_boxes(anchors, 16, 2, 3)  # (2, 2, 3, 4)
    assert boxes.shape == (2, 2, 3, 4)
    assert boxes[0, 1, 2].tolist() == [40 - 4, 24 - 2, 40 + 4, 24 + 2]
    assert boxes[1, 0, 0].tolist() == [8 - 1, 8 - 3, 8 + 1, 8 + 3]


def test_shape_errors_are_named():
    with pytest.raises(ValueError, match=r"\(B, A, H, W, 4\)"):
        decode_boxes(torch.zeros(1, 3, 2, 2, 5), torch.ones(3, 2), 8)
    with pytest.raises(ValueError, match=r"anchors must have shape \(3, 2\)"):
        decode_boxes(torch.zeros(1, 3, 2, 2, 4), torch.ones(2, 2), 8)


# --- coding="yolov5": b_x = c_x + 2 sigma(t_x) - 0.5 (the notes' coding stays the default) ---


def test_yolov5_decode_entry_by_entry_and_the_default_is_the_notes():
    torch.manual_seed(1)
    t = torch.randn(1, 2, 3, 4, 4, dtype=torch.float64)
    anchors = torch.tensor([[10.0, 13], [16, 30]], dtype=torch.float64)
    out = decode_boxes(t, anchors, 16, coding="yolov5")
    sig = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    for ai, cy, cx in [(0, 0, 0), (1, 2, 3), (1, 1, 0)]:
        tx, ty, tw, th = t[0, ai, cy, cx].tolist()
        pw, ph = anchors[ai].tolist()
        expected = [(cx + 2 * sig(tx) - 0.5) * 16, (cy + 2 * sig(ty) - 0.5) * 16, pw * math.exp(tw), ph * math.exp(th)]
        assert out[0, ai, cy, cx].tolist() == pytest.approx(expected, rel=1e-12)
    torch.testing.assert_close(decode_boxes(t, anchors, 16), decode_boxes(t, anchors, 16, coding="yolov3"))
    assert not torch.allclose(out, decode_boxes(t, anchors, 16))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), stride=st.sampled_from([8, 16, 32]), h=st.integers(1, 6), w=st.integers(1, 6))
def test_yolov5_encode_inverts_decode_and_reaches_half_a_cell_outside(seed, stride, h, w):
    g = torch.Generator().manual_seed(seed)
    a = 3
    t = torch.randn(2, a, h, w, 4, generator=g, dtype=torch.float64) * 2
    anchors = torch.rand(a, 2, generator=g, dtype=torch.float64) * 100 + 1
    boxes = decode_boxes(t, anchors, stride, coding="yolov5")
    cells = cell_grid(h, w, dtype=torch.float64)[None, None].expand(2, a, h, w, 2)
    back = encode_boxes(boxes, cells, anchors[None, :, None, None, :], stride, coding="yolov5")
    torch.testing.assert_close(back, t, atol=1e-7, rtol=1e-7)
    # a centre in the cell next door (within half a cell of the border) is encoded and decoded back exactly
    offset = torch.rand(10, 2, generator=g, dtype=torch.float64) * 1.98 - 0.49  # in (-0.49, 1.49) cells
    cells = torch.randint(0, 5, (10, 2), generator=g).to(torch.float64)
    bx = torch.cat([(cells + offset) * stride, torch.rand(10, 2, generator=g, dtype=torch.float64) * 50 + 1], dim=1)
    anc = anchors[torch.arange(10) % a]
    tt = encode_boxes(bx, cells, anc, stride, coding="yolov5")
    rebuilt = torch.cat([(cells + 2 * torch.sigmoid(tt[:, :2]) - 0.5) * stride, anc * torch.exp(tt[:, 2:])], dim=1)
    torch.testing.assert_close(rebuilt, bx, atol=1e-6, rtol=1e-9)
    # the notes' coding cannot: it clamps the same centres into the cell
    assert not torch.allclose(encode_boxes(bx, cells, anc, stride), tt)


def test_unknown_coding_is_named():
    with pytest.raises(ValueError, match=r"box coding 'yolov4' is not valid; choose from yolov3, yolov5"):
        decode_boxes(torch.zeros(1, 3, 2, 2, 4), torch.ones(3, 2), 8, coding="yolov4")
    with pytest.raises(ValueError, match=r"box coding 'x' is not valid"):
        encode_boxes(torch.ones(4), torch.zeros(2), torch.ones(2), 8, coding="x")


def test_the_model_knows_every_coding_the_coder_decodes():
    """models/ may not import detection/, so the YOLOv3 module names the codings itself: the two lists must agree."""
    from dlbox.detection.coder import CODINGS
    from dlbox.models.yolov3 import BOX_CODINGS

    assert tuple(BOX_CODINGS) == tuple(CODINGS)
