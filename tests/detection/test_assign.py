"""Target assignment (notes 3.12.1) against a per-box loop that follows the notes literally; the multi-anchor variant."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dlbox.data.shapes import generate_shapes
from dlbox.detection.assign import assign_targets, assign_targets_multi, assign_targets_neighbours
from dlbox.detection.coder import decode_boxes
from dlbox.ops.anchors import group_anchors, yolov3_anchors
from dlbox.ops.boxes import iou_reference, wh_iou, xyxy_to_cxcywh

SIZE = 64
STRIDES = (32, 16, 8)
GRIDS = [(SIZE // s, SIZE // s) for s in STRIDES]
ANCHORS = group_anchors(yolov3_anchors(SIZE), STRIDES)  # (3, 3, 2)


def reference(gt_boxes, gt_labels, anchors, strides, grids, threshold, multi=None):
    """One ground truth at a time: best anchor by centred IoU over all scales, the cell at its centre.

    ``multi``: then, box by box, every other anchor with centred IoU >= multi at its scale's centre cell.
    """
    b_n, a_n = gt_labels.shape[0], anchors.shape[1]
    obj = [torch.zeros(b_n, a_n, h, w, dtype=torch.bool) for h, w in grids]
    labels = [torch.full((b_n, a_n, h, w), -1) for h, w in grids]
    claims = {"best": [], "extra": []}
    for b in range(b_n):
        for m in range(gt_labels.shape[1]):
            x1, y1, x2, y2 = gt_boxes[b, m].tolist()
            if gt_labels[b, m] < 0 or x2 <= x1 or y2 <= y1:
                continue
            cx, cy, w, h = (x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1
            best, where, ious = -1.0, None, {}
            for lvl in range(len(strides)):
                for a in range(a_n):
                    pw, ph = anchors[lvl, a].tolist()
                    iou = iou_reference((-w / 2, -h / 2, w / 2, h / 2), (-pw / 2, -ph / 2, pw / 2, ph / 2))
                    ious[lvl, a] = iou
                    if iou > best:
                        best, where = iou, (lvl, a)
            claims["best"].append((b, m, cx, cy, *where))
            if multi is not None:
                claims["extra"] += [(b, m, cx, cy, lvl, a) for (lvl, a), iou in ious.items() if (lvl, a) != where and iou >= multi - 1e-6]
    for b, m, cx, cy, lvl, a in claims["best"] + claims["extra"]:  # best claims first, then extras, each box by box
        s = strides[lvl]
        i, j = min(int(cx // s), grids[lvl][1] - 1), min(int(cy // s), grids[lvl][0] - 1)
        if not obj[lvl][b, a, j, i]:  # first claim wins the cell
            obj[lvl][b, a, j, i] = True
            labels[lvl][b, a, j, i] = int(gt_labels[b, m])
    ignore = []
    for lvl, (h, w) in enumerate(grids):
        ign = torch.zeros(b_n, a_n, h, w, dtype=torch.bool)
        s = strides[lvl]
        for b in range(b_n):
            real = [gt_boxes[b, m].tolist() for m in range(gt_labels.shape[1]) if gt_labels[b, m] >= 0]
            for a in range(a_n):
                pw, ph = anchors[lvl, a].tolist()
                for j in range(h):
                    for i in range(w):
                        prior = ((i + 0.5) * s - pw / 2, (j + 0.5) * s - ph / 2, (i + 0.5) * s + pw / 2, (j + 0.5) * s + ph / 2)
                        overlap = any(iou_reference(prior, g) > threshold for g in real)
                        ign[b, a, j, i] = overlap and not obj[lvl][b, a, j, i]
        ignore.append(ign)
    return obj, labels, ignore


@st.composite
def scenes(draw):
    b, m = draw(st.integers(1, 3)), draw(st.integers(0, 4))
    rows = []
    for _ in range(b * m):
        x, y = draw(st.integers(0, SIZE - 2)), draw(st.integers(0, SIZE - 2))
        w, h = draw(st.integers(1, SIZE - x)), draw(st.integers(1, SIZE - y))
        rows.append((x, y, x + w, y + h))
    boxes = torch.tensor(rows, dtype=torch.float32).reshape(b, m, 4)
    labels = torch.tensor(draw(st.lists(st.integers(-1, 2), min_size=b * m, max_size=b * m))).reshape(b, m)
    return boxes, labels


@settings(max_examples=40, deadline=None)
@given(scene=scenes(), threshold=st.sampled_from([0.3, 0.5, 0.7]))
def test_vectorised_assignment_equals_the_per_box_loop(scene, threshold):
    boxes, labels = scene
    targets = assign_targets(boxes, labels, ANCHORS, STRIDES, GRIDS, ignore_threshold=threshold)
    obj, lab, ign = reference(boxes, labels, ANCHORS, STRIDES, GRIDS, threshold)
    for lvl, t in enumerate(targets):
        assert torch.equal(t.obj, obj[lvl])
        assert torch.equal(t.labels, lab[lvl])
        assert torch.equal(t.ignore, ign[lvl])
        assert torch.equal(t.gt_index >= 0, t.obj)
    n_real = int((labels >= 0).sum())
    assert sum(int(t.obj.sum()) + t.num_dropped for t in targets) == n_real


def test_one_box_by_hand_and_its_offsets_decode_back():
    boxes = torch.tensor([[[4.0, 20.0, 20.0, 50.0], [0, 0, 0, 0]]])  # centre (12, 35), 16 x 30
    labels = torch.tensor([[2, -1]])
    anchors = group_anchors(yolov3_anchors(416), STRIDES)  # the published pixels, one of them (16, 30)
    targets = assign_targets(boxes, labels, anchors, STRIDES, GRIDS)
    # (16, 30) is the second smallest of the 9 anchors: stride-8 map, anchor 1, cell (12 // 8, 35 // 8) = (1, 4)
    wh = xyxy_to_cxcywh(boxes[0, :1])[0, 2:]
    assert wh.tolist() == [16.0, 30.0]
    t8 = targets[2]
    assert t8.obj.sum() == 1 and bool(t8.obj[0, 1, 4, 1])
    assert int(t8.labels[0, 1, 4, 1]) == 2 and int(t8.gt_index[0, 1, 4, 1]) == 0
    assert t8.boxes[0, 1, 4, 1].tolist() == boxes[0, 0].tolist()
    assert not targets[0].obj.any() and not targets[1].obj.any()
    decoded = decode_boxes(t8.offsets, anchors[2], 8)[0, 1, 4, 1]
    torch.testing.assert_close(decoded, xyxy_to_cxcywh(boxes[0, 0]), atol=1e-4, rtol=1e-5)


def test_collisions_keep_the_first_box_and_are_counted():
    boxes = torch.tensor([[[10.0, 10, 30, 30], [11, 11, 29, 29]]])  # same cell, same best anchor
    targets = assign_targets(boxes, torch.tensor([[0, 1]]), ANCHORS, STRIDES, GRIDS)
    assert sum(int(t.obj.sum()) for t in targets) == 1
    assert sum(t.num_dropped for t in targets) == 1
    kept = [t for t in targets if t.obj.any()][0]
    assert int(kept.labels[kept.obj]) == 0


def test_decoded_predictions_as_ignore_candidates():
    boxes = torch.tensor([[[8.0, 8, 40, 40]]])
    labels = torch.tensor([[0]])
    cands = [torch.zeros(1, 3, h, w, 4) for h, w in GRIDS]
    cands[1][0, 0, 3, 3] = torch.tensor([9.0, 9, 40, 40])  # IoU 0.94 with the box, not responsible
    cands[1][0, 1, 0, 0] = torch.tensor([30.0, 30, 60, 60])  # IoU small
    targets = assign_targets(boxes, labels, ANCHORS, STRIDES, GRIDS, candidates=cands)
    assert bool(targets[1].ignore[0, 0, 3, 3]) and int(targets[1].ignore.sum()) == 1
    assert not targets[0].ignore.any() and not targets[2].ignore.any()
    with pytest.raises(ValueError, match=r"candidates\[0\] must have shape"):
        assign_targets(boxes, labels, ANCHORS, STRIDES, GRIDS, candidates=[torch.zeros(1, 3, 1, 1, 4)] * 3)


def test_generated_shapes_are_assigned_once_each():
    data = generate_shapes(4, seed=1, size=SIZE, min_objects=1, max_objects=3)
    targets = assign_targets(data["boxes"], data["box_labels"], ANCHORS, STRIDES, GRIDS)
    n_real = int((data["box_labels"] >= 0).sum())
    assert sum(int(t.obj.sum()) + t.num_dropped for t in targets) == n_real
    assert all(not (t.obj & t.ignore).any() for t in targets)
    got = torch.cat([t.labels[t.obj] for t in targets]).sort().values
    if sum(t.num_dropped for t in targets) == 0:
        assert torch.equal(got, data["box_labels"][data["box_labels"] >= 0].sort().values)


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match=r"boxes \(B, M, 4\)"):
        assign_targets(torch.zeros(2, 4), torch.zeros(2, dtype=torch.long), ANCHORS, STRIDES, GRIDS)
    with pytest.raises(ValueError, match="one stride and one grid size per anchor group"):
        assign_targets(torch.zeros(1, 1, 4), torch.zeros(1, 1, dtype=torch.long), ANCHORS, STRIDES[:2], GRIDS[:2])


# --- assign=multi: besides the best anchor, every anchor of shape IoU >= assign_threshold ---


@settings(max_examples=30, deadline=None)
@given(scene=scenes(), multi=st.sampled_from([0.2, 0.3, 0.5]))
def test_multi_assignment_equals_the_per_box_loop(scene, multi):
    boxes, labels = scene
    targets = assign_targets_multi(boxes, labels, ANCHORS, STRIDES, GRIDS, ignore_threshold=0.5, assign_threshold=multi)
    obj, lab, ign = reference(boxes, labels, ANCHORS, STRIDES, GRIDS, 0.5, multi=multi)
    for lvl, t in enumerate(targets):
        assert torch.equal(t.obj, obj[lvl])
        assert torch.equal(t.labels, lab[lvl])
        assert torch.equal(t.ignore, ign[lvl])  # the paper's ignore rule, around the (larger) set of positives
        assert not (t.obj & t.ignore).any()


@settings(max_examples=40, deadline=None)
@given(scene=scenes(), multi=st.floats(0.05, 0.95))
def test_multi_keeps_the_best_positives_and_adds_only_anchors_above_the_threshold(scene, multi):
    boxes, labels = scene
    best = assign_targets(boxes, labels, ANCHORS, STRIDES, GRIDS)
    more = assign_targets_multi(boxes, labels, ANCHORS, STRIDES, GRIDS, assign_threshold=multi)
    assert sum(int(t.obj.sum()) for t in more) >= sum(int(t.obj.sum()) for t in best)
    assert sum(t.num_dropped for t in more) == sum(t.num_dropped for t in best)
    flat = ANCHORS.reshape(-1, 2)
    for lvl, (b, m) in enumerate(zip(best, more)):
        assert not (b.obj & ~m.obj).any()  # every positive of the notes' rule stays one, with the same box
        assert torch.equal(m.gt_index[b.obj], b.gt_index[b.obj])
        assert torch.equal(m.offsets[b.obj], b.offsets[b.obj])
        img, a, j, i = m.obj.nonzero(as_tuple=True)
        gt = xyxy_to_cxcywh(boxes[img, m.gt_index[img, a, j, i]])  # (P, 4)
        ious = wh_iou(gt[:, 2:], flat)  # (P, L*A)
        own = ious[torch.arange(len(a)), lvl * ANCHORS.shape[1] + a]
        is_best = ious.argmax(dim=1) == lvl * ANCHORS.shape[1] + a
        assert bool(((own >= multi - 1e-6) | is_best).all())
        # the positive sits in the cell holding the box centre at this scale (b_x = c_x + sigma(t_x))
        s = STRIDES[lvl]
        assert torch.equal(i, (gt[:, 0] // s).clamp(max=GRIDS[lvl][1] - 1).long())
        assert torch.equal(j, (gt[:, 1] // s).clamp(max=GRIDS[lvl][0] - 1).long())
        # encoding then decoding every assigned offset gives the box back
        decoded = decode_boxes(m.offsets, ANCHORS[lvl], s)[m.obj]  # (P, 4) cxcywh
        torch.testing.assert_close(decoded, xyxy_to_cxcywh(m.boxes[m.obj]), atol=1e-3, rtol=1e-4)
        torch.testing.assert_close(m.boxes[m.obj], boxes[img, m.gt_index[img, a, j, i]])


def test_multi_on_generated_scenes_gives_more_positives_than_best():
    data = generate_shapes(8, seed=2, size=SIZE, min_objects=1, max_objects=4)
    best = assign_targets(data["boxes"], data["box_labels"], ANCHORS, STRIDES, GRIDS)
    loose = assign_targets_multi(data["boxes"], data["box_labels"], ANCHORS, STRIDES, GRIDS, assign_threshold=0.2)
    strict = assign_targets_multi(data["boxes"], data["box_labels"], ANCHORS, STRIDES, GRIDS, assign_threshold=1.0)
    n = [sum(int(t.obj.sum()) for t in ts) for ts in (best, loose, strict)]
    assert n[1] > n[0] and n[2] == n[0]  # threshold 1: no other anchor has exactly the box's shape here


def test_multi_one_box_by_hand():
    boxes = torch.tensor([[[4.0, 20.0, 20.0, 50.0]]])  # centre (12, 35), 16 x 30
    anchors = group_anchors(yolov3_anchors(416), STRIDES)  # (10,13) (16,30) (33,23) | (30,61) (62,45) (59,119) | ...
    targets = assign_targets_multi(boxes, torch.tensor([[1]]), anchors, STRIDES, GRIDS, assign_threshold=0.3)
    wh = torch.tensor([[16.0, 30.0]])
    expected = (wh_iou(wh, anchors.reshape(-1, 2))[0] >= 0.3).nonzero().flatten().tolist()
    got = []
    for lvl, t in enumerate(targets):
        img, a, j, i = t.obj.nonzero(as_tuple=True)
        got += [lvl * 3 + int(x) for x in a]
        s = STRIDES[lvl]
        assert (i == 12 // s).all() and (j == 35 // s).all() and (t.labels[t.obj] == 1).all()
    assert sorted(got) == sorted(expected) and len(got) > 1  # (16,30) itself plus its near shapes


def test_multi_threshold_out_of_range_is_named():
    with pytest.raises(ValueError, match=r"assign_threshold must lie in \[0, 1\], got 1.5"):
        assign_targets_multi(torch.zeros(1, 1, 4), torch.zeros(1, 1, dtype=torch.long), ANCHORS, STRIDES, GRIDS, assign_threshold=1.5)


# --- assign=neighbours: the multi claims, also at the nearer column and row neighbour (YOLOv5 coding) ---


def neighbour_cells(cx, cy, s, grid):
    """The centre cell, then the nearer column neighbour and the nearer row neighbour that lie inside the map."""
    h, w = grid
    i, j = min(int(cx // s), w - 1), min(int(cy // s), h - 1)
    fx, fy = cx / s - i, cy / s - j
    cells = [(i, j)]
    ni = i - 1 if fx < 0.5 else i + 1
    nj = j - 1 if fy < 0.5 else j + 1
    if 0 <= ni < w:
        cells.append((ni, j))
    if 0 <= nj < h:
        cells.append((i, nj))
    return cells


@settings(max_examples=30, deadline=None)
@given(scene=scenes(), multi=st.sampled_from([0.3, 0.5, 1.0]))
def test_neighbours_equal_the_per_box_loop_and_decode_back(scene, multi):
    boxes, labels = scene
    targets = assign_targets_neighbours(boxes, labels, ANCHORS, STRIDES, GRIDS, assign_threshold=multi)
    centre = assign_targets_multi(boxes, labels, ANCHORS, STRIDES, GRIDS, assign_threshold=multi)
    # the loop: the multi rule's claims (best first, box by box), all centre cells first, then the neighbours
    b_n, a_n = labels.shape[0], ANCHORS.shape[1]
    obj = [torch.zeros(b_n, a_n, h, w, dtype=torch.bool) for h, w in GRIDS]
    owner = [torch.full((b_n, a_n, h, w), -1) for h, w in GRIDS]
    flat = ANCHORS.reshape(-1, 2)
    claims = []  # (extra, image, box, flat anchor); a claim that loses its centre cell still claims neighbours
    for b in range(b_n):
        for m in range(labels.shape[1]):
            x1, y1, x2, y2 = boxes[b, m].tolist()
            if labels[b, m] < 0 or x2 <= x1 or y2 <= y1:
                continue
            ious = wh_iou(torch.tensor([[x2 - x1, y2 - y1]]), flat)[0]
            best = int(ious.argmax())
            claims.append((0, b, m, best))
            claims += [(1, b, m, k) for k in range(len(flat)) if k != best and ious[k] >= multi]
    claims.sort(key=lambda c: c[0])  # best claims first (stable: box by box)
    for rank in range(3):  # rank 0: centre cells of every claim; 1, 2: the column then the row neighbour
        for _, b, m, k in claims:
            lvl, a = divmod(k, a_n)
            x1, y1, x2, y2 = boxes[b, m].tolist()
            cells = neighbour_cells((x1 + x2) / 2, (y1 + y2) / 2, STRIDES[lvl], GRIDS[lvl])
            i_n, j_n = cells[0]
            nx = [c for c in cells[1:] if c[1] == j_n and c[0] != i_n]
            ny = [c for c in cells[1:] if c[0] == i_n and c[1] != j_n]
            pick = [cells[0]] if rank == 0 else (nx if rank == 1 else ny)
            for i, j in pick:
                if not obj[lvl][b, a, j, i]:
                    obj[lvl][b, a, j, i] = True
                    owner[lvl][b, a, j, i] = m
    for lvl, (t, c) in enumerate(zip(targets, centre)):
        assert torch.equal(t.obj, obj[lvl])
        assert torch.equal(t.gt_index, owner[lvl])
        assert not (c.obj & ~t.obj).any()  # every centre positive stays one
        assert torch.equal(t.gt_index[c.obj], c.gt_index[c.obj])
        assert not (t.obj & t.ignore).any()
        decoded = decode_boxes(t.offsets, ANCHORS[lvl], STRIDES[lvl], coding="yolov5")[t.obj]
        torch.testing.assert_close(decoded, xyxy_to_cxcywh(t.boxes[t.obj]), atol=1e-3, rtol=1e-4)
    assert sum(t.num_dropped for t in targets) == sum(t.num_dropped for t in centre)


def test_neighbours_one_box_by_hand():
    boxes = torch.tensor([[[4.0, 20.0, 20.0, 50.0]]])  # centre (12, 35), 16 x 30
    anchors = group_anchors(yolov3_anchors(416), STRIDES)
    targets = assign_targets_neighbours(boxes, torch.tensor([[1]]), anchors, STRIDES, GRIDS, assign_threshold=1.0)
    # best anchor (16, 30): stride 8, anchor 1; centre cell (1, 4); 12 / 8 = 1.5 -> the right column (2, 4);
    # 35 / 8 = 4.375 -> the row above (1, 3)
    t8 = targets[2]
    cells = sorted((i, j) for _, a, j, i in t8.obj.nonzero().tolist())
    assert cells == [(1, 3), (1, 4), (2, 4)] and bool(t8.obj[0, 1].sum() == 3)
    assert not targets[0].obj.any() and not targets[1].obj.any()
    decoded = decode_boxes(t8.offsets, anchors[2], 8, coding="yolov5")[0, 1]
    for i, j in cells:
        torch.testing.assert_close(decoded[j, i], xyxy_to_cxcywh(boxes[0, 0]), atol=1e-4, rtol=1e-5)


def test_neighbours_on_generated_scenes_give_more_positives_than_multi():
    data = generate_shapes(8, seed=2, size=SIZE, min_objects=1, max_objects=4)
    multi = assign_targets_multi(data["boxes"], data["box_labels"], ANCHORS, STRIDES, GRIDS)
    near = assign_targets_neighbours(data["boxes"], data["box_labels"], ANCHORS, STRIDES, GRIDS)
    n_multi, n_near = (sum(int(t.obj.sum()) for t in ts) for ts in (multi, near))
    assert 1.5 * n_multi <= n_near <= 3 * n_multi  # up to two more per claim; fewer at map borders and collisions
    with pytest.raises(ValueError, match=r"assign_threshold must lie in \[0, 1\], got -0.1"):
        assign_targets_neighbours(torch.zeros(1, 1, 4), torch.zeros(1, 1, dtype=torch.long), ANCHORS, STRIDES, GRIDS, assign_threshold=-0.1)
