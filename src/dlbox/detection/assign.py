"""Target assignment (notes 3.12.1): which prediction is responsible for which ground-truth box.

"For each ground truth bounding box, only the cell at its center and the anchor
with the highest IoU are considered for its prediction." The anchor is chosen
among all ``L x A`` anchors of all scales by shape IoU (:func:`dlbox.ops.wh_iou`),
which also picks the scale. If two boxes claim the same cell and anchor, the
first one (lowest index in its image) keeps it and the other is counted in
``num_dropped``. This is :func:`assign_targets` (``detect.assign = "best"``).

:func:`assign_targets_multi` (``detect.assign = "multi"``) keeps that positive
and adds more: every other anchor, at any scale, whose shape IoU with the box
is at least ``assign_threshold`` is also responsible, in the cell holding the
box centre at that anchor's scale (the decoding ``b_x = c_x + sigma(t_x)`` of
notes 3.12.1 still reaches the box from there; neighbouring cells stay
negatives). A best-anchor claim always beats an extra claim on the same cell
and anchor; ``num_dropped`` still counts lost best-anchor claims only. With
more responsible predictions per box the box regression sees more positives
per step; ``dlbox detect train`` uses this rule by default (threshold 0.5).

:func:`assign_targets_neighbours` (``detect.assign = "neighbours"``, YOLOv5's
rule) places each claim of the multi rule also at the two cells nearest the box
centre (the nearer column neighbour and the nearer row neighbour), up to three
times the positives. Their offsets use the ``yolov5`` coding
``b_x = c_x + 2 sigma(t_x) - 0.5`` (:mod:`dlbox.detection.coder`), which reaches
half a cell beyond the cell; the model then decodes so (its ``box_coding``).

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


def _claims_best(gt_wh: Tensor, anchors: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """``(N, 2)`` box sizes -> (ground truth, flat anchor over all scales, is-best) per claim: one per box."""
    # notes 3.12.1: the anchor with the highest IoU, over the anchors of all scales
    best = wh_iou(gt_wh, anchors.reshape(-1, 2).to(gt_wh)).argmax(dim=1)  # (N,)
    n = torch.arange(len(best), device=gt_wh.device)
    return n, best, torch.ones_like(n, dtype=torch.bool)


def _claims_multi(gt_wh: Tensor, anchors: Tensor, threshold: float) -> tuple[Tensor, Tensor, Tensor]:
    """The best claims, then one per other anchor with shape IoU >= ``threshold`` (best claims first)."""
    iou = wh_iou(gt_wh, anchors.reshape(-1, 2).to(gt_wh))  # (N, L*A)
    n, best, is_best = _claims_best(gt_wh, anchors)
    extra = iou >= threshold
    extra[n, best] = False
    en, ea = extra.nonzero(as_tuple=True)  # (E,), box-major: the first box wins among extra claims
    return torch.cat([n, en]), torch.cat([best, ea]), torch.cat([is_best, torch.zeros_like(en, dtype=torch.bool)])


def _targets(
    gt_boxes: Tensor, gt_labels: Tensor, anchors: Tensor, strides: Sequence[int], grid_sizes: Sequence[Sequence[int]],
    ignore_threshold: float, candidates: Sequence[Tensor] | None, claim: str, assign_threshold: float,
    neighbours: bool = False,
) -> list[ScaleTargets]:
    """Every rule: the claims (box, anchor) of ``claim`` placed at the box centre's cell (and, with
    ``neighbours``, the two nearest neighbouring cells, encoded in the yolov5 coding), then the ignore rule."""
    coding = "yolov5" if neighbours else "yolov3"
    _check(gt_boxes, gt_labels, anchors, strides, grid_sizes)
    device = gt_boxes.device
    n_batch, n_anchors = gt_boxes.shape[0], anchors.shape[1]
    valid = (gt_labels >= 0) & valid_boxes(gt_boxes)  # (B, M)
    bi, mi = valid.nonzero(as_tuple=True)  # (N,), image-major then by index: the first box wins a collision
    gt = xyxy_to_cxcywh(gt_boxes[bi, mi].float())  # (N, 4)
    if claim == "best":
        cn, ca, cbest = _claims_best(gt[:, 2:], anchors)  # (K,) each, K = N
    else:
        cn, ca, cbest = _claims_multi(gt[:, 2:], anchors, assign_threshold)  # (K,) each, K >= N
    level, ai = ca // n_anchors, ca % n_anchors
    out = []
    for lvl, (stride, (h, w)) in enumerate(zip(strides, grid_sizes)):
        size = n_batch * n_anchors * h * w
        sel = (level == lvl).nonzero(as_tuple=True)[0]  # (K_l,) claims at this scale, in priority order
        g_all, a_all, best_all = cn[sel], ai[sel], cbest[sel]
        # notes 3.12.1: the cell at the centre of the ground truth
        cx = (gt[g_all, 0] / stride).floor().clamp(0, w - 1).long()
        cy = (gt[g_all, 1] / stride).floor().clamp(0, h - 1).long()
        if neighbours:
            g_all, a_all, best_all, cx, cy = _with_neighbours(gt[g_all, :2] / stride, g_all, a_all, best_all, cx, cy, h, w)
        key = ((bi[g_all] * n_anchors + a_all) * h + cy) * w + cx  # flat index into (B, A, H, W)
        order = torch.argsort(key, stable=True)
        first = torch.ones_like(order, dtype=torch.bool)
        first[1:] = key[order][1:] != key[order][:-1]
        win = order[first]  # one claim per (image, anchor, cell)
        k, g, a = key[win], g_all[win], a_all[win]
        obj = torch.zeros(size, dtype=torch.bool, device=device)
        obj[k] = True
        boxes = torch.zeros(size, 4, device=device)
        boxes[k] = gt_boxes[bi[g], mi[g]].float()
        offsets = torch.zeros(size, 4, device=device)
        cells = torch.stack([cx[win], cy[win]], dim=1)
        offsets[k] = encode_boxes(gt[g], cells, anchors[lvl].to(gt)[a], stride, coding=coding)
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
        dropped = int(best_all.sum()) - int(best_all[win].sum())
        out.append(
            ScaleTargets(
                obj, ignore, boxes.reshape(*shape, 4), offsets.reshape(*shape, 4),
                labels.reshape(shape), gt_index.reshape(shape), dropped,
            )
        )
    return out


def _with_neighbours(
    centre: Tensor, g: Tensor, a: Tensor, best: Tensor, cx: Tensor, cy: Tensor, h: int, w: int,
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Claims at their centre cells -> the same claims, then copies at the nearer column and the nearer row neighbour.

    ``centre (K, 2)`` is the box centre in cells. YOLOv5: the neighbour on the side of the cell the centre
    is closer to, horizontally and vertically, when it lies inside the map (its decoded centre,
    ``c_x + 2 sigma(t_x) - 0.5``, can still reach the box: the centre is within half a cell of it). The
    copies come after every centre claim, so a centre claim wins a collision; they never count as best.
    """
    frac = centre - torch.stack([cx, cy], dim=1).to(centre)  # (K, 2) in [0, 1)
    step = torch.where(frac < 0.5, -1, 1)  # (K, 2): towards the nearer neighbour
    nx, ny = cx + step[:, 0], cy + step[:, 1]
    okx, oky = (nx >= 0) & (nx < w), (ny >= 0) & (ny < h)
    copies = torch.zeros(int(okx.sum()) + int(oky.sum()), dtype=torch.bool, device=best.device)
    return (torch.cat([g, g[okx], g[oky]]), torch.cat([a, a[okx], a[oky]]), torch.cat([best, copies]),
            torch.cat([cx, nx[okx], cx[oky]]), torch.cat([cy, cy[okx], ny[oky]]))


