"""COCO "instances" JSON: reader and writer.

The JSON lists ``images`` (``id``, ``file_name``, ``width``, ``height``),
``categories`` (``id``, ``name``) and ``annotations`` (``image_id``,
``category_id``, ``bbox = [x, y, w, h]`` in pixels from the top-left corner).
Category ids may be any integers; classes are numbered 0..K-1 in increasing id
order. Crowd annotations (``iscrowd: 1``) mark regions, not objects, and are
left out. An annotation naming an image or category the file does not list, a
malformed ``bbox``, or a box outside its image or of non-positive size is
reported as ``FILE: annotations[i] (id N): reason``; an image whose file is
missing, likewise.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from torch import Tensor

from dlbox.data.detection_scenes import (DetectionData, assemble, box_problem, clip_box, image_size_of, parse_file,
    report_bad, save_png, scene_rows, validate_policy, write_new)
from dlbox.data.folder import DatasetError


def _load(path: Path) -> dict:
    data = parse_file(path, "COCO annotation file", json.loads, (json.JSONDecodeError,),
                      lambda exc: f"not valid JSON (line {exc.lineno}: {exc.msg})")
    missing = [k for k in ("images", "annotations", "categories") if not isinstance(data, dict) or not isinstance(data.get(k), list)]
    if missing:
        raise DatasetError(f"{path}: a COCO instances file needs lists 'images', 'annotations' and 'categories'; missing or not a list: {missing}")
    return data


def read_coco(
    annotation_file: str | Path, image_dir: str | Path | None = None, image_size: int | Sequence[int] | None = None,
    channels: int = 3, on_bad_label: str = "fail",
) -> DetectionData:
    """Images of a COCO JSON (files under ``image_dir``, default: the JSON's folder) as padded tensors."""
    validate_policy(on_bad_label)
    path = Path(annotation_file)
    data = _load(path)
    folder = Path(image_dir) if image_dir is not None else path.parent
    try:
        cats = sorted((int(c["id"]), str(c["name"])) for c in data["categories"])
        images = {int(im["id"]): im for im in data["images"]}
    except (KeyError, TypeError, ValueError) as exc:
        raise DatasetError(f"{path}: every category needs an integer 'id' and a 'name', every image an integer 'id' ({exc!r})") from None
    class_of = {cid: k for k, (cid, _) in enumerate(cats)}
    bad_images: dict[int, list[str]] = {}
    sizes: dict[int, tuple[int, int]] = {}
    for iid, im in images.items():
        file = folder / str(im.get("file_name", ""))
        if not im.get("file_name") or not file.is_file():
            bad_images.setdefault(iid, []).append(f"{path}: image id {iid}: file {file} does not exist")
            continue
        sizes[iid] = image_size_of(file)
        declared = (im.get("width"), im.get("height"))
        if None not in declared and tuple(int(v) for v in declared) != sizes[iid]:
            bad_images.setdefault(iid, []).append(f"{path}: image id {iid}: declared {declared[0]}x{declared[1]} but {file} is {sizes[iid][0]}x{sizes[iid][1]}")
    boxes: dict[int, list[list[float]]] = {iid: [] for iid in images}
    labels: dict[int, list[int]] = {iid: [] for iid in images}
    orphans: list[str] = []
    for i, ann in enumerate(data["annotations"]):
        where = f"{path}: annotations[{i}] (id {ann.get('id', '?') if isinstance(ann, dict) else '?'})"
        if not isinstance(ann, dict):
            orphans.append(f"{where}: not an object")
            continue
        iid = ann.get("image_id")
        if iid not in images:
            orphans.append(f"{where}: image_id {iid!r} is not among the file's images")
            continue
        if ann.get("iscrowd", 0):
            continue
        problem = _annotation_problem(ann, class_of, sizes.get(iid))
        if problem:
            bad_images.setdefault(iid, []).append(f"{where}: {problem}")
            continue
        if iid in sizes:
            x, y, w, h = (float(v) for v in ann["bbox"])
            boxes[iid].append(clip_box(x, y, x + w, y + h, *sizes[iid]))
            labels[iid].append(class_of[int(ann["category_id"])])
    bad = orphans + [msg for iid in bad_images for msg in bad_images[iid]]
    report_bad(bad, on_bad_label, path)
    keep = [iid for iid in images if iid not in bad_images]
    files = [folder / str(images[iid]["file_name"]) for iid in keep]
    return assemble(files, [boxes[i] for i in keep], [labels[i] for i in keep], [n for _, n in cats], channels, image_size, bad)


def _annotation_problem(ann: dict, class_of: dict[int, int], size: tuple[int, int] | None) -> str | None:
    bbox = ann.get("bbox")
    if not isinstance(bbox, list) or len(bbox) != 4 or not all(isinstance(v, (int, float)) for v in bbox):
        return f"bbox must be [x, y, width, height] numbers, got {bbox!r}"
    cat = ann.get("category_id")
    if not isinstance(cat, int) or cat not in class_of:
        return f"category_id {cat!r} is not among the categories {sorted(class_of)}"
    if size is None:
        return None  # the image itself is already reported
    x, y, w, h = (float(v) for v in bbox)
    return box_problem(x, y, x + w, y + h, *size)


def write_coco(root: str | Path, scenes: Mapping[str, Mapping[str, Tensor]], class_names: Sequence[str]) -> dict[str, Path]:
    """Write ``{split: generate_shapes-style tensors}`` as ``root/images/SPLIT/*.png`` and
    ``root/annotations/instances_SPLIT.json`` (category ids 1..K); returns the JSON per split."""
    root = Path(root)
    out = {}
    categories = [{"id": k + 1, "name": n} for k, n in enumerate(class_names)]
    for split, data in scenes.items():
        images, annotations = [], []
        for i, (pixels, boxes, labels) in enumerate(scene_rows(data, class_names)):
            name = f"{split}/{i:06d}.png"
            save_png(pixels, root / "images" / name)
            images.append({"id": i + 1, "file_name": name, "width": pixels.shape[1], "height": pixels.shape[0]})
            for (x1, y1, x2, y2), lab in zip(boxes, labels):
                annotations.append({
                    "id": len(annotations) + 1, "image_id": i + 1, "category_id": lab + 1,
                    "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1), "iscrowd": 0,
                })
        out[split] = root / "annotations" / f"instances_{split}.json"
        write_new(out[split], json.dumps({"images": images, "annotations": annotations, "categories": categories}))
    return out
