"""Pascal VOC XML annotations: reader and writer.

Layout: ``root/Annotations/ID.xml``, the image ``root/JPEGImages/<filename>``
(the XML's ``<filename>``, any format Pillow reads), and optionally
``root/ImageSets/Main/SPLIT.txt`` listing the IDs of a split. Each ``<object>``
has a ``<name>`` and a ``<bndbox>`` of ``xmin ymin xmax ymax`` in VOC's 1-based,
inclusive pixel coordinates: pixel box ``(x1, y1, x2, y2)`` (``x2`` exclusive)
is ``xmin = x1 + 1``, ``xmax = x2``. Classes are ``class_names`` when given,
else every name found, sorted. Problems are reported as ``FILE:LINE: reason``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.parsers import expat
from xml.sax.saxutils import escape

from torch import Tensor

from dlbox.data.detection_scenes import (DetectionData, assemble, box_problem, clip_box, fmt_number, image_size_of,
    keep_or_report, report_bad, save_png, scene_rows, validate_policy, write_new)
from dlbox.data.folder import DatasetError


def _parse_xml(path: Path) -> tuple[ET.Element, list[int]]:
    """The XML tree and the line of each ``<object>`` in document order (for error messages)."""
    data = path.read_bytes()
    lines: list[int] = []
    counter = expat.ParserCreate()

    def start(name: str, _attrs: dict) -> None:
        if name == "object":
            lines.append(counter.CurrentLineNumber)

    counter.StartElementHandler = start
    try:
        counter.Parse(data, True)
        return ET.fromstring(data), lines
    except (expat.ExpatError, ET.ParseError) as exc:
        raise DatasetError(f"{path}:{getattr(exc, 'lineno', '?')}: not valid XML ({exc})") from None


def _objects(path: Path, xml: ET.Element, lines: list[int]) -> tuple[list[tuple[str, list[float], int]], list[str]]:
    """``[(name, [x1, y1, x2, y2] in pixels, line)]`` and problems."""
    objects, bad = [], []
    for obj, line in zip(xml.iter("object"), lines):
        name = (obj.findtext("name") or "").strip()
        box = obj.find("bndbox")
        if not name or box is None:
            bad.append(f"{path}:{line}: <object> needs a <name> and a <bndbox>")
            continue
        try:
            xmin, ymin, xmax, ymax = (float(box.findtext(k) or "nan") for k in ("xmin", "ymin", "xmax", "ymax"))
        except ValueError:
            bad.append(f"{path}:{line}: <bndbox> needs numeric xmin, ymin, xmax, ymax")
            continue
        # VOC: 1-based inclusive pixel indices -> 0-based corners with exclusive x2, y2
        objects.append((name, [xmin - 1, ymin - 1, xmax, ymax], line))
    return objects, bad


def _ids(root: Path, split: str | None) -> list[str]:
    if split is None:
        return sorted(p.stem for p in (root / "Annotations").glob("*.xml"))
    listing = root / "ImageSets" / "Main" / f"{split}.txt"
    if not listing.is_file():
        have = sorted(p.stem for p in (root / "ImageSets" / "Main").glob("*.txt"))
        raise DatasetError(f"{listing} does not exist; splits here: {', '.join(have) or 'none'} (or split=None for every XML)")
    return [line.split()[0] for line in listing.read_text().splitlines() if line.strip()]


def read_voc(
    root: str | Path, split: str | None = "train", class_names: Sequence[str] | None = None,
    image_size: int | Sequence[int] | None = None, channels: int = 3, on_bad_label: str = "fail",
) -> DetectionData:
    """A VOC split (IDs from ``ImageSets/Main/SPLIT.txt``; ``None``: every XML) as padded tensors."""
    validate_policy(on_bad_label)
    root = Path(root)
    if not (root / "Annotations").is_dir():
        raise DatasetError(f"{root} has no Annotations folder; expected root/Annotations/*.xml and root/JPEGImages/")
    ids = _ids(root, split)
    parsed, bad = [], []
    for i in ids:
        xml_path = root / "Annotations" / f"{i}.xml"
        if not xml_path.is_file():
            bad.append(f"{xml_path}: listed in the split but does not exist")
            continue
        xml, lines = _parse_xml(xml_path)
        image = root / "JPEGImages" / (xml.findtext("filename") or f"{i}.jpg").strip()
        if not image.is_file():
            bad.append(f"{xml_path}: image {image} (its <filename>) does not exist")
            continue
        objects, problems = _objects(xml_path, xml, lines)
        parsed.append((xml_path, image, objects, problems))
    names = list(class_names) if class_names is not None else sorted({o[0] for *_, objs, _ in parsed for o in objs})
    index = {n: k for k, n in enumerate(names)}
    files, boxes, labels = [], [], []
    for xml_path, image, objects, problems in parsed:
        width, height = image_size_of(image)
        b, lab = [], []
        for name, (x1, y1, x2, y2), line in objects:
            problem = box_problem(x1, y1, x2, y2, width, height)
            if name not in index:
                problem = f"class {name!r} is not one of {names}"
            if problem:
                problems.append(f"{xml_path}:{line}: {problem}")
                continue
            b.append(clip_box(x1, y1, x2, y2, width, height))
            lab.append(index[name])
        keep_or_report((files, boxes, labels), bad, image, b, lab, problems)
    listed = {root / "JPEGImages" / f for f in (img.name for _, img, _, _ in parsed)}
    if split is None and (root / "JPEGImages").is_dir():
        bad += [f"{p}: image without an annotation XML" for p in sorted((root / "JPEGImages").iterdir()) if p.is_file() and p not in listed]
    report_bad(bad, on_bad_label, root)
    return assemble(files, boxes, labels, names, channels, image_size, bad)


def _xml(image_name: str, width: int, height: int, depth: int, boxes: list[list[float]], labels: list[int], names: Sequence[str]) -> str:
    rows = [
        "<annotation>", f"  <filename>{escape(image_name)}</filename>",
        f"  <size><width>{width}</width><height>{height}</height><depth>{depth}</depth></size>",
    ]
    for (x1, y1, x2, y2), lab in zip(boxes, labels):
        coords = "".join(f"<{k}>{fmt_number(v)}</{k}>" for k, v in zip(("xmin", "ymin", "xmax", "ymax"), (x1 + 1, y1 + 1, x2, y2)))
        rows += ["  <object>", f"    <name>{escape(names[lab])}</name>", "    <difficult>0</difficult>", f"    <bndbox>{coords}</bndbox>", "  </object>"]
    return "\n".join(rows + ["</annotation>", ""])


def write_voc(root: str | Path, scenes: Mapping[str, Mapping[str, Tensor]], class_names: Sequence[str]) -> Path:
    """Write ``{split: generate_shapes-style tensors}`` as VOC: IDs ``SPLIT_000000``, PNGs in ``JPEGImages``."""
    root = Path(root)
    for split, data in scenes.items():
        ids = []
        for i, (pixels, boxes, labels) in enumerate(scene_rows(data, class_names)):
            ident = f"{split}_{i:06d}"
            save_png(pixels, root / "JPEGImages" / f"{ident}.png")
            h, w, c = pixels.shape
            write_new(root / "Annotations" / f"{ident}.xml", _xml(f"{ident}.png", w, h, c, boxes, labels, class_names))
            ids.append(ident)
        write_new(root / "ImageSets" / "Main" / f"{split}.txt", "".join(i + "\n" for i in ids))
    return root
