"""YOLO, COCO and VOC detection formats: scenes round-trip exactly; every kind of bad input is named."""

from __future__ import annotations

import json
import re
import warnings

import pytest
import torch
import yaml

from dlbox.data.coco_format import read_coco, write_coco
from dlbox.data.folder import DatasetError
from dlbox.data.shapes import generate_shapes
from dlbox.data.voc_format import read_voc, write_voc
from dlbox.data.yolo_format import read_yolo, write_yolo

NAMES = ["circle", "square", "triangle"]


def scenes(n=4, seed=0, size=32, fractional=False):
    data = generate_shapes(n, seed=seed, size=size, min_objects=1, max_objects=3)
    if fractional:  # sub-pixel boxes, still inside the image
        real = data["box_labels"] >= 0
        shrink = torch.tensor([0.3, 0.45, -0.15, -0.35])  # not exact in binary: tests the written precision
        data["boxes"] = torch.where(real[..., None], data["boxes"] + shrink, data["boxes"])
    return data


def write(fmt, root, splits):
    return {"yolo": write_yolo, "coco": write_coco, "voc": write_voc}[fmt](root, splits, NAMES)


def read(fmt, root, written, split="train", **kw):
    if fmt == "yolo":
        return read_yolo(written, split, **kw)
    if fmt == "coco":
        return read_coco(written[split], root / "images", **kw)
    return read_voc(root, split, NAMES, **kw)


def same_scenes(got, data):
    real = data["box_labels"] >= 0
    assert got.images.shape == data["image"].shape
    assert (got.images - data["image"]).abs().max() <= 0.5 / 255 + 1e-6  # 8-bit PNG
    for i in range(len(real)):
        k = int(real[i].sum())
        assert got.labels[i, :k].tolist() == data["box_labels"][i, :k].tolist()
        assert (got.labels[i, k:] == -1).all()
        torch.testing.assert_close(got.boxes[i, :k], data["boxes"][i, :k], atol=1e-4, rtol=0)


@pytest.mark.parametrize("fmt", ["yolo", "coco", "voc"])
@pytest.mark.parametrize("fractional", [False, True], ids=["pixel", "subpixel"])
def test_generated_scenes_round_trip(tmp_path, fmt, fractional):
    train, val = scenes(4, 0, fractional=fractional), scenes(3, 1, fractional=fractional)
    written = write(fmt, tmp_path, {"train": train, "val": val})
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    got = read(fmt, tmp_path, written)
    assert got.class_names == NAMES and got.skipped == [] and len(got.files) == 4
    same_scenes(got, train)
    same_scenes(read(fmt, tmp_path, written, "val"), val)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before  # files are only read
    assert set(got.as_tensors()) == {"image", "boxes", "box_labels"}


@pytest.mark.parametrize("fmt", ["yolo", "coco", "voc"])
def test_an_image_without_objects_is_valid(tmp_path, fmt):
    data = scenes(2)
    data["box_labels"][1] = -1  # second image: no objects (an empty label file / no annotations)
    written = write(fmt, tmp_path, {"train": data})
    got = read(fmt, tmp_path, written)
    assert len(got.files) == 2 and (got.labels[1] == -1).all() and (got.labels[0] >= 0).any()


@pytest.mark.parametrize("fmt", ["yolo", "coco", "voc"])
def test_letterboxing_and_grayscale(tmp_path, fmt):
    data = scenes(2, size=32)
    written = write(fmt, tmp_path, {"train": data})
    got = read(fmt, tmp_path, written, image_size=64, channels=1)
    assert got.images.shape == (2, 1, 64, 64)
    real = data["box_labels"] >= 0
    torch.testing.assert_close(got.boxes[real], data["boxes"][real] * 2, atol=1e-4, rtol=0)


@pytest.mark.parametrize("fmt", ["yolo", "coco", "voc"])
def test_writers_never_overwrite(tmp_path, fmt):
    write(fmt, tmp_path, {"train": scenes(1)})
    with pytest.raises(FileExistsError, match="already exists"):
        write(fmt, tmp_path, {"train": scenes(1)})


def test_writers_check_the_scenes(tmp_path):
    data = scenes(1)
    data["boxes"][0, 0] = torch.tensor([10.0, 10, 40, 20])  # past the 32-px border
    with pytest.raises(ValueError, match="outside the 32x32 image"):
        write_yolo(tmp_path, {"train": data}, NAMES)
    with pytest.raises(ValueError, match="class names"):
        write_coco(tmp_path / "c", {"train": scenes(1)}, NAMES[:1])


# ---------------------------------------------------------------- bad input, one kind at a time


