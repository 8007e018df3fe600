"""YOLO txt labels with an ultralytics-style dataset YAML: reader and writer.

The YAML names the splits and classes::

    path: .            # dataset root, relative to this YAML's folder (default: that folder)
    train: images/train  # a folder of images, a .txt listing image paths, or a list of those
    val: images/val
    names: {0: circle, 1: square}  # or a list

Each image ``.../images/.../NAME.ext`` has a label file ``.../labels/.../NAME.txt``
with one line per object: ``class cx cy w h``, the centre and size as fractions
of the image's width and height. An empty label file is an image without
objects. A missing label file or image, a malformed line, a class the YAML does
not name, or a box outside the image or of non-positive size is reported as
``FILE:LINE: reason`` (see :mod:`dlbox.data.detection_scenes`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml
from torch import Tensor

from dlbox.data.detection_scenes import (DetectionData, assemble, box_problem, clip_box, image_size_of,
    keep_or_report, parse_file, report_bad, save_png, scene_rows, validate_policy, write_new)
from dlbox.data.folder import DatasetError
from dlbox.data.images import IMAGE_SUFFIXES


def _names(raw: object, source: Path) -> list[str]:
    if isinstance(raw, list) and raw:
        return [str(n) for n in raw]
    if isinstance(raw, dict) and raw:
        try:
            keys = sorted(int(k) for k in raw)
        except (TypeError, ValueError):
            raise DatasetError(f"{source}: 'names' keys must be class ids 0..K-1, got {list(raw)}") from None
        if keys != list(range(len(keys))):
            raise DatasetError(f"{source}: 'names' must number the classes 0..{len(keys) - 1} without gaps, got ids {keys}")
        return [str(raw[k] if k in raw else raw[str(k)]) for k in keys]  # type: ignore[index]
    raise DatasetError(f"{source}: 'names' must be a non-empty list or mapping of class ids to names, got {raw!r}")


def read_yaml(path: str | Path) -> tuple[dict, Path, list[str]]:
    """The dataset YAML: its content, the dataset root and the class names."""
    path = Path(path)
    cfg = parse_file(path, "dataset YAML", yaml.safe_load, (yaml.YAMLError,), lambda exc: f"not valid YAML ({exc})")
    if not isinstance(cfg, dict):
        raise DatasetError(f"{path}: expected a mapping with train/val/test and names, got {type(cfg).__name__}")
    if "names" not in cfg:
        raise DatasetError(f"{path}: no 'names' key; list the class names, e.g. names: [cat, dog]")
    names = _names(cfg["names"], path)
    if "nc" in cfg and int(cfg["nc"]) != len(names):
        raise DatasetError(f"{path}: nc={cfg['nc']} but 'names' lists {len(names)} classes")
    root = path.parent / str(cfg.get("path") or ".")
    return cfg, root, names


def label_path(image: Path) -> Path:
    """``.../images/.../NAME.ext`` -> ``.../labels/.../NAME.txt`` (the last ``images`` folder is replaced)."""
    parts = list(image.parts)
    if "images" not in parts[:-1]:
        raise DatasetError(f"{image}: YOLO images must lie under an 'images' folder (labels go under 'labels')")
    i = len(parts) - 2 - parts[:-1][::-1].index("images")
    parts[i] = "labels"
    return Path(*parts).with_suffix(".txt")


def _split_images(entry: object, root: Path, source: Path) -> tuple[list[Path], list[Path]]:
    """Images of a split entry and the folders listed (whose label folders are checked for orphans)."""
    entries = entry if isinstance(entry, list) else [entry]
    images: list[Path] = []
    folders: list[Path] = []
    for e in entries:
        p = root / str(e)
        if p.is_dir():
            folders.append(p)
            images += sorted(f for f in p.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES and f.is_file())
        elif p.is_file() and p.suffix == ".txt":
            images += [root / line.strip() for line in p.read_text().splitlines() if line.strip()]
        else:
            raise DatasetError(f"{source}: split path {p} is neither a folder of images nor a .txt list of images")
    return images, folders


def _parse(label: Path, n_classes: int, width: int, height: int) -> tuple[list[list[float]], list[int], list[str]]:
    """Boxes in pixels, labels and problems (``FILE:LINE: reason``) of one label file."""
    boxes, labels, bad = [], [], []
    for n, line in enumerate(label.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split()
        where = f"{label}:{n}"
        if len(fields) != 5:
            bad.append(f"{where}: expected 'class cx cy w h' (5 numbers), got {len(fields)} field(s): {line.strip()!r}")
            continue
        try:
            cls_f, cx, cy, w, h = (float(v) for v in fields)
        except ValueError:
            bad.append(f"{where}: not numbers: {line.strip()!r}")
            continue
        if not cls_f.is_integer() or not 0 <= cls_f < n_classes:
            bad.append(f"{where}: class {fields[0]} is not one of the YAML's ids 0..{n_classes - 1}")
            continue
        x1, y1, x2, y2 = (cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height
        problem = box_problem(x1, y1, x2, y2, width, height)
        if problem:
            bad.append(f"{where}: {problem}")
            continue
        boxes.append(clip_box(x1, y1, x2, y2, width, height))
        labels.append(int(cls_f))
    return boxes, labels, bad


def read_yolo(
    yaml_path: str | Path, split: str = "train", image_size: int | Sequence[int] | None = None,
    channels: int = 3, on_bad_label: str = "fail",
) -> DetectionData:
    """One split of a YOLO dataset as padded tensors (``image_size`` letterboxes images and boxes)."""
    validate_policy(on_bad_label)
    cfg, root, names = read_yaml(yaml_path)
    if not cfg.get(split):
        valid = [k for k in ("train", "val", "test") if cfg.get(k)]
        raise DatasetError(f"{yaml_path}: no split {split!r}; this YAML has: {', '.join(valid) or 'none'}")
    images, folders = _split_images(cfg[split], root, Path(yaml_path))
    bad: list[str] = []
    files, boxes, labels = [], [], []
    for image in images:
        if not image.is_file():
            bad.append(f"{image}: listed image does not exist")
            continue
        label = label_path(image)
        if not label.is_file():
            bad.append(f"{image}: no label file {label} (an image without objects needs an empty one)")
            continue
        width, height = image_size_of(image)
        b, lab, problems = _parse(label, len(names), width, height)
        keep_or_report((files, boxes, labels), bad, image, b, lab, problems)
    wanted = {label_path(i) for i in images}
    for folder in folders:
        label_dir = label_path(folder / "x.png").parent
        if label_dir.is_dir():
            bad += [f"{t}: label file without an image" for t in sorted(label_dir.rglob("*.txt")) if t not in wanted]
    report_bad(bad, on_bad_label, Path(yaml_path))
    return assemble(files, boxes, labels, names, channels, image_size, bad)


def write_yolo(root: str | Path, scenes: Mapping[str, Mapping[str, Tensor]], class_names: Sequence[str]) -> Path:
    """Write ``{split: generate_shapes-style tensors}`` as ``root/images/SPLIT``, ``root/labels/SPLIT``, ``root/data.yaml``."""
    root = Path(root)
    for split, data in scenes.items():
        for i, (pixels, boxes, labels) in enumerate(scene_rows(data, class_names)):
            h, w = pixels.shape[:2]
            save_png(pixels, root / "images" / split / f"{i:06d}.png")
            lines = []
            for (x1, y1, x2, y2), lab in zip(boxes, labels):
                values = ((x1 + x2) / 2 / w, (y1 + y2) / 2 / h, (x2 - x1) / w, (y2 - y1) / h)
                lines.append(" ".join([str(lab)] + [f"{v:.10f}" for v in values]))
            write_new(root / "labels" / split / f"{i:06d}.txt", "".join(line + "\n" for line in lines))
    spec = {"path": ".", **{s: f"images/{s}" for s in scenes}, "names": {i: n for i, n in enumerate(class_names)}}
    write_new(root / "data.yaml", yaml.safe_dump(spec, sort_keys=False))
    return root / "data.yaml"
