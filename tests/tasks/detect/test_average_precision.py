"""The batched AP@IoU against torchmetrics' MeanAveragePrecision (COCO protocol) on random boxes, and closed forms."""

from __future__ import annotations

import pytest
import torch

from dlbox.detection import Detections
from dlbox.tasks.detect.average_precision import average_precision, map_at_iou, match_by_rank


def _random_case(seed: int, n: int = 12, k: int = 15, m: int = 5, classes: int = 3):
    g = torch.Generator().manual_seed(seed)
    gxy = torch.rand(n, m, 2, generator=g) * 80
    gt = torch.cat([gxy, gxy + 8 + torch.rand(n, m, 2, generator=g) * 30], -1)
    gl = torch.randint(0, classes, (n, m), generator=g)
    counts = torch.randint(0, m + 1, (n,), generator=g)
    gl[torch.arange(m)[None] >= counts[:, None]] = -1  # images with 0..m objects
    gt[gl < 0] = -1
    # detections: jittered copies of ground truths (some with the wrong class) and random boxes
    src = torch.randint(0, m, (n, k), generator=g)
    near = torch.gather(gt, 1, src[..., None].expand(-1, -1, 4)) + torch.randn(n, k, 4, generator=g) * 4
    far_xy = torch.rand(n, k, 2, generator=g) * 90
    far = torch.cat([far_xy, far_xy + 5 + torch.rand(n, k, 2, generator=g) * 30], -1)
    use_near = (torch.rand(n, k, generator=g) < 0.6) & (torch.gather(gl, 1, src) >= 0)
    boxes = torch.where(use_near[..., None], near, far)
    boxes = torch.cat([boxes[..., :2], torch.maximum(boxes[..., 2:], boxes[..., :2] + 1)], -1)
    labels = torch.where(use_near & (torch.rand(n, k, generator=g) < 0.85), torch.gather(gl, 1, src), torch.randint(0, classes, (n, k), generator=g))
    scores = torch.rand(n, k, generator=g)
    kept = torch.randint(0, k + 1, (n,), generator=g)
    pad = torch.arange(k)[None] >= kept[:, None]
    labels, scores = labels.masked_fill(pad, -1), scores.masked_fill(pad, 0.0)
    boxes = boxes.masked_fill(pad[..., None], 0.0)
    return Detections(boxes, scores, labels, kept), gt, gl


def _torchmetrics(dets: Detections, gt: torch.Tensor, gl: torch.Tensor, iou: float) -> tuple[float, dict[int, float]]:
    from torchmetrics.detection import MeanAveragePrecision

    metric = MeanAveragePrecision(iou_thresholds=[iou], class_metrics=True)
    keep = dets.labels >= 0
    preds = [{"boxes": dets.boxes[i][keep[i]], "scores": dets.scores[i][keep[i]], "labels": dets.labels[i][keep[i]]} for i in range(len(gl))]
    targets = [{"boxes": gt[i][gl[i] >= 0], "labels": gl[i][gl[i] >= 0]} for i in range(len(gl))]
    metric.update(preds, targets)
    r = metric.compute()
    return float(r["map"]), dict(zip(torch.atleast_1d(r["classes"]).tolist(), torch.atleast_1d(r["map_per_class"]).tolist()))


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("iou", [0.5, 0.75])
def test_agrees_with_torchmetrics_on_random_boxes(seed, iou):
    pytest.importorskip("pycocotools")
    dets, gt, gl = _random_case(seed)
    ours, per_class = map_at_iou(dets, gt, gl, num_classes=3, iou_threshold=iou)
    ref, ref_per_class = _torchmetrics(dets, gt, gl, iou)
    assert ours == pytest.approx(ref, abs=1e-6)
    for c, ap in ref_per_class.items():
        if ap >= 0:
            assert per_class[c] == pytest.approx(ap, abs=1e-6), c


def test_closed_forms():
    assert average_precision(torch.tensor([0.9, 0.8]), torch.tensor([True, True]), 2) == pytest.approx(1.0)
    assert average_precision(torch.tensor([0.9]), torch.tensor([True]), 2) == pytest.approx(51 / 101)
    # a miss ranked first, then a hit: precision 1/2 up to recall 1
    assert average_precision(torch.tensor([0.9, 0.8]), torch.tensor([False, True]), 1) == pytest.approx(0.5)
    assert average_precision(torch.tensor([]), torch.tensor([], dtype=torch.bool), 3) == 0.0
    assert average_precision(torch.tensor([0.5]), torch.tensor([False]), 0) == -1.0


def test_a_ground_truth_is_matched_once_by_the_highest_scoring_detection():
    gt = torch.tensor([[[0.0, 0.0, 10.0, 10.0]]])
    gl = torch.tensor([[1]])
    boxes = torch.tensor([[[0.0, 0.0, 10.0, 9.0], [0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 10.0, 10.0]]])
    dets = Detections(boxes, torch.tensor([[0.5, 0.9, 0.7]]), torch.tensor([[1, 1, 0]]), torch.tensor([3]))
    assert match_by_rank(dets, gt, gl).tolist() == [[False, True, False]]  # the 0.9 one; the duplicate and the wrong class miss
