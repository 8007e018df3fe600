"""Detection data sources: generated scenes, the three file formats, their splits and bad input."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch

from dlbox.config import DataConfig
from dlbox.data.folder import DatasetError
from dlbox.tasks.detect.data import load_detection, quantize, random_split
from dlbox.tasks.detect.export import export_shapes

DATA = DataConfig(name="shapes", image_size=64, num_samples=30, val_fraction=0.2, test_fraction=0.2)


def _same(a, b):
    for split in ("train", "val", "test"):
        x, y = getattr(a, split), getattr(b, split)
        assert torch.equal(x["image"], y["image"]), split
        assert torch.equal(x["box_labels"], y["box_labels"]), split
        assert torch.equal(x["boxes"], y["boxes"]), split


def test_shapes_bundle_layout_splits_and_grids():
    b = load_detection(DATA, max_objects=4)
    assert b.class_names == ["circle", "square", "triangle"] and b.image_size == (64, 64) and b.in_channels == 3
    assert b.info["sizes"] == {"train": 18, "val": 6, "test": 6}
    img, boxes, labels = b.train["image"], b.train["boxes"], b.train["box_labels"]
    assert boxes.shape == (18, 4, 4) and labels.shape == (18, 4)
    assert torch.equal(img, (img * 255).round() / 255)  # the 8-bit grid of a PNG
    real = labels >= 0
    assert bool(real[:, 0].all()) and bool((boxes[~real] == -1).all())
    assert bool((boxes[real][:, 2:] > boxes[real][:, :2]).all()) and float(boxes[real].max()) <= 64
    assert b.info["objects"]["train"] == int(real.sum())


def test_random_split_is_a_seeded_partition():
    tr, va, te = random_split(50, 0.2, 0.1, seed=3)
    assert sorted(torch.cat([tr, va, te]).tolist()) == list(range(50)) and (len(va), len(te)) == (10, 5)
    assert torch.equal(tr, random_split(50, 0.2, 0.1, seed=3)[0]) and not torch.equal(tr, random_split(50, 0.2, 0.1, seed=4)[0])
    with pytest.raises(DatasetError, match="none to train on"):
        random_split(2, 0.5, 0.5, 0)


def test_quantize_puts_pixels_and_corners_on_their_grids_and_trims_padding():
    boxes = torch.tensor([[[1.00001, 2.0, 3.0, 4.0], [-1.0, -1.0, -1.0, -1.0], [-1.0, -1.0, -1.0, -1.0]]])
    s = quantize({"image": torch.tensor([0.5004]), "boxes": boxes, "box_labels": torch.tensor([[2, -1, -1]])})
    assert float(s["image"]) == float(torch.tensor(128.0) / 255)
    assert s["boxes"].tolist() == [[[1.0, 2.0, 3.0, 4.0]]] and s["box_labels"].tolist() == [[2]]


@pytest.mark.parametrize("fmt", ["yolo", "voc"])
def test_exported_files_read_back_as_the_generated_tensors(tmp_path, fmt):
    result = export_shapes(fmt, tmp_path / fmt, DATA, max_objects=4)
    assert result["sizes"] == {"train": 18, "val": 6, "test": 6}
    from_files = load_detection(replace(DATA, name=result["data"]), max_objects=4)
    _same(load_detection(DATA, max_objects=4), from_files)


def test_coco_export_reads_back_and_carves_missing_splits(tmp_path):
    data = replace(DATA, val_fraction=0.0, test_fraction=0.0)
    result = export_shapes("coco", tmp_path / "c", data)
    assert result["data"].startswith("coco:") and result["sizes"] == {"train": 30}
    generated = load_detection(data)
    read = load_detection(replace(data, name=result["data"]))
    assert torch.equal(read.train["image"], generated.train["image"]) and torch.equal(read.train["boxes"], generated.train["boxes"])
    carved = load_detection(replace(data, name=result["data"], val_fraction=0.2, test_fraction=0.1))
    assert carved.info["sizes"] == {"train": 21, "val": 6, "test": 3}


def test_export_refuses_a_non_empty_directory_and_unknown_format(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        export_shapes("yolo", tmp_path / "x", DATA)
    with pytest.raises(ValueError, match="yolo, coco, voc"):
        export_shapes("kitti", tmp_path / "y", DATA)
    assert (tmp_path / "x" / "keep.txt").read_text() == "mine"


@pytest.fixture
def yolo_root(tmp_path):
    export_shapes("yolo", tmp_path / "y", replace(DATA, num_samples=10))
    return tmp_path / "y"


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda r: (r / "labels" / "train" / "999999.txt").write_text("0 0.5 0.5 0.1 0.1\n"), "999999.txt: label file without an image"),
        (lambda r: _first_label(r).write_text("7 0.5 0.5 0.1 0.1\n"), ":1: class 7 is not one of the YAML's ids 0..2"),
        (lambda r: _first_label(r).write_text("0 0.5 0.5\n"), ":1: expected 'class cx cy w h'"),
        (lambda r: _first_label(r).write_text("0 0.5 0.5 0.1 0.1\n1 0.95 0.5 0.3 0.1\n"), ":2: box (51.2, 28.8, 70.4, 35.2) lies outside the 64x64 image"),
    ],
)
def test_bad_yolo_labels_are_named_by_file_and_line(yolo_root, damage, message):
    damage(yolo_root)
    with pytest.raises(DatasetError, match="bad annotation|label file without") as info:
        load_detection(replace(DATA, name=f"yolo:{yolo_root / 'data.yaml'}"))
    assert message in str(info.value)
    skipped = load_detection(replace(DATA, name=f"yolo:{yolo_root / 'data.yaml'}"), on_bad_label="skip") if "without" not in message else None
    if skipped is not None:  # skip: the damaged image is left out, the rest loads
        assert sum(skipped.info["sizes"].values()) == 9


def _first_label(root):
    return sorted((root / "labels" / "train").glob("*.txt"))[0]


def test_coco_annotation_to_a_missing_image_is_named(tmp_path):
    result = export_shapes("coco", tmp_path / "c", replace(DATA, num_samples=6, val_fraction=0.0, test_fraction=0.0))
    ann = tmp_path / "c" / "annotations" / "instances_train.json"
    spec = json.loads(ann.read_text())
    spec["annotations"][0]["image_id"] = 999
    ann.write_text(json.dumps(spec))
    with pytest.raises(DatasetError, match=r"annotations\[0\] \(id 1\): image_id 999 is not among the file's images"):
        load_detection(replace(DATA, name=result["data"]))
    (tmp_path / "c" / "images" / "train" / "000001.png").unlink()
    spec["annotations"][0]["image_id"] = 1
    ann.write_text(json.dumps(spec))
    with pytest.raises(DatasetError, match="image id 2: file .*000001.png does not exist"):
        load_detection(replace(DATA, name=result["data"]))


@pytest.mark.parametrize("name", ["kitti:foo", "yolo:", "folder:x", "digits"])
def test_unknown_schemes_list_the_valid_ones(name):
    with pytest.raises(DatasetError, match="shapes, yolo:DATASET.yaml, coco:ANNOTATIONS.json,IMAGES_DIR, voc:DIR"):
        load_detection(replace(DATA, name=name))


def test_images_of_other_sizes_are_letterboxed_with_their_boxes(tmp_path):
    export_shapes("yolo", tmp_path / "y", replace(DATA, num_samples=6, image_size=32, val_fraction=0.0, test_fraction=0.0))
    small = load_detection(replace(DATA, name=f"yolo:{tmp_path / 'y' / 'data.yaml'}", image_size=32, val_fraction=0.0, test_fraction=0.0))
    big = load_detection(replace(DATA, name=f"yolo:{tmp_path / 'y' / 'data.yaml'}", image_size=64, val_fraction=0.0, test_fraction=0.0))
    real = small.train["box_labels"] >= 0
    assert big.image_size == (64, 64)
    assert torch.allclose(big.train["boxes"][real], small.train["boxes"][real] * 2, atol=1e-2)