def expect_bad(reader, tmp_path, fragment, n_left):
    """``fail`` raises naming the problem; ``skip`` warns with the same message and leaves n_left images."""
    with pytest.raises(DatasetError, match=fragment):
        reader("fail")
    with pytest.warns(UserWarning, match=fragment):
        got = reader("skip")
    assert len(got.files) == n_left
    assert any(re.search(fragment, s) for s in got.skipped)
    return got


@pytest.fixture
def yolo(tmp_path):
    yaml_path = write_yolo(tmp_path, {"train": scenes(3)}, NAMES)
    return tmp_path, yaml_path


def yolo_reader(yaml_path):
    return lambda policy: read_yolo(yaml_path, "train", on_bad_label=policy)


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("0 0.9 0.5 0.4 0.2", r"000001.txt:2: box .* lies outside the 32x32 image"),
        ("0 0.5 0.5 0 0.2", r"000001.txt:2: box .* has non-positive size"),
        ("5 0.5 0.5 0.2 0.2", r"000001.txt:2: class 5 is not one of the YAML's ids 0..2"),
        ("1.5 0.5 0.5 0.2 0.2", r"000001.txt:2: class 1.5 is not one of"),
        ("0 0.5 0.5 0.2", r"000001.txt:2: expected 'class cx cy w h' \(5 numbers\), got 4"),
        ("a b c d e", r"000001.txt:2: not numbers"),
    ],
    ids=["outside", "zero-width", "unknown-class", "fractional-class", "four-fields", "not-numbers"],
)
def test_yolo_bad_lines_name_file_and_line(yolo, line, fragment):
    root, yaml_path = yolo
    label = root / "labels" / "train" / "000001.txt"
    first = label.read_text().splitlines()[0]
    label.write_text(first + "\n" + line + "\n")
    expect_bad(yolo_reader(yaml_path), root, fragment, n_left=2)


def test_yolo_label_without_image_and_image_without_label(yolo):
    root, yaml_path = yolo
    (root / "labels" / "train" / "orphan.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    expect_bad(yolo_reader(yaml_path), root, r"orphan.txt: label file without an image", n_left=3)
    (root / "labels" / "train" / "orphan.txt").unlink()
    (root / "labels" / "train" / "000002.txt").unlink()
    expect_bad(yolo_reader(yaml_path), root, r"000002.png: no label file .*000002.txt", n_left=2)


def test_yolo_yaml_problems(tmp_path, yolo):
    root, yaml_path = yolo
    spec = yaml.safe_load(yaml_path.read_text())
    cases = [
        ({k: v for k, v in spec.items() if k != "names"}, "no 'names' key"),
        ({**spec, "names": {0: "a", 2: "b"}}, r"0..1 without gaps"),
        ({**spec, "nc": 5}, "nc=5 but 'names' lists 3 classes"),
        ({**spec, "train": "nowhere"}, "neither a folder of images nor a .txt list"),
    ]
    for i, (content, fragment) in enumerate(cases):
        p = root / f"bad{i}.yaml"
        p.write_text(yaml.safe_dump(content))
        with pytest.raises(DatasetError, match=fragment):
            read_yolo(p)
    with pytest.raises(DatasetError, match="no split 'test'; this YAML has: train"):
        read_yolo(yaml_path, "test")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_yolo(root / "missing.yaml")
    with pytest.raises(ValueError, match="use 'skip' or 'fail'"):
        read_yolo(yaml_path, on_bad_label="ignore")


def test_yolo_split_as_a_list_file(yolo):
    root, yaml_path = yolo
    (root / "train.txt").write_text("images/train/000000.png\nimages/train/000002.png\n")
    spec = yaml.safe_load(yaml_path.read_text())
    (root / "listed.yaml").write_text(yaml.safe_dump({**spec, "train": "train.txt", "names": NAMES}))
    got = read_yolo(root / "listed.yaml")
    assert [f.name for f in got.files] == ["000000.png", "000002.png"]


@pytest.fixture
def coco(tmp_path):
    ann = write_coco(tmp_path, {"train": scenes(3)}, NAMES)["train"]
    return tmp_path, ann


def edit_json(path, fn):
    data = json.loads(path.read_text())
    fn(data)
    path.write_text(json.dumps(data))


def coco_reader(root, ann):
    return lambda policy: read_coco(ann, root / "images", on_bad_label=policy)


@pytest.mark.parametrize(
    ("edit", "fragment", "n_left"),
    [
        (lambda d: d["annotations"].append({**d["annotations"][0], "id": 99, "image_id": 42}), r"annotations\[\d+\] \(id 99\): image_id 42 is not among", 3),
        (lambda d: d["annotations"][0].update(bbox=[20, 20, 30, 5]), r"annotations\[0\] \(id 1\): box .* outside the 32x32 image", 2),
        (lambda d: d["annotations"][0].update(bbox=[2, 2, 0, 5]), r"annotations\[0\] \(id 1\): box .* non-positive size", 2),
        (lambda d: d["annotations"][0].update(bbox=[2, 2, 5]), r"bbox must be \[x, y, width, height\]", 2),
        (lambda d: d["annotations"][0].update(category_id=7), r"category_id 7 is not among the categories \[1, 2, 3\]", 2),
        (lambda d: d["images"][2].update(file_name="train/gone.png"), r"image id 3: file .*gone.png does not exist", 2),
        (lambda d: d["images"][0].update(width=99), r"image id 1: declared 99x32", 2),
    ],
    ids=["missing-image-id", "outside", "zero-width", "short-bbox", "unknown-category", "missing-file", "wrong-size"],
)
def test_coco_bad_annotations_are_named(coco, edit, fragment, n_left):
    root, ann = coco
    edit_json(ann, edit)
    expect_bad(coco_reader(root, ann), root, fragment, n_left)


def test_coco_structure_problems(coco):
    root, ann = coco
    ann.write_text('{"images": [], \n "annotations": [}')
    with pytest.raises(DatasetError, match=r"not valid JSON \(line 2"):
        read_coco(ann)
    ann.write_text('{"images": []}')
    with pytest.raises(DatasetError, match=r"missing or not a list: \['annotations', 'categories'\]"):
        read_coco(ann)


def test_coco_crowd_regions_are_not_objects(coco):
    root, ann = coco
    edit_json(ann, lambda d: d["annotations"][0].update(iscrowd=1))
    got = read_coco(ann, root / "images")
    data = scenes(3)
    assert int((got.labels >= 0).sum()) == int((data["box_labels"] >= 0).sum()) - 1


@pytest.fixture
def voc(tmp_path):
    write_voc(tmp_path, {"train": scenes(3)}, NAMES)
    return tmp_path


def voc_reader(root, split="train", names=NAMES):
    return lambda policy: read_voc(root, split, names, on_bad_label=policy)


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("<name>", "<name>hexagon", r"train_000001.xml:4: class '\w*hexagon\w*' is not one of"),
        ("<xmax>", "<xmax>9", r"train_000001.xml:4: box .* lies outside the 32x32 image"),
        ("<xmin>", "<xmin>3", r"train_000001.xml:4: box .*non-positive size"),
        ("<ymax>", "<ymax>x", r"train_000001.xml:4: <bndbox> needs numeric"),
        ("<bndbox>", "<box>", r"train_000001.xml:4: <object> needs a <name> and a <bndbox>"),
    ],
    ids=["unknown-class", "outside", "inverted", "not-numeric", "no-bndbox"],
)
def test_voc_bad_objects_name_file_and_line(voc, old, new, fragment):
    xml = voc / "Annotations" / "train_000001.xml"
    text = xml.read_text().replace(old, new, 1)
    if new == "<box>":
        text = text.replace("</bndbox>", "</box>", 1)
    xml.write_text(text)
    expect_bad(voc_reader(voc), voc, fragment, n_left=2)


