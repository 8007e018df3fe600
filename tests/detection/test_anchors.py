"""k-means anchors (notes 3.12.1) recover known shapes; published anchors are rescaled and grouped by stride."""

import pytest
import torch

from dlbox.data.shapes import generate_shapes
from dlbox.detection.anchors import (
    box_sizes,
    group_anchors,
    kmeans_anchors,
    mean_best_iou,
    rescale_anchors,
    yolov3_anchors,
    yolov3_tiny_anchors,
)
from dlbox.ops.boxes import wh_iou

SHAPES = torch.tensor([[10.0, 30], [15, 15], [40, 40], [70, 20], [30, 60], [100, 120]])  # distinct areas and shapes


def clustered(seed: int, n: int = 900, spread: float = 0.05) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    which = torch.randint(len(SHAPES), (n,), generator=g)
    return SHAPES[which] * torch.exp(spread * torch.randn(n, 2, generator=g)), which


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovers_the_cluster_shapes(seed):
    wh, which = clustered(seed)
    fit = kmeans_anchors(wh, k=len(SHAPES), seed=seed)
    assert fit.converged
    expected = SHAPES[torch.argsort(SHAPES.prod(dim=1))]
    torch.testing.assert_close(fit.anchors, expected, rtol=0.03, atol=0.0)
    # every box ends up with its own cluster's anchor
    anchor_of_shape = torch.argsort(torch.argsort(SHAPES.prod(dim=1)))
    assert torch.equal(fit.assignment, anchor_of_shape[which])
    assert fit.mean_iou > 0.9
    grouped = fit.grouped((32, 16))  # (2, 3, 2): the three largest shapes on the stride-32 map
    assert torch.equal(grouped[0], fit.anchors[3:]) and torch.equal(grouped[1], fit.anchors[:3])


def test_result_is_a_fixed_point_sorted_by_area_and_deterministic():
    wh, _ = clustered(3, spread=0.4)  # overlapping clusters: a harder problem
    fit = kmeans_anchors(wh, k=5, seed=7)
    areas = fit.anchors.prod(dim=1)
    assert torch.all(areas[1:] >= areas[:-1])
    # Lloyd's fixed point: each anchor is the mean of its boxes, each box's anchor its best by IoU
    for j in range(5):
        torch.testing.assert_close(fit.anchors[j], wh[fit.assignment == j].mean(dim=0), rtol=1e-5, atol=1e-4)
    assert torch.equal(wh_iou(wh, fit.anchors).argmax(dim=1), fit.assignment)
    assert fit.mean_iou == pytest.approx(mean_best_iou(wh, fit.anchors))
    again = kmeans_anchors(wh, k=5, seed=7)
    assert torch.equal(again.anchors, fit.anchors)
    # better than anchors picked at random from the data
    random_anchors = wh[torch.randperm(len(wh), generator=torch.Generator().manual_seed(0))[:5]]
    assert fit.mean_iou > mean_best_iou(wh, random_anchors)


def test_box_sizes_of_generated_scenes_skip_padding():
    data = generate_shapes(6, seed=0, size=32, min_objects=1, max_objects=3)
    wh = box_sizes(data["boxes"], data["box_labels"])
    n_real = int((data["box_labels"] >= 0).sum())
    assert wh.shape == (n_real, 2) and (wh > 0).all()
    real = data["boxes"][data["box_labels"] >= 0]
    torch.testing.assert_close(wh[:, 0], real[:, 2] - real[:, 0])


def test_published_anchors_rescale_and_group_like_the_paper():
    a = yolov3_anchors()
    assert a.shape == (9, 2) and a[0].tolist() == [10, 13] and a[-1].tolist() == [373, 326]
    torch.testing.assert_close(yolov3_anchors(208), a / 2)
    torch.testing.assert_close(rescale_anchors(a, (416, 832)), a * torch.tensor([2.0, 1.0]))
    assert yolov3_tiny_anchors().shape == (6, 2)
    g = group_anchors(a, (32, 16, 8))  # (3, 3, 2); the paper's masks 6,7,8 / 3,4,5 / 0,1,2
    assert g.shape == (3, 3, 2)
    assert g[0].tolist() == [[116, 90], [156, 198], [373, 326]]
    assert g[2].tolist() == [[10, 13], [16, 30], [33, 23]]
    assert torch.equal(group_anchors(a, (8, 16, 32)), g.flip(0))


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="2 distinct box shape"):
        kmeans_anchors(torch.tensor([[1.0, 2], [1, 2], [3, 3]]), k=3)
    with pytest.raises(ValueError, match="positive"):
        kmeans_anchors(torch.tensor([[0.0, 2], [1, 2], [3, 3]]), k=2)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        kmeans_anchors(torch.ones(4, 3), k=2)
    with pytest.raises(ValueError, match="cannot be split evenly over 2 strides"):
        group_anchors(yolov3_anchors(), (32, 16))
