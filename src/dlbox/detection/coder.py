"""YOLOv3 box coding (notes 3.12.1): network offsets ``t`` <-> boxes in pixels.

For the cell at column ``c_x``, row ``c_y`` of a map with stride ``s`` and an
anchor of ``(p_w, p_h)`` pixels::

    b_x = (c_x + sigma(t_x)) * s      b_w = p_w * exp(t_w)
    b_y = (c_y + sigma(t_y)) * s      b_h = p_h * exp(t_h)

(the notes give the centre in map units and the anchor in map units, p_w / s;
multiplying by ``s`` gives pixels). :func:`encode_boxes` is the inverse.

A second coding, ``coding="yolov5"`` (YOLOv5's centre; not in the notes), lets a
prediction reach half a cell beyond its own on every side, so that the cells
next to a box's centre can be made responsible for it too
(:func:`dlbox.detection.assign.assign_targets_neighbours`)::

    b_x = (c_x + 2 sigma(t_x) - 0.5) * s      b_w = p_w * exp(t_w)   (sizes as above)

``CODINGS`` names both; ``"yolov3"`` (the notes') is every function's default.
"""

from __future__ import annotations

import torch
from torch import Tensor

#: yolov3: b_x = c_x + sigma(t_x) (notes 3.12.1) | yolov5: b_x = c_x + 2 sigma(t_x) - 0.5 (centre in (-0.5, 1.5))
CODINGS = ("yolov3", "yolov5")


def cell_grid(height: int, width: int, device: torch.device | None = None, dtype: torch.dtype = torch.float32) -> Tensor:
    """``(H, W, 2)`` cell coordinates: ``[..., 0] = c_x`` (column), ``[..., 1] = c_y`` (row)."""
    ys, xs = torch.meshgrid(
        torch.arange(height, device=device, dtype=dtype), torch.arange(width, device=device, dtype=dtype), indexing="ij"
    )
    return torch.stack([xs, ys], dim=-1)


def _check_anchors(anchors: Tensor, a: int) -> None:
    if anchors.shape != (a, 2):
        raise ValueError(f"anchors must have shape ({a}, 2) to match {a} predictions per cell, got {tuple(anchors.shape)}")


def _check_coding(coding: str) -> None:
    if coding not in CODINGS:
        raise ValueError(f"box coding {coding!r} is not valid; choose from {', '.join(CODINGS)}")


def centre_offset(t_xy: Tensor, coding: str = "yolov3") -> Tensor:
    """The centre's offset from its cell's corner in cells: ``sigma(t)`` (yolov3) or ``2 sigma(t) - 0.5`` (yolov5)."""
    _check_coding(coding)
    if coding == "yolov5":
        # YOLOv5 (Jocher et al., 2020): b_x = c_x + 2 sigma(t_x) - 0.5, a centre up to half a cell outside
        return 2.0 * torch.sigmoid(t_xy) - 0.5
    # notes 3.12.1: b_x = c_x + sigma(t_x)
    return torch.sigmoid(t_xy)


def decode_boxes(t: Tensor, anchors: Tensor, stride: int, coding: str = "yolov3") -> Tensor:
    """``(B, A, H, W, 4)`` offsets ``(t_x, t_y, t_w, t_h)`` -> ``(B, A, H, W, 4)`` cxcywh boxes in pixels.

    ``anchors`` is ``(A, 2)`` in pixels; ``stride`` is the map's stride in pixels; ``coding``
    one of ``CODINGS`` (the centre's formula; sizes are the notes' in both).
    """
    if t.ndim != 5 or t.shape[-1] != 4:
        raise ValueError(f"decode_boxes needs offsets of shape (B, A, H, W, 4), got {tuple(t.shape)}")
    _check_anchors(anchors, t.shape[1])
    grid = cell_grid(t.shape[2], t.shape[3], t.device, t.dtype)  # (H, W, 2)
    # notes 3.12.1: b_x = c_x + sigma(t_x), b_y = c_y + sigma(t_y)  (times the stride: pixels); yolov5: 2 sigma - 0.5
    xy = (grid + centre_offset(t[..., :2], coding)) * stride  # (B, A, H, W, 2)
    # notes 3.12.1: b_w = p_w e^{t_w}, b_h = p_h e^{t_h}
    wh = anchors.to(t)[None, :, None, None, :] * torch.exp(t[..., 2:])  # (B, A, H, W, 2)
    return torch.cat([xy, wh], dim=-1)


def encode_boxes(boxes: Tensor, cells: Tensor, anchors: Tensor, stride: int, eps: float = 1e-6, coding: str = "yolov3") -> Tensor:
    """Inverse of :func:`decode_boxes` for chosen cells: ``(..., 4)`` cxcywh pixels -> ``(..., 4)`` offsets ``t``.

    ``cells`` ``(..., 2)`` holds each box's ``(c_x, c_y)``; ``anchors`` ``(..., 2)``
    its anchor in pixels (all three broadcast). A centre on a cell border is
    clamped ``eps`` inside the cell, where the logit is finite (yolov5: inside ``(-0.5, 1.5)``).
    """
    _check_coding(coding)
    if boxes.shape[-1] != 4 or cells.shape[-1] != 2 or anchors.shape[-1] != 2:
        raise ValueError(
            f"encode_boxes needs boxes (..., 4), cells (..., 2), anchors (..., 2); "
            f"got {tuple(boxes.shape)}, {tuple(cells.shape)}, {tuple(anchors.shape)}"
        )
    offset = boxes[..., :2] / stride - cells.to(boxes)  # b_x - c_x in cells
    if coding == "yolov5":
        offset = (offset + 0.5) / 2  # YOLOv5: sigma(t_x) = (b_x - c_x + 0.5) / 2
    offset = offset.clamp(eps, 1 - eps)  # sigma(t_x), sigma(t_y)
    t_xy = torch.logit(offset)
    t_wh = torch.log(boxes[..., 2:] / anchors.to(boxes))  # t_w = log(b_w / p_w)
    return torch.cat([t_xy, t_wh], dim=-1)


def anchor_boxes(anchors: Tensor, stride: int, height: int, width: int) -> Tensor:
    """``(A, H, W, 4)`` xyxy boxes of every anchor placed at every cell centre (the 'bounding box priors')."""
    grid = (cell_grid(height, width, anchors.device, anchors.dtype) + 0.5) * stride  # (H, W, 2) centres
    half = anchors[:, None, None, :] / 2  # (A, 1, 1, 2)
    return torch.cat([grid - half, grid + half], dim=-1)  # (A, H, W, 4)
