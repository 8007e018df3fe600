"""Box-aware augmentation: boxes follow the pixels, agree with torchvision transforms v2, padding stays padding."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.tasks.detect.augment import AffineDraw, AugmentParams, affine_boxes, affine_images, augment_detection, jitter_colour


def _v2_boxes(boxes: torch.Tensor, ax: float, tx: float, ty: float, h: int, w: int) -> torch.Tensor:
    """torchvision's reference: horizontal flip (when ax < 0), then an affine zoom |ax| and shift about the centre."""
    from torchvision import tv_tensors
    from torchvision.transforms.v2 import functional as F

    b = tv_tensors.BoundingBoxes(boxes, format="XYXY", canvas_size=(h, w))
    if ax < 0:
        b = F.horizontal_flip(b)
    return F.affine(b, angle=0.0, translate=[tx, ty], scale=abs(ax), shear=[0.0, 0.0]).as_subclass(torch.Tensor)


@settings(max_examples=40, deadline=None)
@given(
    s=st.floats(0.6, 1.5), flip=st.booleans(), tx=st.floats(-12, 12), ty=st.floats(-12, 12),
    x1=st.floats(0, 40), y1=st.floats(0, 30), w=st.floats(3, 20), h=st.floats(3, 25),
)
def test_boxes_match_torchvision_v2(s, flip, tx, ty, x1, y1, w, h):
    H, W = 56, 64
    box = torch.tensor([[x1, y1, min(x1 + w, W), min(y1 + h, H)]])
    ax = -s if flip else s
    draw = AffineDraw(torch.tensor([ax]), torch.tensor([s]), torch.tensor([tx]), torch.tensor([ty]))
    ours, labels = affine_boxes(box[None], torch.tensor([[1]]), draw, H, W, min_visible=0.0)
    ref = _v2_boxes(box, ax, tx, ty, H, W)
    rw, rh = ref[0, 2] - ref[0, 0], ref[0, 3] - ref[0, 1]
    if rw >= 2 and rh >= 2:  # boxes v2 keeps with some size are ours too, at the same place
        assert int(labels[0, 0]) == 1
        assert torch.allclose(ours[0], ref, atol=1e-4), (ours, ref)
    else:
        assert int(labels[0, 0]) == -1 and bool((ours == -1).all())


def test_boxes_follow_the_pixels():
    """A white square on black: after the warp, the box of the bright pixels is the transformed box."""
    img = torch.zeros(2, 3, 64, 64)
    img[:, :, 10:30, 20:44] = 1.0
    boxes = torch.tensor([[[20.0, 10.0, 44.0, 30.0]]]).repeat(2, 1, 1)
    draw = AffineDraw(torch.tensor([1.2, -0.8]), torch.tensor([1.2, 0.8]), torch.tensor([5.0, -7.0]), torch.tensor([-3.0, 9.0]))
    out = affine_images(img, draw, fill=0.0)
    moved, labels = affine_boxes(boxes, torch.tensor([[0], [0]]), draw, 64, 64)
    for i in range(2):
        ys, xs = (out[i, 0] > 0.5).nonzero(as_tuple=True)
        found = torch.tensor([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], dtype=torch.float32)
        assert torch.allclose(found, moved[i, 0], atol=1.01), (found, moved[i, 0])
    assert labels.tolist() == [[0], [0]]


def test_boxes_pushed_out_become_padding_and_padding_stays():
    boxes = torch.tensor([[[2.0, 2.0, 10.0, 10.0], [30.0, 30.0, 40.0, 40.0], [-1.0, -1.0, -1.0, -1.0]]])
    labels = torch.tensor([[0, 2, -1]])
    draw = AffineDraw(torch.tensor([1.0]), torch.tensor([1.0]), torch.tensor([-9.0]), torch.tensor([0.0]))  # left by 9 px
    out, lab = affine_boxes(boxes, labels, draw, 64, 64, min_visible=0.3)
    assert lab.tolist() == [[-1, 2, -1]]  # 1 of 8 px left visible: dropped
    assert out[0, 1].tolist() == [21.0, 30.0, 31.0, 40.0] and bool((out[0, [0, 2]] == -1).all())


def test_identity_draw_changes_nothing():
    img = torch.rand(3, 3, 32, 32)
    one, zero = torch.ones(3), torch.zeros(3)
    out = affine_images(img, AffineDraw(one, one, zero, zero))
    assert torch.allclose(out, img, atol=1e-5)


def test_colour_jitter_stays_in_range_and_zero_strength_is_identity():
    img = torch.rand(4, 3, 16, 16)
    assert torch.allclose(jitter_colour(img, 0.0), img, atol=1e-6)
    out = jitter_colour(img, 0.5)
    assert out.shape == img.shape and float(out.min()) >= 0 and float(out.max()) <= 1 and not torch.allclose(out, img)


def test_augment_batch_varies_per_image_and_is_seeded():
    img = torch.rand(16, 3, 32, 32)
    boxes = torch.tensor([[[4.0, 4.0, 20.0, 20.0]]]).repeat(16, 1, 1)
    labels = torch.zeros(16, 1, dtype=torch.long)
    torch.manual_seed(0)
    a = augment_detection(img, boxes, labels)
    torch.manual_seed(0)
    b = augment_detection(img, boxes, labels)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    kept = a[2][:, 0] >= 0
    assert len({tuple(r) for r in a[1][kept, 0].round().tolist()}) > 8  # each image its own draw
    assert a[0].shape == img.shape


def test_params_shape_the_draw():
    from dlbox.tasks.detect.augment import draw_affine

    torch.manual_seed(0)
    d = draw_affine(2000, 40, 50, AugmentParams(flip=0.0, scale=(0.9, 1.1), shift=0.1))
    assert bool((d.ax > 0).all()) and float(d.sy.min()) >= 0.9 and float(d.sy.max()) <= 1.1
    assert float(d.tx.abs().max()) <= 5 and float(d.ty.abs().max()) <= 4
    flipped = draw_affine(2000, 40, 50, AugmentParams(flip=0.5))
    assert 0.4 < float((flipped.ax < 0).float().mean()) < 0.6


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_dtypes(dtype):
    img = torch.rand(2, 3, 32, 32).to(dtype)
    out, b, lab = augment_detection(img, torch.tensor([[[4.0, 4.0, 20.0, 20.0]]]).repeat(2, 1, 1), torch.zeros(2, 1, dtype=torch.long))
    assert out.dtype == dtype and b.shape == (2, 1, 4)
