"""Detection datasets for ``--data``: ``shapes`` | ``yolo:DATASET.yaml`` | ``coco:ANNOTATIONS.json,IMAGES_DIR`` | ``voc:DIR``.

Every source becomes a :class:`~dlbox.data.bundle.DataBundle` whose splits hold ``image (N, C, H, W)``
float in [0, 1], ``boxes (N, M, 4)`` xyxy pixels and ``box_labels (N, M)`` (-1 padded): the layout of
:func:`dlbox.data.shapes.generate_shapes`. Splits a source names are used as they are; a missing
validation or test split is carved at random out of the training images (``data.val_fraction``,
``data.test_fraction``, seeded by ``data.split_seed``).

Generated scenes are stored as 8-bit images would be (pixel values ``k / 255``) and box corners on a
1/1024-pixel grid, so the same scenes exported as files (``dlbox data export``) and read back are the
same tensors, bit for bit. A bad annotation is named by file and line and, with ``on_bad_label=fail``
(the default), stops the command before any run directory exists.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import Tensor

from dlbox.config import DataConfig
from dlbox.data.bundle import DataBundle, take
from dlbox.data.folder import DatasetError

SCHEMES = ("shapes", "yolo:DATASET.yaml", "coco:ANNOTATIONS.json,IMAGES_DIR", "voc:DIR")
SPLITS = ("train", "val", "test")
BOX_GRID = 1024  # box corners are multiples of 1 / BOX_GRID pixels


def load_detection(data: DataConfig, on_bad_label: str = "fail", min_objects: int = 1, max_objects: int = 6) -> DataBundle:
    """The dataset ``data.name`` names, split into train / val / test, images letterboxed to ``data.image_size``."""
    name = data.name
    if name == "shapes":
        scenes = shapes_splits(data, min_objects, max_objects)
        return _bundle(scenes, list(data.shapes), {"dataset": name, "objects_per_scene": [min_objects, max_objects]}, data)
    scheme, _, rest = name.partition(":")
    if scheme not in ("yolo", "coco", "voc") or not rest:
        raise DatasetError(f"unknown detection dataset {name!r}; use one of: {', '.join(SCHEMES)}")
    if scheme == "yolo":
        splits, names = _read_yolo(Path(rest), data, on_bad_label)
    elif scheme == "coco":
        splits, names = _read_coco(rest, data, on_bad_label)
    else:
        splits, names = _read_voc(Path(rest), data, on_bad_label)
    return _bundle(_complete(splits, data), names, {"dataset": name}, data)


def quantize(scenes: dict[str, Tensor]) -> dict[str, Tensor]:
    """Images on the 8-bit grid ``k / 255``, box corners on the ``1 / 1024`` pixel grid (padding stays -1), and
    the padding trimmed to the most objects of any image (at least one column)."""
    m = max(1, int((scenes["box_labels"] >= 0).sum(1).max())) if len(scenes["box_labels"]) else 1
    out = dict(scenes)
    out["image"] = (scenes["image"] * 255).round() / 255
    out["boxes"] = (scenes["boxes"][:, :m] * BOX_GRID).round() / BOX_GRID
    out["box_labels"] = scenes["box_labels"][:, :m]
    return out


def shapes_splits(data: DataConfig, min_objects: int, max_objects: int) -> dict[str, dict[str, Tensor]]:
    """``data.num_samples`` generated scenes (seed ``data.split_seed``) split at random into train / val / test."""
    from dlbox.data.shapes import generate_shapes

    if not 1 <= min_objects <= max_objects:
        raise ValueError(f"objects per scene must satisfy 1 <= detect.min_objects <= detect.max_objects, got {min_objects}, {max_objects}")
    size = data.image_size or 128
    scenes = generate_shapes(data.num_samples, seed=data.split_seed, size=size, kinds=list(data.shapes),
                             min_objects=min_objects, max_objects=max_objects)
    scenes = {k: scenes[k] for k in ("image", "boxes", "box_labels")}
    train, val, test = random_split(data.num_samples, data.val_fraction, data.test_fraction, data.split_seed)
    return {"train": quantize(take(scenes, train)), "val": quantize(take(scenes, val)), "test": quantize(take(scenes, test))}


def random_split(n: int, val_fraction: float, test_fraction: float, seed: int) -> tuple[Tensor, Tensor, Tensor]:
    """Indices of ``n`` items, each part in increasing order: train, val, test (val and test take ``round(fraction * n)``)."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_val, n_test = round(val_fraction * n), round(test_fraction * n)
    if n - n_val - n_test < 1:
        raise DatasetError(f"{n} images leave none to train on with val_fraction={val_fraction}, test_fraction={test_fraction}")
    return order[n_val + n_test :].sort().values, order[:n_val].sort().values, order[n_val : n_val + n_test].sort().values


