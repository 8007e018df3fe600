"""What every detection format reader returns, and the checks they share.

A detection dataset in memory is the tensors :func:`dlbox.data.shapes.generate_shapes`
returns: ``image (N, C, H, W)`` float in [0, 1], ``boxes (N, M, 4)`` xyxy
pixels (``x2``, ``y2`` exclusive) and ``box_labels (N, M)``, rows past an
image's objects padded with -1. Bad annotations are collected as
``"FILE:LINE: reason"`` (or ``FILE: element: reason``); ``on_bad_label="fail"``
raises them all at once, ``"skip"`` drops the images they belong to with one
warning. Files are only read; writers never overwrite.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from dlbox.data.folder import DatasetError
from dlbox.data.images import BadImageError, read_image
from dlbox.ops.letterbox import letterbox, letterbox_boxes

ON_BAD_LABEL = ("skip", "fail")
#: Boxes may poke this far (pixels) past the image border from rounding in a file; they are clipped.
BORDER_TOLERANCE = 1e-3


@dataclass
class DetectionData:
    """Images with their boxes, as padded tensors, plus where they came from."""

    images: Tensor  # (N, C, H, W) float in [0, 1]
    boxes: Tensor  # (N, M, 4) xyxy pixels, -1 in padding
    labels: Tensor  # (N, M) long class index, -1 in padding
    class_names: list[str]
    files: list[Path]  # the image file of each row
    skipped: list[str] = field(default_factory=list)  # "FILE:LINE: reason" of everything left out

    def as_tensors(self) -> dict[str, Tensor]:
        """``{"image", "boxes", "box_labels"}``: the layout of :func:`generate_shapes`."""
        return {"image": self.images, "boxes": self.boxes, "box_labels": self.labels}


def validate_policy(on_bad_label: str) -> None:
    if on_bad_label not in ON_BAD_LABEL:
        raise ValueError(f"on_bad_label={on_bad_label!r} is not valid; use 'skip' or 'fail'")


def report_bad(bad: Sequence[str], on_bad_label: str, source: Path) -> None:
    """Raise (``fail``) or warn (``skip``) listing every bad annotation of ``source``."""
    if bad and on_bad_label == "fail":
        raise DatasetError(
            f"{len(bad)} bad annotation(s) in {source} (use on_bad_label='skip' to leave those images out):\n  " + "\n  ".join(bad)
        )
    if bad:
        warnings.warn(f"skipped {len(bad)} image(s) of {source} with bad annotations:\n  " + "\n  ".join(bad), stacklevel=3)


def parse_file(path: Path, what: str, parse: Callable[[str], Any], errors: tuple[type[Exception], ...],
               describe: Callable[[Any], str]) -> Any:
    """``parse`` of the text of ``path``; a missing file or a parse error is a clear error naming the file."""
    if not path.is_file():
        raise FileNotFoundError(f"{what} {path} does not exist")
    try:
        return parse(path.read_text())
    except errors as exc:
        raise DatasetError(f"{path}: {describe(exc)}") from None


def keep_or_report(kept: tuple[list, list, list], bad: list[str], image: Path, boxes: list, labels: list, problems: list[str]) -> None:
    """An image joins ``kept`` (files, boxes, labels) when its annotations had no problem; else its problems join ``bad``."""
    if problems:
        bad += problems
        return
    for store, value in zip(kept, (image, boxes, labels)):
        store.append(value)


def box_problem(x1: float, y1: float, x2: float, y2: float, width: int, height: int) -> str | None:
    """Why a pixel box cannot be used in a ``width`` x ``height`` image, or None."""
    if not all(np.isfinite([x1, y1, x2, y2])):
        return f"box ({x1}, {y1}, {x2}, {y2}) is not finite"
    if x2 <= x1 or y2 <= y1:
        return f"box ({x1:g}, {y1:g}, {x2:g}, {y2:g}) has non-positive size {x2 - x1:g} x {y2 - y1:g}"
    tol = BORDER_TOLERANCE
    if x1 < -tol or y1 < -tol or x2 > width + tol or y2 > height + tol:
        return f"box ({x1:g}, {y1:g}, {x2:g}, {y2:g}) lies outside the {width}x{height} image"
    return None


def clip_box(x1: float, y1: float, x2: float, y2: float, width: int, height: int) -> list[float]:
    return [min(max(x1, 0.0), width), min(max(y1, 0.0), height), min(max(x2, 0.0), width), min(max(y2, 0.0), height)]


def image_size_of(path: Path) -> tuple[int, int]:
    """``(width, height)`` from the header; a :class:`DatasetError` naming the file if it is not an image."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return im.size
    except FileNotFoundError:
        raise DatasetError(f"{path}: image file does not exist") from None
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types for bad files
        raise DatasetError(f"{path}: cannot read image ({exc or type(exc).__name__})") from None


