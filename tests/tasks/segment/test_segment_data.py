"""Segmentation data bundles: shapes scenes and mask folders as image + mask tensors."""

import pytest
import torch

from dlbox.config import DataConfig
from dlbox.data.masks import write_mask
from dlbox.tasks.segment.config import SegmentOptions
from dlbox.tasks.segment.data import load_segmentation_data


def test_shapes_bundle_has_masks_of_background_plus_kinds():
    b = load_segmentation_data(DataConfig(name="shapes", image_size=24, num_samples=30, shapes=["circle", "ring"]))
    assert b.class_names == ["background", "circle", "ring"]
    assert set(b.train) == {"image", "mask"}
    assert b.train["mask"].shape == (b.info["sizes"]["train"], 24, 24) and b.train["mask"].dtype == torch.int64
    assert int(b.train["mask"].max()) <= 2 and bool((b.train["mask"] > 0).any())
    assert sum(b.info["sizes"].values()) == 30


def test_masks_bundle_resizes_masks_by_nearest(tmp_path):
    from PIL import Image
    import numpy as np

    (tmp_path / "img").mkdir()
    (tmp_path / "msk").mkdir()
    for i in range(5):
        Image.fromarray(np.full((12, 16, 3), 40 * i, np.uint8)).save(tmp_path / "img" / f"a{i}.png")
        m = np.zeros((12, 16), np.uint8)
        m[:, 8:] = 2
        m[0] = 255
        write_mask(tmp_path / "msk" / f"a{i}.png", m)
    cfg = DataConfig(name=f"masks:{tmp_path / 'img'},{tmp_path / 'msk'}", image_size=8, val_fraction=0.2, test_fraction=0.2)
    b = load_segmentation_data(cfg, SegmentOptions(classes=["bg", "x", "y"]))
    assert b.class_names == ["bg", "x", "y"]
    assert b.image_size == (8, 8)
    values = set(torch.cat([b.train["mask"].flatten(), b.test["mask"].flatten()]).tolist())
    assert values <= {0, 2, 255} and 2 in values  # no blended indices


def test_unknown_dataset_is_an_error():
    with pytest.raises(ValueError, match="valid: shapes"):
        load_segmentation_data(DataConfig(name="digits"))