def _complete(splits: dict[str, dict[str, Tensor]], data: DataConfig) -> dict[str, dict[str, Tensor]]:
    """Carve a missing val / test split out of train; every split in the same padded layout."""
    train = splits["train"]
    missing = [s for s in ("val", "test") if s not in splits]
    if missing:
        fractions = {s: (getattr(data, f"{s}_fraction") if s in missing else 0.0) for s in ("val", "test")}
        tr, va, te = random_split(len(train["image"]), fractions["val"], fractions["test"], data.split_seed)
        carved = {"val": take(train, va), "test": take(train, te)}
        splits = {**splits, "train": take(train, tr), **{s: carved[s] for s in missing}}
    sizes = {tuple(s["image"].shape[1:]) for s in splits.values() if len(s["image"])}
    if len(sizes) > 1:
        raise DatasetError(f"the splits have images of different shapes {sorted(sizes)}; set data.image_size to letterbox them to one")
    return {s: quantize(splits[s]) for s in SPLITS}


def _bundle(splits: dict[str, dict[str, Tensor]], names: list[str], info: dict, data: DataConfig) -> DataBundle:
    if len(splits["train"]["image"]) == 0:
        raise DatasetError(f"dataset {data.name!r} has no training images")
    image = splits["train"]["image"]
    sizes = {s: len(splits[s]["image"]) for s in SPLITS}
    objects = {s: int((splits[s]["box_labels"] >= 0).sum()) for s in SPLITS}
    info = {**info, "split_seed": data.split_seed, "sizes": sizes, "objects": objects}
    return DataBundle(splits["train"], splits["val"], splits["test"], names, image.shape[1], (image.shape[2], image.shape[3]), info)


def _channels(data: DataConfig) -> int:
    return 1 if data.grayscale else 3


def _read_yolo(path: Path, data: DataConfig, on_bad_label: str) -> tuple[dict[str, dict[str, Tensor]], list[str]]:
    from dlbox.data.yolo_format import read_yaml, read_yolo

    cfg, _, names = read_yaml(path)
    if not cfg.get("train"):
        raise DatasetError(f"{path}: no 'train' split; a dataset YAML names at least train (and val, test)")
    splits = {}
    for split in SPLITS:
        if cfg.get(split):
            splits[split] = read_yolo(path, split, data.image_size, _channels(data), on_bad_label).as_tensors()
    return splits, names


def _read_coco(spec: str, data: DataConfig, on_bad_label: str) -> tuple[dict[str, dict[str, Tensor]], list[str]]:
    from dlbox.data.coco_format import read_coco

    annotations, _, images = spec.partition(",")
    scenes = read_coco(Path(annotations), Path(images) if images else None, data.image_size, _channels(data), on_bad_label)
    return {"train": scenes.as_tensors()}, scenes.class_names


def _read_voc(root: Path, data: DataConfig, on_bad_label: str) -> tuple[dict[str, dict[str, Tensor]], list[str]]:
    from dlbox.data.voc_format import read_voc

    listed = [s for s in SPLITS if (root / "ImageSets" / "Main" / f"{s}.txt").is_file()]
    if "train" not in listed:  # no split lists: every annotation is training data, val and test are carved
        scenes = read_voc(root, None, None, data.image_size, _channels(data), on_bad_label)
        return {"train": scenes.as_tensors()}, scenes.class_names
    train = read_voc(root, "train", None, data.image_size, _channels(data), on_bad_label)
    splits = {"train": train.as_tensors()}
    for split in listed[1:]:
        splits[split] = read_voc(root, split, train.class_names, data.image_size, _channels(data), on_bad_label).as_tensors()
    return splits, train.class_names