def assemble(
    files: Sequence[Path], boxes: Sequence[Sequence[Sequence[float]]], labels: Sequence[Sequence[int]],
    class_names: Sequence[str], channels: int, image_size: int | Sequence[int] | None, skipped: Sequence[str],
) -> DetectionData:
    """Decode ``files`` and pad their pixel boxes; letterbox to ``image_size`` when given (boxes follow)."""
    if not files:
        raise DatasetError("no usable images: every image was skipped or none were listed" + (
            ":\n  " + "\n  ".join(skipped) if skipped else ""))
    images, out_boxes = [], []
    for path, bx in zip(files, boxes):
        try:
            img = read_image(path, channels)  # (C, H, W)
        except BadImageError as exc:
            raise DatasetError(str(exc)) from None
        b = torch.tensor(bx, dtype=torch.float32).reshape(-1, 4)
        if image_size is not None:
            img, lb = letterbox(img, image_size)
            b = letterbox_boxes(b, lb)
        images.append(img)
        out_boxes.append(b)
    sizes = sorted({tuple(i.shape[-2:]) for i in images})
    if len(sizes) > 1:
        raise DatasetError(f"images have different sizes {sizes[:4]}{'...' if len(sizes) > 4 else ''}; pass image_size to letterbox them to one")
    m = max(len(b) for b in out_boxes)
    pad_boxes = torch.full((len(files), m, 4), -1.0)
    pad_labels = torch.full((len(files), m), -1, dtype=torch.long)
    for i, (b, lab) in enumerate(zip(out_boxes, labels)):
        pad_boxes[i, : len(b)] = b
        pad_labels[i, : len(lab)] = torch.tensor(list(lab), dtype=torch.long)
    return DetectionData(torch.stack(images), pad_boxes, pad_labels, list(class_names), list(files), list(skipped))


def scene_rows(scenes: Mapping[str, Tensor], class_names: Sequence[str]) -> list[tuple[np.ndarray, list[list[float]], list[int]]]:
    """Check in-memory scenes for writing: ``[(uint8 image (H, W, C), boxes, labels), ...]`` per image."""
    images, boxes, labels = scenes["image"], scenes["boxes"], scenes["box_labels"]
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"images must be (N, 1 or 3, H, W), got {tuple(images.shape)}")
    if boxes.shape[:2] != labels.shape or boxes.shape[0] != images.shape[0] or boxes.shape[-1] != 4:
        raise ValueError(f"need boxes (N, M, 4) and box_labels (N, M) for N={images.shape[0]} images, got {tuple(boxes.shape)}, {tuple(labels.shape)}")
    if labels.numel() and int(labels.max()) >= len(class_names):
        raise ValueError(f"a label is >= the {len(class_names)} class names {list(class_names)}")
    h, w = images.shape[-2:]
    rows = []
    for i in range(images.shape[0]):
        keep = labels[i] >= 0
        bx, lab = boxes[i][keep].tolist(), labels[i][keep].tolist()
        for b in bx:
            problem = box_problem(*b, w, h)
            if problem:
                raise ValueError(f"scene {i}: {problem}")
        pixels = (images[i].clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
        rows.append((pixels, bx, lab))
    return rows


def save_png(pixels: np.ndarray, path: Path) -> None:
    """Write ``(H, W, C)`` uint8 as a PNG; an existing file is an error (writers never overwrite)."""
    from PIL import Image

    if path.exists():
        raise FileExistsError(f"{path} already exists; write into a new directory")
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(path)


def write_new(path: Path, text: str) -> None:
    if path.exists():
        raise FileExistsError(f"{path} already exists; write into a new directory")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def fmt_number(v: float) -> str:
    """Integers as integers, others with enough digits to round-trip a pixel to 1e-6."""
    return str(int(v)) if float(v).is_integer() else f"{v:.6f}".rstrip("0")
