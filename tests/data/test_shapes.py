"""``shapes``: one deterministic scene description, three consistent label views."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dlbox.config import DataConfig
from dlbox.data import load_dataset
from dlbox.data.shapes import KINDS, generate_shapes, render, sample_scene


def test_default_views_shapes_and_dtypes():
    d = generate_shapes(6, seed=0)
    assert d["image"].shape == (6, 3, 64, 64) and d["image"].dtype == torch.float32
    assert d["label"].shape == (6,) and d["label"].dtype == torch.int64
    assert d["mask"].shape == (6, 64, 64) and d["mask"].dtype == torch.int64
    assert d["boxes"].shape == (6, 1, 4)
    assert d["box_labels"].shape == (6, 1)


def test_deterministic_by_seed():
    a = generate_shapes(8, seed=5, size=24, max_objects=3)
    b = generate_shapes(8, seed=5, size=24, max_objects=3)
    c = generate_shapes(8, seed=6, size=24, max_objects=3)
    for k in a:
        assert torch.equal(a[k], b[k]), k
    assert not torch.equal(a["image"], c["image"])


def test_prefix_property_scene_i_independent_of_n():
    small = generate_shapes(4, seed=2, size=24, max_objects=2)
    large = generate_shapes(12, seed=2, size=24, max_objects=2)
    for k in small:
        assert torch.equal(small[k], large[k][:4]), k


def test_does_not_touch_global_rngs():
    np.random.seed(0)
    torch.manual_seed(0)
    expected = (np.random.rand(), torch.rand(1))
    np.random.seed(0)
    torch.manual_seed(0)
    generate_shapes(3, seed=1, size=16)
    assert (np.random.rand(), torch.rand(1)) == expected


def _check_views(d, kinds, size):
    n, m = d["box_labels"].shape
    assert d["mask"].min() >= 0 and d["mask"].max() <= len(kinds)
    for i in range(n):
        mask = d["mask"][i]
        valid = d["box_labels"][i] >= 0
        assert valid.any()
        # padding rows come after real ones and are all -1
        assert torch.all(d["boxes"][i][~valid] == -1)
        covered = torch.zeros_like(mask, dtype=torch.bool)
        for box, k in zip(d["boxes"][i][valid], d["box_labels"][i][valid]):
            x1, y1, x2, y2 = (int(v) for v in box)
            assert torch.equal(box, box.round())
            assert 0 <= x1 < x2 <= size and 0 <= y1 < y2 <= size
            inside = mask[y1:y2, x1:x2]
            assert (inside == k + 1).any(), f"scene {i}: box {box.tolist()} holds no mask pixel of kind {int(k)}"
            covered[y1:y2, x1:x2] |= inside == k + 1
        # every labelled pixel lies in a box of its kind
        assert torch.equal(covered, mask > 0), f"scene {i}"
        assert int(d["label"][i]) in d["box_labels"][i][valid].tolist()


def test_single_object_views_agree():
    d = generate_shapes(40, seed=0, size=32)
    _check_views(d, KINDS[:3], 32)
    for i in range(40):
        kinds_in_mask = torch.unique(d["mask"][i])
        assert kinds_in_mask[0] == 0  # background class 0 is present
        assert kinds_in_mask.tolist() == [0, int(d["label"][i]) + 1]
        assert d["box_labels"][i, 0] == d["label"][i]


def test_multi_object_views_agree_all_kinds():
    d = generate_shapes(40, seed=3, size=48, kinds=KINDS, min_objects=1, max_objects=4)
    _check_views(d, KINDS, 48)
    counts = (d["box_labels"] >= 0).sum(1)
    assert counts.max() > 1  # the test really covers multi-object scenes


def test_every_box_has_visible_mask_pixels_multi_object():
    for seed in range(3):
        _check_views(generate_shapes(60, seed=seed, size=64, min_objects=1, max_objects=3), KINDS[:3], 64)


def test_label_is_kind_of_largest_shape():
    kinds = KINDS[:3]
    d = generate_shapes(60, seed=4, size=48, kinds=kinds, min_objects=2, max_objects=3)
    checked = 0
    for i in range(60):
        scene = sample_scene(4, i, 48, kinds, 2, 3)
        radii = sorted((s.r for s in scene.shapes), reverse=True)
        if len(radii) > 1 and radii[0] - radii[1] < 1.5:
            continue  # near-tie: pixelisation may decide either way
        largest = max(scene.shapes, key=lambda s: s.r)
        assert int(d["label"][i]) == kinds.index(largest.kind), f"scene {i}"
        checked += 1
    assert checked >= 20


def test_background_and_shape_colours_without_noise():
    kinds = KINDS[:3]
    d = generate_shapes(10, seed=1, size=32, kinds=kinds, max_objects=2, noise=0.0)
    for i in range(10):
        scene = sample_scene(1, i, 32, kinds, 1, 2, noise=0.0)
        img, mask = d["image"][i], d["mask"][i]
        bg = torch.tensor(scene.background, dtype=torch.float32)
        assert torch.allclose(img[:, mask == 0].T, bg.expand(int((mask == 0).sum()), 3))
        colours = {tuple(round(c, 5) for c in s.color) for s in scene.shapes}
        fg = img[:, mask > 0].T
        assert {tuple(round(float(c), 5) for c in px) for px in fg} <= colours


@pytest.mark.parametrize("noise", [0.05, 0.8])
def test_noise_stays_in_unit_range(noise):
    d = generate_shapes(5, seed=0, size=32, noise=noise)
    assert d["image"].min() >= 0 and d["image"].max() <= 1
    clean = generate_shapes(5, seed=0, size=32, noise=0.0)
    assert not torch.equal(d["image"], clean["image"])
    assert torch.equal(d["mask"], clean["mask"])  # noise never changes the labels


@pytest.mark.parametrize("kinds", [["circle", "hexagon"], []])
def test_kinds_validated(kinds):
    with pytest.raises(ValueError) as exc:
        generate_shapes(2, kinds=kinds)
    for valid in KINDS:
        assert valid in str(exc.value)


def test_non_positive_n_rejected():
    with pytest.raises(ValueError):
        generate_shapes(0)


def test_every_kind_renders_pixels():
    for kind in KINDS:
        img, mask, boxes, labels = render(sample_scene(0, 0, 32, (kind,)), (kind,))
        assert mask.max() == 1 and labels.tolist() == [0] and boxes.shape == (1, 4)


def test_kinds_change_class_indices():
    d = generate_shapes(30, seed=0, size=24, kinds=["triangle", "circle"])
    assert set(d["label"].tolist()) == {0, 1}
    assert d["mask"].max() == 2


def test_small_images_all_kinds():
    d = generate_shapes(400, seed=0, size=8, kinds=KINDS)
    assert (d["box_labels"][:, 0] >= 0).all()


def test_load_dataset_shapes_bundle():
    cfg = DataConfig(name="shapes", num_samples=60, image_size=16, shapes=["circle", "square"], split_seed=1)
    bundle = load_dataset(cfg)
    assert bundle.class_names == ["circle", "square"]
    assert bundle.in_channels == 3 and bundle.image_size == (16, 16)
    n = sum(len(s["label"]) for s in (bundle.train, bundle.val, bundle.test))
    assert n == 60
    assert set(bundle.train) == {"image", "label"}
    assert bundle.info["split_seed"] == 1