def test_voc_missing_files_both_ways(voc):
    (voc / "JPEGImages" / "train_000002.png").unlink()
    expect_bad(voc_reader(voc), voc, r"train_000002.xml: image .*train_000002.png \(its <filename>\) does not exist", n_left=2)
    (voc / "JPEGImages" / "stray.png").write_bytes((voc / "JPEGImages" / "train_000000.png").read_bytes())
    expect_bad(voc_reader(voc, split=None), voc, r"stray.png: image without an annotation XML", n_left=2)
    (voc / "ImageSets" / "Main" / "train.txt").write_text("train_000000\ntrain_000009\n")
    expect_bad(voc_reader(voc), voc, r"train_000009.xml: listed in the split but does not exist", n_left=1)


def test_voc_structure_problems(voc):
    (voc / "Annotations" / "train_000000.xml").write_text("<annotation>\n<object>\n</annotation>")
    with pytest.raises(DatasetError, match=r"train_000000.xml:3: not valid XML"):
        read_voc(voc, "train", NAMES)
    with pytest.raises(DatasetError, match="splits here: train"):
        read_voc(voc, "val", NAMES)
    with pytest.raises(DatasetError, match="no Annotations folder"):
        read_voc(voc / "JPEGImages")


def test_voc_class_names_default_to_the_sorted_names_found(voc):
    got = read_voc(voc, "train")
    found = sorted({NAMES[i] for i in scenes(3)["box_labels"].flatten().tolist() if i >= 0})
    assert got.class_names == found


def test_everything_skipped_is_an_error(yolo):
    root, yaml_path = yolo
    for label in (root / "labels" / "train").iterdir():
        label.write_text("9 0.5 0.5 0.1 0.1\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(DatasetError, match="no usable images"):
            read_yolo(yaml_path, on_bad_label="skip")
