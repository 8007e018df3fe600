"""Target assignment (notes 3.12.1): which prediction is responsible for which ground-truth box.

"For each ground truth bounding box, only the cell at its center and the anchor
with the highest IoU are considered for its prediction." The anchor is chosen
among all ``L x A`` anchors of all scales by shape IoU (:func:`dlbox.ops.wh_iou`),
which also picks the scale. If two boxes claim the same cell and anchor, the
first one (lowest index in its image) keeps it and the other is counted in
``num_dropped``.

The paper's ignore rule: a prediction that is not responsible but whose box
overlaps a ground truth by more than ``ignore_threshold`` gets no objectness
penalty. Its box is either the anchor placed at its cell (the paper's
"bounding box prior", the default) or the decoded prediction (Darknet's
implementation: pass ``candidates``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from dlbox.detection.coder import anchor_boxes, encode_boxes
from dlbox.ops.boxes import batched_box_iou, valid_boxes, wh_iou, xyxy_to_cxcywh


@dataclass(frozen=True)
class ScaleTargets:
    """Targets for one output scale; every tensor is laid out like the predictions ``(B, A, H, W, ...)``."""

    obj: Tensor  # (B, A, H, W) bool: responsible for a ground truth (1_ij^obj)
    ignore: Tensor  # (B, A, H, W) bool: not responsible, overlaps a ground truth > threshold: no objectness loss
    boxes: Tensor  # (B, A, H, W, 4) xyxy pixels of the assigned ground truth, 0 elsewhere
    offsets: Tensor  # (B, A, H, W, 4) the ground truth encoded as (t_x, t_y, t_w, t_h), 0 elsewhere
    labels: Tensor  # (B, A, H, W) long class, -1 elsewhere
    gt_index: Tensor  # (B, A, H, W) long index of the ground truth in its image, -1 elsewhere
    num_dropped: int  # ground truths that lost their cell and anchor to an earlier one


def _check(gt_boxes: Tensor, gt_labels: Tensor, anchors: Tensor, strides: Sequence[int], grid_sizes: Sequence[Sequence[int]]) -> None:
    if gt_boxes.ndim != 3 or gt_boxes.shape[-1] != 4 or gt_labels.shape != gt_boxes.shape[:2]:
        raise ValueError(
            f"assign_targets needs boxes (B, M, 4) and labels (B, M), got {tuple(gt_boxes.shape)} and {tuple(gt_labels.shape)}"
        )
    if anchors.ndim != 3 or anchors.shape[-1] != 2:
        raise ValueError(f"anchors must be (L, A, 2) pixels, one row of A anchors per scale, got {tuple(anchors.shape)}")
    if not len(strides) == len(grid_sizes) == anchors.shape[0]:
        raise ValueError(
            f"need one stride and one grid size per anchor group: {anchors.shape[0]} groups, "
            f"{len(strides)} strides {tuple(strides)}, {len(grid_sizes)} grid sizes"
        )


def _ignore(candidates: Tensor, gt_boxes: Tensor, valid: Tensor, threshold: float) -> Tensor:
    """``(B, A, H, W, 4)`` candidate boxes -> ``(B, A, H, W)``: IoU with some real ground truth > threshold."""
    b = candidates.shape[0]
    if gt_boxes.shape[1] == 0:
        return torch.zeros(candidates.shape[:-1], dtype=torch.bool, device=candidates.device)
    iou = batched_box_iou(candidates.reshape(b, -1, 4), gt_boxes.to(candidates))  # (B, A*H*W, M)
    iou = iou.masked_fill(~valid[:, None, :], 0.0)
    return (iou.max(dim=-1).values > threshold).reshape(candidates.shape[:-1])


def assign_targets(
    gt_boxes: Tensor,
    gt_labels: Tensor,
    anchors: Tensor,
    strides: Sequence[int],
    grid_sizes: Sequence[Sequence[int]],
    ignore_threshold: float = 0.5,
    candidates: Sequence[Tensor] | None = None,
) -> list[ScaleTargets]:
    """Targets for every scale from padded ground truths.

    ``gt_boxes`` ``(B, M, 4)`` xyxy pixels and ``gt_labels`` ``(B, M)`` (rows with
    label -1 or an empty box are padding), ``anchors`` ``(L, A, 2)`` pixels with
    ``strides[l]`` and ``grid_sizes[l] = (H_l, W_l)`` for output ``l``.
    ``candidates[l]`` ``(B, A, H_l, W_l, 4)`` xyxy boxes for the ignore rule
    (default: the anchors at their cells).
    """
    _check(gt_boxes, gt_labels, anchors, strides, grid_sizes)
    device = gt_boxes.device
    n_batch, n_anchors = gt_boxes.shape[0], anchors.shape[1]
    valid = (gt_labels >= 0) & valid_boxes(gt_boxes)  # (B, M)
    bi, mi = valid.nonzero(as_tuple=True)  # (N,), image-major then by index: the first box wins a collision
    gt = xyxy_to_cxcywh(gt_boxes[bi, mi].float())  # (N, 4)
    # notes 3.12.1: the anchor with the highest IoU, over the anchors of all scales
    best = wh_iou(gt[:, 2:], anchors.reshape(-1, 2).to(gt)).argmax(dim=1)  # (N,)
    level, ai = best // n_anchors, best % n_anchors
    out = []
    for lvl, (stride, (h, w)) in enumerate(zip(strides, grid_sizes)):
        size = n_batch * n_anchors * h * w
        sel = (level == lvl).nonzero(as_tuple=True)[0]  # (N_l,)
        # notes 3.12.1: the cell at the centre of the ground truth
        cx = (gt[sel, 0] / stride).floor().clamp(0, w - 1).long()
        cy = (gt[sel, 1] / stride).floor().clamp(0, h - 1).long()
        key = ((bi[sel] * n_anchors + ai[sel]) * h + cy) * w + cx  # flat index into (B, A, H, W)
        order = torch.argsort(key, stable=True)
        first = torch.ones_like(order, dtype=torch.bool)
        first[1:] = key[order][1:] != key[order][:-1]
        win = order[first]  # one ground truth per (image, anchor, cell)
        k, g = key[win], sel[win]
        obj = torch.zeros(size, dtype=torch.bool, device=device)
        obj[k] = True
        boxes = torch.zeros(size, 4, device=device)
        boxes[k] = gt_boxes[bi[g], mi[g]].float()
        offsets = torch.zeros(size, 4, device=device)
        cells = torch.stack([cx[win], cy[win]], dim=1)
        offsets[k] = encode_boxes(gt[g], cells, anchors[lvl].to(gt)[ai[g]], stride)
        labels = torch.full((size,), -1, dtype=torch.long, device=device)
        labels[k] = gt_labels[bi[g], mi[g]].long()
        gt_index = torch.full((size,), -1, dtype=torch.long, device=device)
        gt_index[k] = mi[g]
        shape = (n_batch, n_anchors, h, w)
        obj = obj.reshape(shape)
        if candidates is None:
            cand = anchor_boxes(anchors[lvl].float().to(device), stride, h, w)[None].expand(n_batch, -1, -1, -1, -1)
        else:
            cand = candidates[lvl]
            if cand.shape != (*shape, 4):
                raise ValueError(f"candidates[{lvl}] must have shape {(*shape, 4)}, got {tuple(cand.shape)}")
        ignore = _ignore(cand.detach(), gt_boxes, valid, ignore_threshold) & ~obj
        out.append(
            ScaleTargets(
                obj, ignore, boxes.reshape(*shape, 4), offsets.reshape(*shape, 4),
                labels.reshape(shape), gt_index.reshape(shape), int(len(sel) - len(win)),
            )
        )
    return out
