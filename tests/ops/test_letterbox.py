"""Letterboxing keeps the aspect ratio, centres the image, and its box mapping inverts exactly."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.ops.letterbox import letterbox, letterbox_boxes, letterbox_params, unletterbox_boxes


def test_wide_image_is_scaled_to_the_width_and_padded_top_and_bottom():
    img = torch.rand(2, 3, 20, 40)
    out, lb = letterbox(img, 32, fill=0.25)
    assert out.shape == (2, 3, 32, 32)
    assert (lb.scale_x, lb.scale_y, lb.pad_x, lb.pad_y) == (0.8, 0.8, 0, 8)
    assert (out[..., :8, :] == 0.25).all() and (out[..., 24:, :] == 0.25).all()
    assert not (out[..., 8:24, :] == 0.25).all()
    single, lb1 = letterbox(img[0], (32, 32))
    assert single.shape == (3, 32, 32) and lb1 == lb


def test_a_drawn_rectangle_lands_where_letterbox_boxes_puts_it():
    img = torch.zeros(1, 1, 30, 60)
    img[..., 6:18, 12:36] = 1.0  # box (12, 6, 36, 18) xyxy
    out, lb = letterbox(img, (40, 40), fill=0.0)
    x1, y1, x2, y2 = letterbox_boxes(torch.tensor([12.0, 6, 36, 18]), lb).tolist()
    inside = out[0, 0, round(y1) + 1 : round(y2) - 1, round(x1) + 1 : round(x2) - 1]
    assert (inside > 0.9).all()
    outside = out[0, 0].clone()
    outside[max(0, round(y1) - 1) : round(y2) + 1, max(0, round(x1) - 1) : round(x2) + 1] = 0
    assert outside.abs().max() < 1e-6


@settings(max_examples=60, deadline=None)
@given(h=st.integers(5, 200), w=st.integers(5, 200), oh=st.integers(8, 128), ow=st.integers(8, 128))
def test_box_mapping_round_trips_and_keeps_aspect(h, w, oh, ow):
    lb = letterbox_params((h, w), (oh, ow))
    nh, nw = round(h * lb.scale_y), round(w * lb.scale_x)
    assert nh <= oh and nw <= ow and (nh == oh or nw == ow or abs(nh - oh) <= 1 or abs(nw - ow) <= 1)
    assert 0 <= lb.pad_x <= ow - nw and 0 <= lb.pad_y <= oh - nh
    boxes = torch.tensor([[0.0, 0, w, h], [w * 0.2, h * 0.3, w * 0.6, h * 0.9]], dtype=torch.float64)
    back = unletterbox_boxes(letterbox_boxes(boxes, lb), lb)
    torch.testing.assert_close(back, boxes)


def test_unletterbox_clips_to_the_original_image():
    lb = letterbox_params((20, 40), 32)
    out = unletterbox_boxes(torch.tensor([[-5.0, 0, 40, 40]]), lb)
    assert out.tolist() == [[0.0, 0.0, 40.0, 20.0]]


def test_bad_sizes_are_named():
    with pytest.raises(ValueError, match="positive"):
        letterbox(torch.rand(3, 8, 8), 0)
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        letterbox(torch.rand(8, 8), 4)