def _check_threshold(assign_threshold: float) -> None:
    if not 0 <= assign_threshold <= 1:
        raise ValueError(f"assign_threshold must lie in [0, 1], got {assign_threshold}")


def assign_targets(
    gt_boxes: Tensor,
    gt_labels: Tensor,
    anchors: Tensor,
    strides: Sequence[int],
    grid_sizes: Sequence[Sequence[int]],
    ignore_threshold: float = 0.5,
    candidates: Sequence[Tensor] | None = None,
) -> list[ScaleTargets]:
    """Targets for every scale by the notes' rule: one positive per ground truth (its best anchor, its centre cell).

    ``gt_boxes`` ``(B, M, 4)`` xyxy pixels and ``gt_labels`` ``(B, M)`` (rows with
    label -1 or an empty box are padding), ``anchors`` ``(L, A, 2)`` pixels with
    ``strides[l]`` and ``grid_sizes[l] = (H_l, W_l)`` for output ``l``.
    ``candidates[l]`` ``(B, A, H_l, W_l, 4)`` xyxy boxes for the ignore rule
    (default: the anchors at their cells).
    """
    return _targets(gt_boxes, gt_labels, anchors, strides, grid_sizes, ignore_threshold, candidates, "best", 1.0)


def assign_targets_multi(
    gt_boxes: Tensor,
    gt_labels: Tensor,
    anchors: Tensor,
    strides: Sequence[int],
    grid_sizes: Sequence[Sequence[int]],
    ignore_threshold: float = 0.5,
    candidates: Sequence[Tensor] | None = None,
    assign_threshold: float = 0.5,
) -> list[ScaleTargets]:
    """Like :func:`assign_targets`, plus every anchor with shape IoU >= ``assign_threshold`` at its centre cell.

    Same arguments; the best anchor is always responsible, so this gives at least
    the positives of :func:`assign_targets`.
    """
    _check_threshold(assign_threshold)
    return _targets(gt_boxes, gt_labels, anchors, strides, grid_sizes, ignore_threshold, candidates, "multi", assign_threshold)


def assign_targets_neighbours(
    gt_boxes: Tensor,
    gt_labels: Tensor,
    anchors: Tensor,
    strides: Sequence[int],
    grid_sizes: Sequence[Sequence[int]],
    ignore_threshold: float = 0.5,
    candidates: Sequence[Tensor] | None = None,
    assign_threshold: float = 0.5,
) -> list[ScaleTargets]:
    """Like :func:`assign_targets_multi`, each claim also at the two cells next to the box centre (YOLOv5).

    The offsets are encoded in the ``yolov5`` coding (:mod:`dlbox.detection.coder`:
    ``b_x = c_x + 2 sigma(t_x) - 0.5``): a model trained on these targets must be decoded so.
    """
    _check_threshold(assign_threshold)
    return _targets(gt_boxes, gt_labels, anchors, strides, grid_sizes, ignore_threshold, candidates, "multi", assign_threshold, True)
